// Trace files by path. The form comes from the extension (.csv, .bin) or,
// for input, from the magic at the start; output is written under a
// temporary name and renamed into place once complete, so that an error
// leaves no partial file behind.
#pragma once

#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "workloads/trace/trace_stream.h"

namespace iommu_sim {

enum class TraceFormat { Csv, Binary };

// Output: by extension; throws TraceError unless it is .csv or .bin.
TraceFormat trace_format_for_output(const std::string& path);
// Input: binary if the file starts with the magic or is named *.bin (so a
// wrong magic there is reported), else CSV.
TraceFormat trace_format_of_input(const std::string& path);
// Throws TraceError if the file cannot be opened or its header is bad.
std::unique_ptr<TraceReader> open_trace_reader(const std::string& path);

class TraceFileWriter {
 public:
  // Opens <path>.tmp. Throws TraceError for another extension than .csv or
  // .bin, a file that cannot be created, or a name the form cannot hold.
  TraceFileWriter(const std::string& path, const std::vector<std::string>& devices);
  // Removes the temporary file unless it was committed.
  ~TraceFileWriter();
  void write(const TraceRecord& r) { writer_->write(r); }
  // Flushes and renames the file into place; throws TraceError if any
  // write failed.
  void commit();

 private:
  std::string path_, temp_;
  std::ofstream out_;
  std::unique_ptr<TraceWriter> writer_;
  bool committed_ = false;
};

// What a trace may name on the platform it replays on.
struct TraceTargets {
  std::set<std::string> devices;  // PCIe functions (pcie.endpoints[].name)
  // (function, PASID) pairs attach[] gives an address space; a request
  // without PASID uses RID_PASID, attached as PASID 0.
  std::set<std::pair<std::string, std::uint32_t>> attached;
};

struct TraceSummary {
  std::vector<std::string> devices;       // the reader's names, by index
  std::vector<std::uint64_t> per_device;  // records naming each
  std::uint64_t records = 0;
};

// Reads the whole trace once, checking every record and, with `targets`,
// that each names a device of the platform and each map or unmap a
// (device, PASID) with an address space. Throws TraceError.
TraceSummary scan_trace(const std::string& path, const TraceTargets* targets = nullptr);

// Converts `in` to `out` (forms as above); returns the records converted.
// Throws TraceError, and `out` is then untouched.
std::uint64_t convert_trace(const std::string& in, const std::string& out);

}  // namespace iommu_sim
