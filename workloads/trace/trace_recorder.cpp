#include "workloads/trace/trace_recorder.h"

namespace iommu_sim {

TraceRecorder::TraceRecorder(const std::string& path, const std::vector<std::string>& devices)
    : file_(path, devices) {}

void TraceRecorder::issued(std::uint16_t function, const IssuedDma& dma) {
  file_.write({.time_ps = dma.time_ps,
               .address = dma.address,
               .size = dma.size,
               .pasid = dma.pasid,
               .pasid_present = dma.pasid_present,
               .device = function,
               .op = dma.write ? TraceOp::Write : TraceOp::Read});
  ++recorded_;
}

}  // namespace iommu_sim
