// What `--trace` and `--timeline` switch on for a run: the text printer of
// model/trace.h for the categories named, and the Perfetto timeline
// writer. Both are subscribed before the platform runs and flushed after.
#pragma once

#include <CLI/CLI.hpp>
#include <fstream>
#include <memory>
#include <optional>
#include <string>

#include "apps/timeline_writer.h"
#include "model/trace.h"

namespace iommu_sim {

struct TraceArgs {
  std::string categories;  // --trace: "walk,iotlb" or "all"; empty: none
  std::string file;        // --trace-file: where lines go (default stdout)
  std::string timeline;    // --timeline: Chrome Trace Event JSON; empty: none
  std::string window;      // --timeline-window START:END, simulated ns
  std::string limit;       // --timeline-limit N events
};

// --timeline, --timeline-window and --timeline-limit, for a run, a replay
// or a scenario.
void add_timeline_options(CLI::App& app, TraceArgs& args);

// --timeline-window's "START:END" (ns, decimals to the picosecond) and
// --timeline-limit's count, into `options`; an error names the option.
std::string parse_timeline_options(const TraceArgs& args, TimelineOptions& options);

class RunTracing {
 public:
  RunTracing() = default;
  RunTracing(const RunTracing&) = delete;
  RunTracing& operator=(const RunTracing&) = delete;
  // Finishes the timeline.
  ~RunTracing();

  // Checks the arguments and subscribes; on a bad category list, a bad
  // timeline option or an unwritable file prints why (naming the option)
  // and returns false, having written nothing.
  bool start(const TraceArgs& args);

 private:
  bool start_timeline(const std::string& path, const TimelineOptions& options);

  std::ofstream file_;
  std::unique_ptr<trace::TextPrinter> printer_;
  std::optional<trace::Subscription> subscription_;
  std::string timeline_path_;
  std::ofstream timeline_file_;
  std::unique_ptr<TimelineWriter> timeline_;
  std::optional<trace::Subscription> timeline_subscription_;
};

}  // namespace iommu_sim
