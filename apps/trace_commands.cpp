#include "apps/trace_commands.h"

#include <iostream>

namespace iommu_sim {

namespace {

void print_trace_error(const std::string& message) {
  std::cerr << "iommu-sim: trace error: " << message << "\n";
}

}  // namespace

int convert_command(const std::string& in, const std::string& out) {
  try {
    const std::uint64_t records = convert_trace(in, out);
    std::cout << "iommu-sim: converted " << records << " records: " << in << " -> " << out << "\n";
    return 0;
  } catch (const TraceError& e) {
    print_trace_error(e.what());
    return kExitTraceError;
  }
}

bool RunTraces::prepare(PlatformConfig& config) {
  if (options_.replay.empty() && options_.record.empty()) return true;
  // Functional-mode initiators run ahead of simulated time: an endpoint
  // cannot tell when a DMA was issued, nor could a replay honour it.
  if (config.mode == "functional") {
    print_trace_error("replay and --record run in timed mode only (the mode is functional)");
    return false;
  }
  try {
    if (!options_.record.empty()) trace_format_for_output(options_.record);
    if (options_.replay.empty()) return true;
    const TraceTargets targets = trace_targets(config);
    summary_ = scan_trace(options_.replay, &targets);
  } catch (const TraceError& e) {
    print_trace_error(e.what());
    return false;
  }
  config.workloads.clear();
  return true;
}

bool RunTraces::attach(Platform& platform) {
  try {
    if (summary_) {
      replay_ = std::make_unique<PlatformReplay>(
          platform, open_trace_reader(options_.replay), *summary_,
          options_.timing == "asap" ? TraceTiming::Asap : TraceTiming::Honour);
    }
    if (!options_.record.empty()) {
      recorder_ = std::make_unique<TraceRecorder>(options_.record, trace_functions(platform));
      record_dmas(platform, *recorder_);
    }
  } catch (const TraceError& e) {
    print_trace_error(e.what());
    return false;
  }
  return true;
}

int RunTraces::finish() {
  if (replay_ && !replay_->replayer().error().empty()) {
    print_trace_error(replay_->replayer().error() + " (the trace changed during the replay)");
    return kExitTraceError;
  }
  if (!recorder_) return 0;
  try {
    recorder_->commit();
  } catch (const TraceError& e) {
    print_trace_error(e.what());
    return 1;
  }
  return 0;
}

void RunTraces::describe(nlohmann::json& stats) const {
  if (options_.replay.empty()) return;
  stats["replay"] = {{"trace", options_.replay}, {"timing", options_.timing}};
}

}  // namespace iommu_sim
