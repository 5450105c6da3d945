// What `--trace` and `--timeline` switch on for a run: the text printer of
// model/trace.h for the categories named, and the Perfetto timeline
// writer. Both are subscribed before the platform runs and flushed after.
#pragma once

#include <fstream>
#include <memory>
#include <optional>
#include <string>

#include "model/trace.h"

namespace iommu_sim {

struct TraceArgs {
  std::string categories;  // --trace: "walk,iotlb" or "all"; empty: none
  std::string file;        // --trace-file: where lines go (default stdout)
};

class RunTracing {
 public:
  // Checks the arguments and subscribes; on a bad category list or an
  // unwritable file prints why (naming the option) and returns false.
  bool start(const TraceArgs& args);

 private:
  std::ofstream file_;
  std::unique_ptr<trace::TextPrinter> printer_;
  std::optional<trace::Subscription> subscription_;
};

}  // namespace iommu_sim
