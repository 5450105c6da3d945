// What the CSV and binary trace forms have in common: a reader that streams
// records one at a time (never the whole trace in memory) and a writer.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "workloads/trace/trace_record.h"

namespace iommu_sim {

class TraceReader {
 public:
  virtual ~TraceReader() = default;
  // The next record, checked (check_record and the form's own rules);
  // false at the end of the trace. Throws TraceError on bad input.
  virtual bool next(TraceRecord& out) = 0;
  // TraceRecord::device indexes these: a binary trace's header names, a
  // CSV's names in the order they first appear.
  const std::vector<std::string>& devices() const { return devices_; }
  // Where the last record came from: "t.csv:12", "t.bin: record 12".
  virtual std::string where() const = 0;

 protected:
  [[noreturn]] void fail(const std::string& field, const std::string& reason) const;
  // check_record against the previous record; remembers this one's time.
  void check(const TraceRecord& r);

  std::vector<std::string> devices_;

 private:
  std::uint64_t previous_ps_ = 0;
};

class TraceWriter {
 public:
  virtual ~TraceWriter() = default;
  virtual void write(const TraceRecord& r) = 0;
  // Writes out what is buffered.
  virtual void flush() = 0;
};

}  // namespace iommu_sim
