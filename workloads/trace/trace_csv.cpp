#include "workloads/trace/trace_csv.h"

#include <array>
#include <charconv>
#include <cstdio>

namespace iommu_sim {

namespace {

constexpr std::size_t kFields = 6;
constexpr std::size_t kMaxDevices = 1u << 16;  // TraceRecord::device is 16 bits

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// The whole of `s` as a number in `base`; false if anything else is there
// or it overflows.
bool parse_u64(std::string_view s, std::uint64_t& out, int base = 10) {
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out, base);
  return !s.empty() && ec == std::errc() && end == s.data() + s.size();
}

// Integer or decimal ns with at most three decimals (the simulator's 1 ps).
std::optional<std::uint64_t> parse_time_ps(std::string_view s) {
  const std::size_t dot = s.find('.');
  std::uint64_t ns = 0, frac = 0;
  if (!parse_u64(s.substr(0, dot), ns) || ns > (~0ull - 999) / 1000) return std::nullopt;
  if (dot == std::string_view::npos) return ns * 1000;
  const std::string_view decimals = s.substr(dot + 1);
  if (decimals.size() > 3 || !parse_u64(decimals, frac)) return std::nullopt;
  for (std::size_t i = decimals.size(); i < 3; ++i) frac *= 10;
  return ns * 1000 + frac;
}

std::string quoted(std::string_view s) {
  std::string out(1, '"');
  out.append(s).push_back('"');
  return out;
}

}  // namespace

CsvTraceReader::CsvTraceReader(std::unique_ptr<std::istream> in, std::string name)
    : in_(std::move(in)), name_(std::move(name)) {}

std::string CsvTraceReader::where() const {
  return name_ + ":" + std::to_string(line_number_);
}

bool CsvTraceReader::next_line(std::string_view& line) {
  while (std::getline(*in_, line_)) {
    ++line_number_;
    line = trim(line_);
    if (!line.empty() && line.front() != '#') return true;
  }
  if (in_->bad()) fail("", "read error");
  return false;
}

void CsvTraceReader::read_header() {
  header_read_ = true;
  std::string_view line;
  if (!next_line(line)) return;  // no records: an empty trace
  std::string compact;
  for (const char c : line) {
    if (c != ' ' && c != '\t') compact += c;
  }
  if (compact != kCsvTraceHeader) {
    fail("header", "expected \"" + std::string(kCsvTraceHeader) + "\" (got " + quoted(line) + ")");
  }
}

bool CsvTraceReader::next(TraceRecord& out) {
  if (!header_read_) read_header();
  std::string_view line;
  if (!next_line(line)) return false;
  out = parse(line);
  check(out);
  return true;
}

TraceRecord CsvTraceReader::parse(std::string_view line) {
  std::array<std::string_view, kFields> f;
  std::size_t n = 0;
  for (std::size_t start = 0;; ++n) {
    const std::size_t comma = line.find(',', start);
    if (n < kFields) f[n] = trim(line.substr(start, comma - start));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  if (++n != kFields) {
    fail("", std::to_string(n) + " fields, expected 6: " + std::string(kCsvTraceHeader));
  }
  TraceRecord r;
  const auto time = parse_time_ps(f[0]);
  if (!time) fail("time_ns", quoted(f[0]) + " is not a time in ns (at most 3 decimals: 1 ps)");
  r.time_ps = *time;
  if (f[1].empty()) fail("device", "is empty");
  r.device = device_index(f[1]);
  std::uint64_t value = 0;
  r.pasid_present = f[2] != "-";
  if (r.pasid_present && !parse_u64(f[2], value)) {
    fail("pasid", quoted(f[2]) + " is not a decimal PASID or - (no PASID)");
  }
  if (value > kTraceMaxPasid) fail("pasid", pasid_out_of_range(f[2]));
  r.pasid = static_cast<std::uint32_t>(value);
  if (!(f[3].starts_with("0x") || f[3].starts_with("0X")) ||
      !parse_u64(f[3].substr(2), value, 16)) {
    fail("address", quoted(f[3]) + " is not a hexadecimal address starting with 0x");
  }
  r.address = value;
  if (!parse_u64(f[4], r.size)) fail("size", quoted(f[4]) + " is not a decimal byte count");
  const auto op = parse_op(f[5]);
  if (!op) fail("op", quoted(f[5]) + " is not read, write, map or unmap");
  r.op = *op;
  return r;
}

std::uint16_t CsvTraceReader::device_index(std::string_view name) {
  if (const auto it = index_.find(name); it != index_.end()) return it->second;
  if (devices_.size() == kMaxDevices) fail("device", "more than 65536 device names");
  const auto index = static_cast<std::uint16_t>(devices_.size());
  devices_.emplace_back(name);
  index_.emplace(name, index);
  return index;
}

CsvTraceWriter::CsvTraceWriter(std::ostream& out, std::vector<std::string> devices)
    : out_(out), devices_(std::move(devices)) {
  for (const std::string& d : devices_) {
    const bool bad =
        d.empty() || d.find_first_of(",\r\n") != std::string::npos || trim(d).size() != d.size();
    if (bad) throw TraceError("device name " + quoted(d) + " cannot be written to a CSV trace");
  }
  out_ << kCsvTraceHeader << '\n';
}

void CsvTraceWriter::write(const TraceRecord& r) {
  char address[24];
  std::snprintf(address, sizeof address, "0x%llx", static_cast<unsigned long long>(r.address));
  out_ << format_time_ns(r.time_ps) << ',' << devices_.at(r.device) << ',';
  if (r.pasid_present) {
    out_ << r.pasid;
  } else {
    out_ << '-';
  }
  out_ << ',' << address << ',' << r.size << ',' << op_name(r.op) << '\n';
}

}  // namespace iommu_sim
