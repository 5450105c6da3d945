#include "scenario/step_runner.h"

#include <cstring>

namespace iommu_sim {

StepRunner::StepRunner(Platform& platform, DmaPort dma)
    : platform_(platform), dma_(std::move(dma)) {}

void StepRunner::name_platform_objects() {
  for (const auto& as : platform_.config().address_spaces) {
    objects_[as.name] = platform_.ioas(as.name);
  }
}

StepParams StepRunner::resolved(const StepParams& step) const {
  StepParams s = step;
  for (const auto& [field, ref] : step.refs) {
    const auto it = iovas_.find(ref.name);
    const std::uint64_t value = (it == iovas_.end() ? 0 : it->second) + ref.offset;
    if (field == "iova") s.iova = value;
    if (field == "src_iova") s.src_iova = value;
    if (field == "addr") s.addr = value;
  }
  return s;
}

ContextId StepRunner::context(const std::string& name) const {
  const auto it = contexts_.find(name);
  return it == contexts_.end() ? ContextId{0} : it->second;
}

IoasId StepRunner::object(const std::string& name) const {
  const auto it = objects_.find(name);
  return it == objects_.end() ? IoasId{0} : it->second;
}

GuestPageTable* StepRunner::table(const std::string& name) const {
  const auto it = tables_.find(name);
  return it == tables_.end() ? nullptr : it->second.get();
}

std::string describe(const Status& s) {
  if (s.ok()) return "ok";
  const char* name = strerrorname_np(s.code);
  return std::string(name != nullptr ? name : "E?") + ": " + s.message;
}

}  // namespace iommu_sim
