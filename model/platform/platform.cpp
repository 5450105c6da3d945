#include "model/platform/platform.h"

#include "model/stats_stamp.h"
#include "pcie/topology_report.h"

#include <algorithm>
#include <bit>
#include <random>  // std::seed_seq: its generate() is specified to the bit (C++ [rand.util.seedseq])
#include <set>
#include <stdexcept>

#include "tlm_utils/tlm_quantumkeeper.h"

namespace iommu_sim {

Platform::Platform(const PlatformConfig& config)
    : config_(config),
      mode_(config.mode == "functional" ? TimingMode::Functional : TimingMode::Timed),
      table_frames_(config.host.table_region),
      data_frames_(config.host.data_region) {
  stats_.set_histogram_binning(
      {config.stats.histogram_bins, config.stats.histogram_scale == "log"});
  if (config.stats.warmup_dmas > 0) {
    // At the instant the last unit of the warm-up ends, inside the block
    // that ended it (exact in both modes; platform_run.cpp restarts at a
    // warmup_ns between slices instead).
    stats_.at_work_done(config.stats.warmup_dmas,
                        [this] { stats_.restart(sc_core::sc_time_stamp().value()); });
  }
  tlm_utils::tlm_quantumkeeper::set_global_quantum(ns(config.quantum_ns));
  memory_ = std::make_unique<MemoryController>("memory", config.memory, mode_, stats_);
  iommu_ = std::make_unique<Iommu>("iommu", config.iommu, mode_, config.seed, stats_);
  root_complex_ =
      std::make_unique<RootComplex>("root_complex", ns(config.pcie.root_complex_latency_ns),
                                    config.pcie.mmio_base, config.pcie.mmio_size, stats_);
  host_bus_ = std::make_unique<HostBus>("host");
  // validate() built the same topology, so this cannot fail.
  if (!build_topology(config.pcie, topology_).empty()) {
    throw std::logic_error("platform built from an unvalidated config");
  }
  fabric_ = std::make_unique<PcieFabric>(
      "fabric", topology_,
      FabricTiming{ns(config.pcie.link_latency_ns), ns(config.pcie.switch_latency_ns),
                   ns(config.pcie.root_complex_latency_ns), config.pcie.link_model == "bandwidth"},
      mode_, stats_);

  iommu_->dma_out.bind(root_complex_->from_iommu);
  root_complex_->to_memory.bind(memory_->socket);
  root_complex_->to_fabric.bind(fabric_->from_root_complex);
  fabric_->to_root_complex.bind(root_complex_->root_ports);
  iommu_->table_mem.bind(memory_->socket);
  root_complex_->to_iommu.bind(iommu_->upstream);
  host_bus_->mem.bind(memory_->socket);
  host_bus_->mmio.bind(iommu_->regs);

  // One Endpoint module per function, at the BDF enumeration gave it, its
  // link into the fabric.
  for (std::size_t i = 0; i < topology_.nodes.size(); ++i) {
    const TopoNode& n = topology_.nodes[i];
    if (is_bridge(n.kind)) continue;
    std::string module = n.name;
    std::replace(module.begin(), module.end(), '.', '_');  // '.' separates SystemC names
    auto ep = std::make_unique<Endpoint>(module.c_str(), n.name, n.bdf, n.wire_id, n.ats, n.tags,
                                         fabric_->tlp_sizes(static_cast<int>(i)).mrrs,
                                         ns(n.dma_latency_ns), mode_, config.seed, stats_);
    if (n.ats.enabled) {
      // Invalidate Requests reach the function by the requester ID the
      // host knows it by (the descriptor's SID).
      iommu_->add_device_tlb(n.requester_id.rid(), ats_ports_++);
      iommu_->ats_invalidation.bind(ep->ats_invalidation);
    }
    ep->link.bind(fabric_->function_port(static_cast<int>(i)));
    endpoints_.emplace(n.name, std::move(ep));
  }
  // Each generator's stream is seeded from the one seed and its index.
  std::seed_seq seq{config.seed};
  std::vector<std::uint64_t> seeds(config.workloads.size());
  {
    std::vector<std::uint32_t> raw(config.workloads.size() * 2);
    seq.generate(raw.begin(), raw.end());
    for (std::size_t i = 0; i < seeds.size(); ++i) {
      seeds[i] = static_cast<std::uint64_t>(raw[2 * i]) << 32 | raw[2 * i + 1];
    }
  }
  for (std::size_t i = 0; i < config.workloads.size(); ++i) {
    WorkloadParams w = config.workloads[i];
    if (w.name.empty()) w.name = "wl" + std::to_string(i);
    const std::uint32_t tags = topology_.nodes[topology_.find(w.device)].tags;
    auto gen = std::make_unique<DmaGenerator>(w.name.c_str(), w, mode_, seeds[i], tags, stats_);
    gen->socket.bind(endpoints_.at(w.device)->dma_in);
    workloads_.push_back(std::move(gen));
  }

  // Host set-up before time 0, once every socket is bound: the driver
  // programs the IOMMU through its registers and writes the tables.
  cpus_ = std::make_unique<HostCpus>(config.host.cpus, stats_);
  driver_ = std::make_unique<IommuDriver>(*host_bus_, table_frames_, config.host, *cpus_, stats_);
  manager_ = std::make_unique<IoasidManager>(*host_bus_, *driver_, table_frames_, data_frames_,
                                             config_.host, *cpus_, stats_);
  dma_api_ = std::make_unique<DmaApi>(
      *host_bus_, *driver_, table_frames_, *cpus_, config_.host,
      [this] { return manager_->allocate_domain_id(); }, stats_);
  // The oracle's counters exist in every run (docs/statistics.md); it
  // watches only when enabled.
  oracle_ =
      std::make_unique<DmaOracle>(config.oracle, memory_->store(), *iommu_, topology_, stats_);
  if (config.oracle.enabled) {
    iommu_->set_observer(oracle_.get());
    fabric_->set_peer_observer(oracle_.get());
    manager_->set_change_listener(oracle_.get());
    dma_api_->set_change_listener(oracle_.get());
    for (auto& [name, ep] : endpoints_) ep->set_observer(oracle_.get());
  }
  build_device_models();
  host_bus_->at_start([this] { set_up_host(); });
}

void Platform::build_device_models() {
  for (std::size_t i = 0; i < config_.devices.size(); ++i) {
    const DeviceModelParams& d = config_.devices[i];
    const std::uint32_t queues = d.queues == 0 ? config_.host.cpus : d.queues;
    device_types_.push_back(parse_device_model_type(d.type));
    switch (device_types_.back()) {
      case DeviceModelType::Nvme:
        build_nvme(i, d, queues);
        break;
      case DeviceModelType::Nic:
        build_nic(d, queues);
        break;
      case DeviceModelType::Accelerator:
        build_accelerator(i, d);
        break;
    }
  }
}

void Platform::build_nvme(std::size_t index, const DeviceModelParams& d, std::uint32_t queues) {
  auto controller = std::make_unique<NvmeController>(("dev_" + d.name).c_str(), d, stats_);
  controller->socket.bind(endpoints_.at(d.device)->dma_in);
  std::seed_seq seq{config_.seed, std::uint64_t{0x6e766d65}, std::uint64_t{index}};
  std::array<std::uint64_t, 1> seed{};
  seq.generate(seed.begin(), seed.end());
  drivers_.push_back(std::make_unique<NvmeDriver>(d, queues, *host_bus_, *cpus_, config_.host.cpu,
                                                  *controller, seed[0], stats_));
  controllers_.push_back(std::move(controller));
}

void Platform::build_nic(const DeviceModelParams& d, std::uint32_t queues) {
  auto controller = std::make_unique<NicController>(("dev_" + d.name).c_str(), d, queues, stats_);
  controller->socket.bind(endpoints_.at(d.device)->dma_in);
  drivers_.push_back(std::make_unique<NicDriver>(d, queues, *host_bus_, *cpus_, config_.host.cpu,
                                                 *controller, stats_));
  controllers_.push_back(std::move(controller));
}

// An accelerator's device is a DMA engine streaming over its buffer; its
// statistics are the engine's (workload.<name>.*).
void Platform::build_accelerator(std::size_t index, const DeviceModelParams& d) {
  WorkloadParams w;
  w.name = d.name;
  w.device = d.device;
  w.pasid_present = false;
  w.pattern = "sequential";
  w.base = 0;  // the driver programs the buffer's bus address at set-up
  w.span = d.buffer_size;
  w.count = d.count;
  w.size = static_cast<std::uint32_t>(kDmaPageBytes);
  w.write_fraction = d.write_fraction;
  w.outstanding = d.queue_depth;
  w.start_ns = d.start_ns;
  std::seed_seq seq{config_.seed, std::uint64_t{0x616363}, std::uint64_t{index}};
  std::array<std::uint64_t, 1> seed{};
  seq.generate(seed.begin(), seed.end());
  const std::uint32_t tags = topology_.nodes[topology_.find(d.device)].tags;
  auto engine =
      std::make_unique<DmaGenerator>(("dev_" + d.name).c_str(), w, mode_, seed[0], tags, stats_);
  engine->socket.bind(endpoints_.at(d.device)->dma_in);
  drivers_.push_back(std::make_unique<AcceleratorDriver>(d, *engine));
  controllers_.push_back(std::move(engine));
}

void Platform::start_device_models() {
  const bool remapping = config_.host.dma_remapping == "on";
  for (std::size_t i = 0; i < drivers_.size(); ++i) {
    const DeviceModelParams& d = config_.devices[i];
    const TopoNode& n = topology_.nodes[topology_.find(d.device)];
    int handle = -1;
    if (remapping) {
      const auto a = dma_api_->attach({d.device, n.requester_id, n.group, n.ats.enabled});
      if (!a.status.ok())
        throw std::logic_error("DMA API attach " + d.device + ": " + a.status.message);
      handle = a.handle;
    }
    DmaApi* dma = remapping ? dma_api_.get() : nullptr;
    if (device_types_[i] == DeviceModelType::Accelerator) {
      dynamic_cast<AcceleratorDriver&>(*drivers_[i]).start(data_frames_, dma, handle);
      continue;
    }
    if (device_types_[i] == DeviceModelType::Nic) {
      NicController& c = nic_controller(i);
      nic_driver(i).start(
          data_frames_,
          [&c](std::uint32_t k, std::uint64_t rx, std::uint64_t tx, std::uint32_t depth,
               std::uint32_t rx_tail,
               InterruptLine& irq) { c.create_queue_pair(k, rx, tx, depth, rx_tail, irq); },
          dma, handle);
      continue;
    }
    NvmeController& c = nvme_controller(i);
    nvme_driver(i).start(
        data_frames_,
        [&c](std::uint16_t qid, std::uint64_t sq, std::uint64_t cq, std::uint32_t depth,
             InterruptLine& irq) { c.create_queue_pair(qid, sq, cq, depth, irq); },
        dma, handle);
  }
}

void Platform::set_up_host() {
  // intel_iommu=off: the driver never initialises the IOMMU, so GSTS.TES
  // stays 0 and DMA reaches memory at the address the device sends.
  if (config_.host.dma_remapping == "on") program_remapping();
  start_device_models();
  warm_host_caches();
}

namespace {

// Host set-up at start: validate() rules out every user error, so a
// failure here is a bug.
void check(const Status& s, const std::string& what) {
  if (!s.ok()) throw std::logic_error(what + ": " + s.message);
}

}  // namespace

void Platform::program_remapping() {
  check(driver_->init(), "IOMMU driver init");
  for (const auto& as : config_.address_spaces) {
    // A guest-owned table is built once a context holds the device that
    // allocates its HWPTs (attach below).
    if (as.translation == "nested_hwpt") continue;
    IoasOptions options;
    options.translation = as.translation == "second_level" ? IoasTranslation::SecondLevel
                          : as.translation == "nested"     ? IoasTranslation::Nested
                                                           : IoasTranslation::FirstLevel;
    options.levels = as.levels;
    options.max_page_shift = static_cast<std::uint8_t>(std::countr_zero(as.page_size));
    if (options.translation == IoasTranslation::Nested) options.parent = ioas_.at(as.parent);
    const auto created = manager_->create_ioas(options);
    check(created.status, "create " + as.name);
    const IoasId id = created.id;
    ioas_.emplace(as.name, id);
    for (const auto& m : as.mappings) {
      check(manager_->map(id, m.iova, m.size, m.writable), "map in " + as.name);
    }
  }
  // The config's attachments go through one context, as a VMM would use
  // iommufd: bind every device of the group (labelled by its name), then
  // attach. Functions behind one bridge share a requester ID and so an
  // attachment (validate() refused sending them to different IOASes).
  std::vector<HostDevice> devices;
  for (const TopoNode& n : topology_.nodes) {
    if (!is_bridge(n.kind)) devices.push_back({n.name, n.requester_id, n.group, n.ats.enabled});
  }
  manager_->set_devices(devices);
  if (config_.attach.empty()) return;
  attach_context_ = manager_->open_context();
  const ContextId ctx = attach_context_;
  std::set<int> bound_groups;
  for (const auto& a : config_.attach) {
    const int group = topology_.nodes[topology_.find(a.device)].group;
    if (bound_groups.insert(group).second) {
      for (const int i : topology_.groups[group]) {
        const std::string& name = topology_.nodes[i].name;
        if (topology_.is_function(i)) check(manager_->bind(ctx, name, name), "bind " + name);
      }
    }
    if (!ioas_.contains(a.ioas)) build_guest_owned(ctx, a.device, a.ioas);
    check(manager_->attach_device(ctx, a.device, a.pasid, ioas_.at(a.ioas)), "attach " + a.device);
  }
}

// A VM with a virtual IOMMU (address_spaces[].translation nested_hwpt): a
// nest-parent HWPT over the second-level IOAS holding the guest's memory,
// the guest's own first-level table in that memory (tables from the start
// of guest memory, mapped pages after them), and a nested HWPT on the two,
// which the config's attachments then use like an IOAS.
void Platform::build_guest_owned(ContextId ctx, const std::string& label, const std::string& name) {
  const AddressSpaceParams& as =
      *std::find_if(config_.address_spaces.begin(), config_.address_spaces.end(),
                    [&](const auto& p) { return p.name == name; });
  const AddressSpaceParams& parent =
      *std::find_if(config_.address_spaces.begin(), config_.address_spaces.end(),
                    [&](const auto& p) { return p.name == as.parent; });
  const IoasId memory = ioas_.at(as.parent);
  const auto nest_parent = manager_->alloc_hwpt(ctx, label, memory, true);
  check(nest_parent.status, "nest-parent HWPT for " + name);
  const std::uint64_t start = parent.mappings.front().iova;
  auto table = std::make_unique<GuestPageTable>(*host_bus_, *manager_, memory, start, as.levels);
  const std::uint64_t page = as.page_size;
  FrameAllocator pages((start + guest_table_bytes(as) + page - 1) / page * page);
  const auto max_shift = static_cast<std::uint8_t>(std::countr_zero(page));
  for (const MappingParams& m : as.mappings) {
    const std::uint64_t gpa = pages.allocate(m.size, m.size >= page ? page : 4096);
    table->map_range(m.iova, gpa, m.size, max_shift, m.writable);
  }
  const auto nested =
      manager_->alloc_nested_hwpt(ctx, label, nest_parent.id, VtdStage1{table->root(), as.levels});
  check(nested.status, "nested HWPT for " + name);
  ioas_.emplace(name, nested.id);
  guest_tables_.push_back(std::move(table));
}

void Platform::warm_host_caches() {
  for (const WorkloadParams& w : config_.workloads) {
    if (w.host_cache != "warm") continue;
    // A sequential CPU pass over the window leaves its last llc_bytes in an
    // LRU cache.
    const std::uint64_t warm = std::min(w.span, config_.memory.llc_bytes);
    mark_llc_resident(w, w.base + w.span - warm, w.base + w.span);
  }
}

void Platform::mark_llc_resident(const WorkloadParams& w, std::uint64_t lo, std::uint64_t hi) {
  if (config_.host.dma_remapping == "off") {
    memory_->mark_llc_resident(lo, hi - lo);  // DMA addresses are physical
    return;
  }
  // The window's IOVAs map page by page to physical memory through the
  // address space the workload's (device, PASID) is attached to; requests
  // without PASID use RID_PASID, attached as PASID 0.
  const std::uint32_t pasid = w.pasid_present ? w.pasid : 0;
  const auto a =
      std::find_if(config_.attach.begin(), config_.attach.end(),
                   [&](const AttachParams& p) { return p.device == w.device && p.pasid == pasid; });
  if (a == config_.attach.end()) return;  // its DMAs fault: nothing to warm
  const IoasId ioas = ioas_.at(a->ioas);
  for (std::uint64_t at = lo; at < hi;) {
    const std::uint64_t end = std::min(hi, (at / kDmaPageBytes + 1) * kDmaPageBytes);
    if (const auto physical = manager_->physical(ioas, at)) {
      memory_->mark_llc_resident(*physical, end - at);
    }
    at = end;
  }
}

Platform::~Platform() = default;

nlohmann::json Platform::stats_json() const {
  PlatformConfig copy = config_;
  nlohmann::json out;
  out["config"] = dump_config(copy);
  out["config_hash"] = hex64(fnv1a_64(out["config"].dump()));
  out["version"] = simulator_version();
  out["git_commit"] = simulator_git_commit();
  out["complete"] = complete_;
  out["simulated_time_ns"] = sc_core::sc_time_stamp().to_seconds() * 1e9;
  // When the statistics start: 0 without a warm-up, null while a
  // configured warm-up has not ended.
  const bool warmup = config_.stats.warmup_dmas > 0 || config_.stats.warmup_ns > 0;
  out["warmup_end_ns"] = stats_.restarted() ? nlohmann::json(stats_.epoch_ps() / 1000.0)
                         : warmup           ? nlohmann::json(nullptr)
                                            : nlohmann::json(0.0);
  out["stats"] = stats_.to_json();
  out["topology"] = topology_json(topology_);
  out["oracle"] = oracle_->to_json();
  return out;
}

}  // namespace iommu_sim
