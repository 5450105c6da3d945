// The trace side of the command line (docs/trace.md):
//   iommu-sim trace convert IN OUT
//   iommu-sim replay TRACE [--config F] [--out D] [--timing honour|asap] ...
//   iommu-sim --config F --record T (and replay ... --record T)
// Every trace error is printed as "iommu-sim: trace error: <file>:<line>:
// <field>: <reason>" and exits 2, with nothing written.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "model/platform/platform_trace.h"

namespace iommu_sim {

constexpr int kExitTraceError = 2;  // as for config errors

int convert_command(const std::string& in, const std::string& out);

struct TraceOptions {
  std::string replay;  // a trace to replay in place of the workloads, or empty
  std::string timing = "honour";
  std::string record;  // where to record every DMA, or empty
};

// A run's replay and recording, set up around the platform's construction.
class RunTraces {
 public:
  explicit RunTraces(TraceOptions options) : options_(std::move(options)) {}
  // Before the platform is built: refuses functional mode, checks the
  // trace against `config` and empties its workloads for a replay. False
  // after printing why.
  bool prepare(PlatformConfig& config);
  // Once it is built: the replayers and the recorder. False after printing
  // why.
  bool attach(Platform& platform);
  // After the run: a trace that could not be read to its end (exit 2),
  // the recording put in place (exit 1 if it cannot be written); else 0.
  int finish();
  const PlatformReplay* replay() const { return replay_.get(); }
  // The records of the trace a replay replays (0 without one): the work
  // it adds to the run's (StatsRegistry::work_done).
  std::uint64_t records() const { return summary_ ? summary_->records : 0; }
  // stats.json's "replay" field: the trace and its timing.
  void describe(nlohmann::json& stats) const;

 private:
  TraceOptions options_;
  std::optional<TraceSummary> summary_;
  std::unique_ptr<PlatformReplay> replay_;
  std::unique_ptr<TraceRecorder> recorder_;
};

}  // namespace iommu_sim
