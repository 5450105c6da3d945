#include "workloads/trace/trace_binary.h"

#include <cstring>

namespace iommu_sim {

namespace {

constexpr std::size_t kBufferBytes = 2048 * kBinaryTraceRecordBytes;  // 64 KiB
constexpr std::size_t kMaxDevices = 1u << 16;                         // u16 device index

template <class T>
T load_le(const unsigned char* p) {
  T v = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) v |= static_cast<T>(p[i]) << (8 * i);
  return v;
}

template <class T>
void store_le(unsigned char* p, T v) {
  for (std::size_t i = 0; i < sizeof(T); ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
}

void append(std::vector<unsigned char>& out, const void* bytes, std::size_t n) {
  out.resize(out.size() + n);
  std::memcpy(out.data() + out.size() - n, bytes, n);
}

template <class T>
void append_le(std::vector<unsigned char>& out, T v) {
  unsigned char bytes[sizeof(T)];
  store_le(bytes, v);
  append(out, bytes, sizeof(T));
}

}  // namespace

BinaryTraceReader::BinaryTraceReader(std::unique_ptr<std::istream> in, std::string name)
    : in_(std::move(in)), name_(std::move(name)), buffer_(kBufferBytes) {
  read_header();
}

std::string BinaryTraceReader::where() const {
  return name_ + (record_ == 0 ? ": header" : ": record " + std::to_string(record_));
}

void BinaryTraceReader::read_header_bytes(void* to, std::size_t n, const std::string& what) {
  if (!in_->read(static_cast<char*>(to), static_cast<std::streamsize>(n))) {
    fail("", "truncated: the file ends inside " + what);
  }
}

void BinaryTraceReader::read_header() {
  char magic[8];
  if (!in_->read(magic, sizeof magic) || std::string_view(magic, 8) != kBinaryTraceMagic) {
    fail("", "bad magic: not an iommu-sim binary trace (expected \"IOMMUTRC\")");
  }
  unsigned char word[4];
  read_header_bytes(word, 4, "the version");
  if (const auto version = load_le<std::uint32_t>(word); version != kBinaryTraceVersion) {
    fail("", "version " + std::to_string(version) + " is not supported (this build reads 1)");
  }
  read_header_bytes(word, 4, "the device count");
  const auto count = load_le<std::uint32_t>(word);
  if (count > kMaxDevices) fail("", std::to_string(count) + " devices, more than 65536");
  std::set<std::string> seen;
  for (std::uint32_t i = 0; i < count; ++i) read_device_name(i, seen);
}

void BinaryTraceReader::read_device_name(std::uint32_t index, std::set<std::string>& seen) {
  const std::string what = "device name " + std::to_string(index);
  unsigned char length[2];
  read_header_bytes(length, 2, what);
  std::string device(load_le<std::uint16_t>(length), '\0');
  read_header_bytes(device.data(), device.size(), what);
  if (device.empty()) fail("", what + " is empty");
  if (!seen.insert(device).second) fail("", what + " \"" + device + "\" appears twice");
  devices_.push_back(std::move(device));
}

bool BinaryTraceReader::refill() {
  std::memmove(buffer_.data(), buffer_.data() + pos_, end_ - pos_);
  end_ -= pos_;
  pos_ = 0;
  in_->read(reinterpret_cast<char*>(buffer_.data() + end_),
            static_cast<std::streamsize>(buffer_.size() - end_));
  end_ += static_cast<std::size_t>(in_->gcount());
  if (in_->bad()) fail("", "read error");
  return end_ > 0;
}

bool BinaryTraceReader::next(TraceRecord& out) {
  if (end_ - pos_ < kBinaryTraceRecordBytes && !refill()) return false;
  ++record_;
  if (end_ - pos_ < kBinaryTraceRecordBytes) {
    fail("", "truncated: the file ends after " + std::to_string(end_ - pos_) + " of its " +
                 std::to_string(kBinaryTraceRecordBytes) + " bytes");
  }
  out = decode(buffer_.data() + pos_);
  pos_ += kBinaryTraceRecordBytes;
  check(out);
  return true;
}

TraceRecord BinaryTraceReader::decode(const unsigned char* p) const {
  TraceRecord r;
  r.time_ps = load_le<std::uint64_t>(p);
  r.address = load_le<std::uint64_t>(p + 8);
  r.size = load_le<std::uint64_t>(p + 16);
  const auto pasid = load_le<std::uint32_t>(p + 24);
  r.pasid_present = (pasid & kBinaryTraceNoPasid) == 0;
  r.pasid = pasid & ~kBinaryTraceNoPasid;
  if (!r.pasid_present && r.pasid != 0) fail("pasid", "the no-PASID bit is set with a PASID");
  r.device = load_le<std::uint16_t>(p + 28);
  if (r.device >= devices_.size()) {
    fail("device", "index " + std::to_string(r.device) + " is beyond the header's " +
                       std::to_string(devices_.size()) + " names");
  }
  if (p[30] > static_cast<unsigned char>(TraceOp::Unmap)) {
    fail("op", std::to_string(p[30]) + " is not 0 (read), 1 (write), 2 (map) or 3 (unmap)");
  }
  r.op = static_cast<TraceOp>(p[30]);
  if (p[31] != 0) fail("reserved", "byte 31 must be 0");
  return r;
}

BinaryTraceWriter::BinaryTraceWriter(std::ostream& out, const std::vector<std::string>& devices)
    : out_(out) {
  if (devices.size() > kMaxDevices) throw TraceError("more than 65536 device names");
  append(buffer_, kBinaryTraceMagic.data(), kBinaryTraceMagic.size());
  append_le(buffer_, kBinaryTraceVersion);
  append_le(buffer_, static_cast<std::uint32_t>(devices.size()));
  for (const std::string& d : devices) {
    if (d.size() > 0xffff) throw TraceError("device name longer than 65535 bytes: " + d);
    append_le(buffer_, static_cast<std::uint16_t>(d.size()));
    append(buffer_, d.data(), d.size());
  }
}

void BinaryTraceWriter::write(const TraceRecord& r) {
  unsigned char p[kBinaryTraceRecordBytes] = {};
  store_le(p, r.time_ps);
  store_le(p + 8, r.address);
  store_le(p + 16, r.size);
  store_le(p + 24, r.pasid_present ? r.pasid : kBinaryTraceNoPasid);
  store_le(p + 28, r.device);
  p[30] = static_cast<unsigned char>(r.op);
  append(buffer_, p, kBinaryTraceRecordBytes);
  if (buffer_.size() >= kBufferBytes) write_buffer();
}

void BinaryTraceWriter::write_buffer() {
  out_.write(reinterpret_cast<const char*>(buffer_.data()),
             static_cast<std::streamsize>(buffer_.size()));
  buffer_.clear();
}

void BinaryTraceWriter::flush() {
  write_buffer();
  out_.flush();
}

}  // namespace iommu_sim
