#include "apps/run_tracing.h"

#include <iostream>

namespace iommu_sim {

bool RunTracing::start(const TraceArgs& args) {
  if (args.categories.empty()) {
    if (!args.file.empty()) {
      std::cerr << "iommu-sim: --trace-file: needs --trace to name what to trace\n";
      return false;
    }
    return true;
  }
  const trace::Parsed parsed = trace::parse_categories(args.categories);
  if (!parsed.error.empty()) {
    std::cerr << "iommu-sim: --trace: " << parsed.error << "\n";
    return false;
  }
  std::ostream* out = &std::cout;
  if (!args.file.empty()) {
    file_.open(args.file);
    if (!file_) {
      std::cerr << "iommu-sim: --trace-file: cannot write " << args.file << "\n";
      return false;
    }
    out = &file_;
  }
  printer_ = std::make_unique<trace::TextPrinter>(*out);
  subscription_.emplace(*printer_, parsed.mask);
  return true;
}

}  // namespace iommu_sim
