#include "model/host/dma_api.h"

#include "iommu/formats/vtd_pasid.h"
#include "iommu/formats/vtd_registers.h"
#include "model/host/host_trace.h"

namespace iommu_sim {

namespace {

constexpr std::uint64_t kPage = 4096;
constexpr unsigned kLevels = 4;  // 48-bit first-level table
// The IOVAs it can translate: the canonical lower half, bits 46:0 (VT-d
// spec 3.6.1: bits 63:47 must equal bit 47, so 2^47 and up is
// non-canonical, fault 0x80). Linux's first-stage domains skip bit 47 the
// same way (aperture_end = __DOMAIN_MAX_ADDR(gaw - 1)).
constexpr unsigned kAddressBits = 47;
constexpr std::uint32_t kRidPasid = 0;  // requests without PASID
enum Notice { kChanging, kSettled, kReturned };

std::uint64_t pages_of(std::uint64_t address, std::uint64_t length) {
  return ((address % kPage) + length + kPage - 1) / kPage;
}

}  // namespace

DmaApiMode parse_dma_api_mode(std::string_view mode) {
  if (mode == "identity") return DmaApiMode::Identity;
  if (mode == "lazy") return DmaApiMode::Lazy;
  return DmaApiMode::Strict;
}

struct DmaApi::Domain {
  std::uint16_t did = 0;
  std::unique_ptr<PageTable> table;
  std::unique_ptr<IovaAllocator> iova;
  std::unique_ptr<FlushQueue> fq;
  std::map<std::uint64_t, std::uint64_t> mapped;  // first IOVA -> pages
  std::vector<Bdf> requesters;
  std::optional<Bdf> device_tlb;
};

DmaApi::DmaApi(HostBus& bus, IommuDriver& driver, FrameAllocator& tables, HostCpus& cpus,
               const HostParams& params, std::function<std::optional<std::uint16_t>()> allocate_did,
               StatsRegistry& stats)
    : bus_(bus),
      driver_(driver),
      tables_(tables),
      cpus_(cpus),
      params_(params),
      mode_(parse_dma_api_mode(params.dma_api)),
      allocate_did_(std::move(allocate_did)) {
  stats.counter("host.dma_api.maps", &maps_, "dma_map calls of the device models' drivers");
  stats.counter("host.dma_api.unmaps", &unmaps_, "dma_unmap calls of the device models' drivers");
  stats.counter("host.dma_api.map_failures", &map_failures_,
                "dma_map calls that found no free IOVA range");
  stats.histogram("host.dma_api.map_time", &map_time_, "ns",
                  "from calling dma_map to its return, waits included", 1000.0);
  stats.histogram("host.dma_api.unmap_time", &unmap_time_, "ns",
                  "from calling dma_unmap to its return: strict includes the invalidation wait",
                  1000.0);
  iova_stats_.register_stats(stats);
  fq_stats_.register_stats("host.fq", stats);
}

DmaApi::~DmaApi() = default;

std::unique_ptr<DmaApi::Domain> DmaApi::make_domain() {
  auto d = std::make_unique<Domain>();
  const auto did = allocate_did_();
  if (!did) return nullptr;
  d->did = *did;
  if (mode_ == DmaApiMode::Identity) return d;
  d->table = std::make_unique<PageTable>(bus_, tables_, PageTableFormat::FirstLevel, kLevels);
  d->iova = std::make_unique<IovaAllocator>(cpus_.count(), kAddressBits, params_.cpu, iova_stats_);
  if (mode_ == DmaApiMode::Lazy) {
    Domain* raw = d.get();
    FlushQueue::Hooks hooks{
        [this, raw] { return flush_domain(*raw); },
        [this, raw](FlushQueue::Entry& e) { notify(*raw, e.iova, e.iova + e.length, kSettled); },
        [this, raw](HostCpu& cpu, FlushQueue::Entry& e) {
          for (const std::uint64_t frame : e.freed_tables) tables_.release(frame);
          raw->iova->free(cpu, e.iova, e.length / kPage);
        }};
    d->fq = std::make_unique<FlushQueue>(cpus_, params_.flush_queue_size, params_.flush_timeout_ns,
                                         params_.cpu, fq_stats_, fq_timers_, std::move(hooks));
  }
  return d;
}

DmaApi::Attached DmaApi::attach(const DmaDevice& device) {
  // First-level superpages: 2 MiB always, 1 GiB with CAP.FL1GP (VT-d spec
  // 11.4.2), as Linux's domain->iommu_superpage.
  max_leaf_shift_ = iommu::vtd::CapRegister::decode(driver_.cap()).fl1gp ? 30 : 21;
  auto [it, fresh] = domains_.try_emplace(device.group);
  if (fresh) it->second = make_domain();
  if (!it->second) {
    domains_.erase(it);
    return {Status::error(ENOSPC, "DMA API: no domain ID left for " + device.name +
                                      "'s IOMMU group (iommu.domain_id_bits)")};
  }
  Domain& d = *it->second;
  if (Status s = attach_domain(d, device); !s.ok()) return {s};
  d.requesters.push_back(device.requester_id);
  if (device.ats && !d.device_tlb) d.device_tlb = device.requester_id;
  devices_.push_back({device, &d});
  return {Status::success(), static_cast<int>(devices_.size() - 1)};
}

Status DmaApi::attach_domain(Domain& d, const DmaDevice& device) {
  PasidSetup setup;
  setup.did = d.did;
  setup.device_tlb = device.ats;
  if (mode_ == DmaApiMode::Identity) {
    setup.pgtt = iommu::vtd::Pgtt::PassThrough;
  } else {
    setup.pgtt = iommu::vtd::Pgtt::FirstLevel;
    setup.fl_root = d.table->root();
    setup.fl_levels = kLevels;
  }
  return driver_.set_pasid_entry(device.requester_id, kRidPasid, setup);
}

DmaApi::Mapped DmaApi::map(int handle, std::uint64_t physical, std::uint64_t length,
                           bool writable) {
  Domain& d = *devices_.at(static_cast<std::size_t>(handle)).domain;
  ++maps_;
  // dma-direct: the bus address is the physical one, nothing to do.
  if (mode_ == DmaApiMode::Identity) return {Status::success(), physical};
  HostCpu& cpu = cpus_.current();
  const HostCpu::Run run(cpu);
  TracedCall traced;
  if (trace::on(trace::Category::Host)) [[unlikely]]
    traced.begin(cpu, "dma_api.map", {{"physical", physical}, {"length", length}});
  const std::uint64_t start_ps = sc_core::sc_time_stamp().value();
  {
    const HostCpu::Activity mapping(cpu, CpuWork::Map);
    HostCpu::spend_ns(params_.cpu.map_call_ns);
  }
  const std::uint64_t pages = pages_of(physical, length);
  const std::uint64_t iova = d.iova->allocate(cpu, pages);
  if (iova == 0) {
    ++map_failures_;
    return {Status::error(ENOMEM,
                          "DMA API: no free IOVA range of " + std::to_string(pages) + " pages")};
  }
  {
    const HostCpu::Activity mapping(cpu, CpuWork::Map);
    write_leaves(d, iova, physical - physical % kPage, pages, writable);
  }
  d.mapped.emplace(iova, pages);
  map_time_.record(sc_core::sc_time_stamp().value() - start_ps);
  return {Status::success(), iova + physical % kPage};
}

void DmaApi::write_leaves(Domain& d, std::uint64_t iova, std::uint64_t physical,
                          std::uint64_t pages, bool writable) {
  const std::uint64_t entries = d.table->entries_written();
  const std::uint64_t tables = d.table->tables_allocated();
  d.table->map_range(iova, physical, pages * kPage, max_leaf_shift_, writable);
  HostCpu::spend_ns(
      params_.cpu.pte_write_ns * static_cast<double>(d.table->entries_written() - entries) +
      params_.cpu.table_alloc_ns * static_cast<double>(d.table->tables_allocated() - tables));
}

Status DmaApi::unmap(int handle, std::uint64_t address, std::uint64_t length) {
  Domain& d = *devices_.at(static_cast<std::size_t>(handle)).domain;
  if (mode_ == DmaApiMode::Identity) {
    ++unmaps_;
    return Status::success();
  }
  const std::uint64_t lo = address - address % kPage;
  const std::uint64_t pages = pages_of(address, length);
  const auto it = d.mapped.find(lo);
  if (it == d.mapped.end() || it->second != pages) {
    return Status::error(EINVAL, "DMA API: unmap of " + std::to_string(length) + " bytes at " +
                                     std::to_string(address) + " is not a mapping map() made");
  }
  ++unmaps_;
  d.mapped.erase(it);
  HostCpu& cpu = cpus_.current();
  const HostCpu::Run run(cpu);
  TracedCall traced;
  if (trace::on(trace::Category::Host)) [[unlikely]]
    traced.begin(cpu, "dma_api.unmap", {{"address", address}, {"length", length}});
  const std::uint64_t start_ps = sc_core::sc_time_stamp().value();
  const std::uint64_t hi = lo + pages * kPage;
  std::vector<std::uint64_t> freed;
  {
    const HostCpu::Activity unmapping(cpu, CpuWork::Unmap);
    HostCpu::spend_ns(params_.cpu.unmap_call_ns);
    notify(d, lo, hi, kChanging);
    const std::uint64_t entries = d.table->entries_written();
    d.table->unmap_range(lo, hi, freed);
    HostCpu::spend_ns(params_.cpu.pte_write_ns *
                      static_cast<double>(d.table->entries_written() - entries));
  }
  Status s = Status::success();
  if (mode_ == DmaApiMode::Lazy) {
    const HostCpu::Activity unmapping(cpu, CpuWork::Unmap);
    s = d.fq->add(cpu, FlushQueue::Entry{lo, hi - lo, std::move(freed)});
    notify(d, lo, hi, kReturned);
  } else {
    // iommu_iotlb_sync: the range, IH set when no table page was freed.
    s = driver_.flush_range(d.did, kRidPasid, lo, hi - lo, false, freed.empty(), d.device_tlb);
    notify(d, lo, hi, kSettled);
    for (const std::uint64_t frame : freed) tables_.release(frame);
    d.iova->free(cpu, lo, pages);
  }
  unmap_time_.record(sc_core::sc_time_stamp().value() - start_ps);
  return s;
}

Status DmaApi::flush_domain(Domain& d) {
  // fq_flush_iotlb: iommu_flush_iotlb_all, one invalidation of the domain.
  return driver_.flush_range(d.did, kRidPasid, 0, 1ull << kAddressBits, false, false, d.device_tlb);
}

void DmaApi::notify(Domain& d, std::uint64_t lo, std::uint64_t hi, int what) {
  if (listener_ == nullptr) return;
  for (const Bdf rid : d.requesters) {
    const std::uint16_t r = rid.rid();
    if (what == kChanging) listener_->changing(r, kRidPasid, lo, hi);
    if (what == kSettled) listener_->settled(r, kRidPasid, lo, hi);
    if (what == kReturned) listener_->unmap_returned(r, kRidPasid, lo, hi);
  }
}

}  // namespace iommu_sim
