// The CSV form of a trace (docs/trace.md): a header line, then one record
// per line, `time_ns,device,pasid,address,size,op`; blank lines and lines
// starting with # are comments. The writer writes the canonical form (no
// comments, no spaces, times without trailing zeros, lower-case hex), which
// converts to binary and back byte for byte.
#pragma once

#include <istream>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>

#include "workloads/trace/trace_stream.h"

namespace iommu_sim {

constexpr std::string_view kCsvTraceHeader = "time_ns,device,pasid,address,size,op";

class CsvTraceReader : public TraceReader {
 public:
  // `name` (the file's path) starts every error message.
  CsvTraceReader(std::unique_ptr<std::istream> in, std::string name);
  bool next(TraceRecord& out) override;
  std::string where() const override;

 private:
  // The next line that is neither blank nor a comment; false at the end.
  bool next_line(std::string_view& line);
  void read_header();
  TraceRecord parse(std::string_view line);
  std::uint16_t device_index(std::string_view name);

  std::unique_ptr<std::istream> in_;
  std::string name_;
  std::string line_;
  std::uint64_t line_number_ = 0;
  bool header_read_ = false;
  std::map<std::string, std::uint16_t, std::less<>> index_;
};

class CsvTraceWriter : public TraceWriter {
 public:
  // Throws TraceError for a device name the CSV cannot hold (empty, a
  // comma, a line break, spaces at either end).
  CsvTraceWriter(std::ostream& out, std::vector<std::string> devices);
  void write(const TraceRecord& r) override;
  void flush() override { out_.flush(); }

 private:
  std::ostream& out_;
  std::vector<std::string> devices_;
};

}  // namespace iommu_sim
