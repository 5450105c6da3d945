// The binary form of a trace (docs/trace.md, "Binary layout"), all
// little-endian: a header ("IOMMUTRC", u32 version 1, u32 device count,
// each name as u16 length + bytes) and then fixed 32-byte records to the
// end of the file. The reader streams through a 64 KiB buffer.
#pragma once

#include <istream>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "workloads/trace/trace_stream.h"

namespace iommu_sim {

constexpr std::string_view kBinaryTraceMagic = "IOMMUTRC";
constexpr std::uint32_t kBinaryTraceVersion = 1;
constexpr std::size_t kBinaryTraceRecordBytes = 32;
// Set in a record's PASID word: the request carries no PASID.
constexpr std::uint32_t kBinaryTraceNoPasid = 1u << 31;

class BinaryTraceReader : public TraceReader {
 public:
  // Reads the header: throws TraceError for a bad magic, version or name
  // table. `name` (the file's path) starts every error message.
  BinaryTraceReader(std::unique_ptr<std::istream> in, std::string name);
  bool next(TraceRecord& out) override;
  std::string where() const override;

 private:
  void read_header();
  // Name `index` of the header's table, unique among those `seen`.
  void read_device_name(std::uint32_t index, std::set<std::string>& seen);
  // Exactly `n` header bytes; fails naming `what` if the file ends first.
  void read_header_bytes(void* to, std::size_t n, const std::string& what);
  // Moves the unread bytes to the front and reads more; false if none are
  // left at all.
  bool refill();
  TraceRecord decode(const unsigned char* p) const;

  std::unique_ptr<std::istream> in_;
  std::string name_;
  std::vector<unsigned char> buffer_;
  std::size_t pos_ = 0, end_ = 0;
  std::uint64_t record_ = 0;  // 1-based number of the last record read
};

class BinaryTraceWriter : public TraceWriter {
 public:
  // Writes the header. Throws TraceError for more than 65536 names or a
  // name longer than 65535 bytes.
  BinaryTraceWriter(std::ostream& out, const std::vector<std::string>& devices);
  void write(const TraceRecord& r) override;
  void flush() override;

 private:
  void write_buffer();

  std::ostream& out_;
  std::vector<unsigned char> buffer_;
};

}  // namespace iommu_sim
