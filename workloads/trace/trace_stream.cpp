#include "workloads/trace/trace_stream.h"

namespace iommu_sim {

void TraceReader::fail(const std::string& field, const std::string& reason) const {
  throw TraceError(where() + ": " + (field.empty() ? reason : field + ": " + reason));
}

void TraceReader::check(const TraceRecord& r) {
  if (const auto e = check_record(r, previous_ps_)) fail(e->field, e->reason);
  previous_ps_ = r.time_ps;
}

}  // namespace iommu_sim
