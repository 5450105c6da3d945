// Traces on a built platform (docs/trace.md): what a trace may name there,
// recording every DMA its functions issue, and replaying a trace in place
// of the config's workloads[].
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "model/platform/platform.h"
#include "workloads/trace/trace_file.h"
#include "workloads/trace/trace_recorder.h"
#include "workloads/trace/trace_replayer.h"

namespace iommu_sim {

// The functions of `config`'s topology and the (function, PASID) pairs its
// attach[] gives an address space.
TraceTargets trace_targets(const PlatformConfig& config);

// The platform's PCIe functions, in topology order: the device names a
// recording's header lists.
std::vector<std::string> trace_functions(const Platform& platform);
// Tells `recorder` of every DMA entering any endpoint; the recorder must
// have been made with trace_functions(platform).
void record_dmas(Platform& platform, TraceRecorder& recorder);

// The replay of a trace on `platform`, built from its config with
// workloads[] emptied (the trace replaces the workloads; whatever
// workloads the config still has run alongside). One DeviceReplayer per
// function with records in the trace, bound to its endpoint's dma_in; map
// and unmap records go through the platform's ioasid manager to the
// address space the (function, PASID) is attached to in attach[] (no
// PASID: RID_PASID, PASID 0), mapping writable memory.
class PlatformReplay : public TraceHost {
 public:
  // `summary` is scan_trace's for this trace with trace_targets(config),
  // `reader` a fresh reader of it. Timed mode only.
  PlatformReplay(Platform& platform, std::unique_ptr<TraceReader> reader,
                 const TraceSummary& summary, TraceTiming timing);

  std::string apply(const TraceRecord& r, const std::string& device) override;
  const TraceReplayer& replayer() const { return *replayer_; }
  // The device replayers, in the trace's device order.
  const std::vector<std::unique_ptr<DeviceReplayer>>& devices() const { return devices_; }

 private:
  Platform& platform_;
  std::vector<std::unique_ptr<DeviceReplayer>> devices_;
  std::unique_ptr<TraceReplayer> replayer_;
};

}  // namespace iommu_sim
