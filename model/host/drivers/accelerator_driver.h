// The driver of an accelerator (devices[].type accelerator): at set-up it
// allocates one long-lived buffer of buffer_size bytes, 2 MiB aligned,
// maps it once through the DMA API (so it gets 2 MiB pages: the IOVA of a
// range that large is aligned to its size) and programs the device's DMA
// engine with the buffer's bus address; after that the device streams
// over it with queue_depth DMAs in flight and the host does nothing, as a
// GPU or an offload engine working on a pinned buffer. With ATS on its
// function (pcie.endpoints[].ats) the device translates through its ATC.
#pragma once

#include <cstdint>

#include "model/host/dma_api.h"
#include "model/host/drivers/device_driver.h"
#include "model/host/frame_allocator.h"
#include "workloads/devices/device_model_params.h"
#include "workloads/dma_generator.h"

namespace iommu_sim {

class AcceleratorDriver : public DeviceDriver {
 public:
  AcceleratorDriver(const DeviceModelParams& params, DmaGenerator& engine)
      : params_(params), engine_(engine) {}

  // `dma` null: the host does not use the IOMMU, bus addresses are
  // physical (host.dma_remapping off).
  void start(FrameAllocator& memory, DmaApi* dma, int handle) {
    constexpr std::uint64_t k2MiB = 2ull << 20;
    const std::uint64_t physical = memory.allocate(params_.buffer_size, k2MiB);
    engine_.set_base(DeviceMapper(dma, handle).map(physical, params_.buffer_size, true));
  }
  std::uint64_t completed() const override { return engine_.completed(); }

 private:
  DeviceModelParams params_;
  DmaGenerator& engine_;
};

}  // namespace iommu_sim
