// Records every DMA the platform's functions issue, as they enter their
// endpoints (DmaIssueObserver), into a trace file (`--record`). It only
// writes what it is told: no simulated time passes, no statistic moves.
#pragma once

#include <string>
#include <vector>

#include "pcie/dma_issue_observer.h"
#include "workloads/trace/trace_file.h"

namespace iommu_sim {

class TraceRecorder : public DmaIssueObserver {
 public:
  // `devices` names the functions by the index their endpoints report.
  // Throws TraceError as TraceFileWriter does.
  TraceRecorder(const std::string& path, const std::vector<std::string>& devices);
  void issued(std::uint16_t function, const IssuedDma& dma) override;
  // Completes the file (see TraceFileWriter::commit). Without it the file
  // is not written.
  void commit() { file_.commit(); }
  std::uint64_t recorded() const { return recorded_; }

 private:
  TraceFileWriter file_;
  std::uint64_t recorded_ = 0;
};

}  // namespace iommu_sim
