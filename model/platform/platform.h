// Turns a validated PlatformConfig into SystemC modules, wires their
// sockets, and runs the host set-up (driver init, address spaces, mappings,
// attachments; none of it with host.dma_remapping off; then the warm
// workloads' LLC-resident pages) at the start of simulation, before time
// 0's processes, so DMA starts on a programmed IOMMU.
//
//   DmaGenerator -> Endpoint -> RootComplex -> Iommu -> MemoryController
//                                              Iommu.table_mem -^
//   HostBus.mem -> MemoryController, HostBus.mmio -> Iommu.regs
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "iommu/iommu.h"
#include "model/host/dma_api.h"
#include "model/host/drivers/accelerator_driver.h"
#include "model/host/drivers/nic_driver.h"
#include "model/host/drivers/nvme_driver.h"
#include "model/host/frame_allocator.h"
#include "model/host/guest_page_table.h"
#include "model/host/host_bus.h"
#include "model/host/host_cpu.h"
#include "model/host/ioasid_manager.h"
#include "model/host/iommu_driver.h"
#include "model/memory_controller.h"
#include "model/oracle/dma_oracle.h"
#include "model/platform/platform_config.h"
#include "model/platform/slice_observer.h"
#include "model/stats.h"
#include "model/stats_timeseries.h"
#include "pcie/endpoint.h"
#include "pcie/fabric.h"
#include "pcie/root_complex.h"
#include "pcie/topology.h"
#include "workloads/devices/nic_controller.h"
#include "workloads/devices/nvme_controller.h"
#include "workloads/dma_generator.h"

namespace iommu_sim {

class Platform {
 public:
  // `config` must have passed validate(). Start on a fresh kernel.
  explicit Platform(const PlatformConfig& config);
  ~Platform();

  // Runs until every workload finished and no event is pending, or until
  // `observer` stops it between two slices; true when it ran to the end.
  // Restarts the statistics at stats.warmup_ns and samples the time series
  // every stats.interval_ns (platform_run.cpp). Throws std::invalid_argument
  // if check_stats() finds errors.
  bool run(SliceObserver* observer = nullptr);
  // Whether run() ran to the end (stats.json's "complete").
  bool complete() const { return complete_; }
  // Checks the stats section against the statistics registered by then
  // (the time series' names); call once everything that registers
  // statistics is built (a replay's devices too). run() calls it.
  std::vector<ConfigError> check_stats();
  const StatsTimeSeries& timeseries() const { return timeseries_; }

  const PlatformConfig& config() const { return config_; }
  StatsRegistry& stats() { return stats_; }
  const StatsRegistry& stats() const { return stats_; }
  // Everything stats.json holds: the config, stamps, time, statistics.
  nlohmann::json stats_json() const;

  MemoryController& memory() { return *memory_; }
  Iommu& iommu() { return *iommu_; }
  HostBus& host_bus() { return *host_bus_; }
  IommuDriver& driver() { return *driver_; }
  IoasidManager& manager() { return *manager_; }
  HostCpus& cpus() { return *cpus_; }
  DmaApi& dma_api() { return *dma_api_; }
  DmaOracle& oracle() { return *oracle_; }
  Endpoint& endpoint(const std::string& name) { return *endpoints_.at(name); }
  const Topology& topology() const { return topology_; }
  DmaGenerator& workload(std::size_t index) { return *workloads_.at(index); }
  std::size_t device_count() const { return drivers_.size(); }
  DeviceDriver& device_driver(std::size_t index) { return *drivers_.at(index); }
  // devices[index] as its type; std::bad_cast when it is another type.
  NvmeDriver& nvme_driver(std::size_t index) {
    return dynamic_cast<NvmeDriver&>(*drivers_.at(index));
  }
  NvmeController& nvme_controller(std::size_t index) {
    return dynamic_cast<NvmeController&>(*controllers_.at(index));
  }
  // An accelerator's DMA engine.
  DmaGenerator& accelerator_engine(std::size_t index) {
    return dynamic_cast<DmaGenerator&>(*controllers_.at(index));
  }
  NicDriver& nic_driver(std::size_t index) { return dynamic_cast<NicDriver&>(*drivers_.at(index)); }
  NicController& nic_controller(std::size_t index) {
    return dynamic_cast<NicController&>(*controllers_.at(index));
  }
  std::size_t workload_count() const { return workloads_.size(); }
  // Valid once the simulation started (the host set-up has run).
  IoasId ioas(const std::string& name) const { return ioas_.at(name); }
  // The context the config's attachments went through, as a VMM's open
  // /dev/iommu (its nested HWPTs take user invalidations in it); 0 when
  // attach[] is empty. Valid once the simulation started.
  ContextId attach_context() const { return attach_context_; }

 private:
  void set_up_host();
  // The driver's init, the address spaces and the attachments.
  void program_remapping();
  // Builds devices[]: each controller on its function's endpoint, and its
  // driver on the host CPUs.
  void build_device_models();
  void build_nvme(std::size_t index, const DeviceModelParams& d, std::uint32_t queues);
  void build_nic(const DeviceModelParams& d, std::uint32_t queues);
  // Gives each device model's function its DMA API domain and starts its
  // driver.
  void build_accelerator(std::size_t index, const DeviceModelParams& d);
  void start_device_models();
  // The nest-parent HWPT, guest-owned table and nested HWPT of a
  // nested_hwpt address space, allocated with the device bound as `label`.
  void build_guest_owned(ContextId ctx, const std::string& label, const std::string& name);
  // Marks the LLC-resident part of every warm workload's buffer.
  void warm_host_caches();
  // Marks the physical memory behind IOVAs [lo, hi) of `w` LLC-resident.
  void mark_llc_resident(const WorkloadParams& w, std::uint64_t lo, std::uint64_t hi);

  PlatformConfig config_;
  TimingMode mode_;
  Topology topology_;
  StatsRegistry stats_;
  std::unique_ptr<MemoryController> memory_;
  std::unique_ptr<PcieFabric> fabric_;
  std::unique_ptr<Iommu> iommu_;
  std::unique_ptr<RootComplex> root_complex_;
  std::map<std::string, std::unique_ptr<Endpoint>> endpoints_;
  std::vector<std::unique_ptr<DmaGenerator>> workloads_;
  std::unique_ptr<HostBus> host_bus_;
  FrameAllocator table_frames_;
  FrameAllocator data_frames_;
  std::unique_ptr<HostCpus> cpus_;
  std::unique_ptr<IommuDriver> driver_;
  std::unique_ptr<IoasidManager> manager_;
  std::unique_ptr<DmaApi> dma_api_;
  // devices[i]: its type, parsed once, its controller and its driver.
  std::vector<DeviceModelType> device_types_;
  std::vector<std::unique_ptr<sc_core::sc_module>> controllers_;
  std::vector<std::unique_ptr<DeviceDriver>> drivers_;
  std::unique_ptr<DmaOracle> oracle_;
  std::map<std::string, IoasId> ioas_;  // IOASes, and nested_hwpt spaces' nested HWPTs
  std::vector<std::unique_ptr<GuestPageTable>> guest_tables_;
  ContextId attach_context_ = 0;
  int ats_ports_ = 0;
  StatsTimeSeries timeseries_;
  std::optional<std::vector<ConfigError>> stats_errors_;  // set by check_stats()
  bool complete_ = false;
};

}  // namespace iommu_sim
