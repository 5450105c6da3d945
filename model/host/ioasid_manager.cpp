#include "model/host/ioasid_manager.h"

#include "model/host/ioas_format.h"

#include <algorithm>
#include <initializer_list>
#include <limits>
#include <stdexcept>
#include <utility>

#include "iommu/formats/vtd_registers.h"
#include "model/hex.h"
#include "model/host/host_trace.h"

namespace iommu_sim {

namespace vtd = iommu::vtd;

namespace {
constexpr std::uint64_t kPage = 4096;

// iommufd_ioas_map, _copy and _unmap take IOVAs and lengths as u64 and
// work in unsigned long: ULONG_MAX itself is EOVERFLOW, before anything
// else is looked at.
Status check_ulong_max(std::initializer_list<std::pair<const char*, std::uint64_t>> fields) {
  for (const auto& [name, value] : fields) {
    if (value == std::numeric_limits<std::uint64_t>::max()) {
      return Status::error(EOVERFLOW, std::string(name) + " " + hex(value) + " is ULONG_MAX");
    }
  }
  return Status::success();
}
}  // namespace

IoasidManager::IoasidManager(HostBus& bus, IommuDriver& driver, FrameAllocator& tables,
                             FrameAllocator& data, const HostParams& params, HostCpus& cpus,
                             StatsRegistry& stats)
    : bus_(bus),
      driver_(driver),
      tables_(tables),
      data_(data),
      cpus_(cpus),
      params_(params),
      lazy_(params.unmap == "lazy"),
      invalidate_before_clear_(params.bug == "invalidation_before_clear"),
      free_tables_early_(params.bug == "table_freed_before_flush"),
      reuse_before_flush_(params.bug == "lazy_reuse_before_flush") {
  fq_stats_.register_stats("host.ioas.fq", stats);
}

IoasidManager::AddressSpace* IoasidManager::find(IoasId id) {
  auto it = spaces_.find(id);
  return it == spaces_.end() ? nullptr : it->second.get();
}

IoasidManager::~IoasidManager() = default;

// Simulator only: IOMMU_IOAS_ALLOC takes no format (Linux picks levels and
// page sizes from CAP itself), so these refusals have no iommufd errno;
// EINVAL for what no VT-d table has, ENODEV for what this IOMMU lacks.
Status IoasidManager::check_options(const IoasOptions& o) const {
  const auto cap = vtd::CapRegister::decode(driver_.cap());
  if (!ioas_format::is_page_shift(o.max_page_shift)) {
    return Status::error(EINVAL, "page size 2^" + std::to_string(o.max_page_shift) +
                                     " is not 4 KiB, 2 MiB or 1 GiB");
  }
  if (o.translation == IoasTranslation::SecondLevel) {
    if (auto why = ioas_format::levels_error(true, o.levels)) return Status::error(EINVAL, *why);
    // VT-d spec 11.4.2: SAGAW bit (levels - 2), SLLPS bit 0 (2 MiB), 1 (1 GiB).
    if ((cap.sagaw & (1u << (o.levels - 2))) == 0) {
      return Status::error(ENODEV, "the IOMMU does not offer " + std::to_string(o.levels) +
                                       "-level second-level tables (CAP.SAGAW)");
    }
    if ((o.max_page_shift == 21 && (cap.sllps & 1) == 0) ||
        (o.max_page_shift == 30 && (cap.sllps & 2) == 0)) {
      return Status::error(ENODEV, "the IOMMU lacks that second-level page size (CAP.SLLPS)");
    }
    return Status::success();
  }
  if (auto why = ioas_format::levels_error(false, o.levels)) return Status::error(EINVAL, *why);
  if (o.levels == 5 && !cap.fl5lp) {
    return Status::error(ENODEV,
                         "the IOMMU does not offer 5-level first-level paging "
                         "(CAP.FL5LP=0; iommu.address_width below 57)");
  }
  if (o.max_page_shift == 30 && !cap.fl1gp) {
    return Status::error(ENODEV, "the IOMMU lacks 1 GiB first-level pages (CAP.FL1GP=0)");
  }
  return Status::success();
}

Status IoasidManager::no_ioas(IoasId id) {
  return Status::error(ENOENT, "no IOAS with id " + std::to_string(id));
}

// Linux's domain_attach_iommu() answers an exhausted domain ID allocator
// with ENOSPC (when the domain is first attached; here when it is made).
DomainIds& IoasidManager::dids() const {
  if (!dids_) dids_.emplace(vtd::CapRegister::decode(driver_.cap()).nd);
  return *dids_;
}

Status IoasidManager::no_domain_id(const std::string& what) const {
  return Status::error(ENOSPC, "no domain ID left for " + what + ": the IOMMU's " +
                                   std::to_string(dids().capacity()) +
                                   " (CAP.ND, iommu.domain_id_bits) are all in use");
}

IoasCreated IoasidManager::create_ioas(const IoasOptions& options) {
  const HostLock::Guard guard(lock_);
  TracedCall traced;
  if (trace::on(trace::Category::Host)) [[unlikely]]
    traced.begin(cpus_.current(), "ioas.create", {{"levels", options.levels}});
  // An owner that is not open is an ioctl on a closed file descriptor:
  // EBADF before any argument is looked at.
  if (options.owner != 0 && owners_.find(options.owner) == nullptr) {
    return {DeviceOwnership::no_context(options.owner)};
  }
  if (Status s = check_options(options); !s.ok()) return {s};
  // Checked before anything is built: a failed call changes nothing.
  if (!dids().allocate_would_succeed()) return {no_domain_id("a new IOAS")};
  auto as = std::make_unique<AddressSpace>();
  as->options = options;
  if (options.translation == IoasTranslation::Nested) {
    // As a nested HWPT on anything but a nest parent: EINVAL, whether the
    // parent is missing (iommufd_hwpt_alloc) or of the wrong kind
    // (iommufd_hwpt_nested_alloc). An object refers only to objects its
    // owner finds (a file's objects never reach into another file's), so
    // another context's parent is missing too.
    AddressSpace* parent =
        lookup(options.owner, options.parent) == options.parent ? find(options.parent) : nullptr;
    if (parent == nullptr || parent->options.translation != IoasTranslation::SecondLevel) {
      return {Status::error(EINVAL, "nested IOAS needs a second-level parent; " +
                                        std::to_string(options.parent) + " is not one")};
    }
    // Simulator only (the manager writes the guest's tables into the
    // parent's first mapping): nothing there, or no room left.
    if (parent->iovas->areas().empty()) {
      return {Status::error(
          ENOENT, "parent IOAS " + std::to_string(options.parent) + " maps no guest memory")};
    }
    if (!parent->guest_frames) {
      const auto& [ram, area] = *parent->iovas->areas().begin();
      parent->guest_frames = std::make_unique<FrameAllocator>(ram);
      parent->guest_memory_start = ram;
      parent->guest_memory_end = ram + area.length;
    }
    if (parent->guest_frames->next() + kPage > parent->guest_memory_end) {
      return {Status::error(ENOMEM, "guest memory of the parent IOAS is exhausted")};
    }
    as->guest_memory = parent->guest_frames.get();
    // The guest writes its tables at guest-physical addresses; they land
    // where the parent's second-level table maps them.
    auto memory = [parent](std::uint64_t gpa) {
      auto m = parent->table->lookup(gpa);
      if (!m) throw std::logic_error("guest table page " + hex(gpa) + " is not in guest memory");
      return m->physical;
    };
    as->table = std::make_unique<PageTable>(bus_, *as->guest_memory, PageTableFormat::FirstLevel,
                                            options.levels, memory);
    parent->children.push_back(next_id_);
  } else {
    const auto format = options.translation == IoasTranslation::SecondLevel
                            ? PageTableFormat::SecondLevel
                            : PageTableFormat::FirstLevel;
    as->table = std::make_unique<PageTable>(bus_, tables_, format, options.levels);
  }
  as->iovas = std::make_unique<IovaMap>(
      iova_limit(options), "the IOAS's " + std::to_string(options.levels) + "-level table");
  if (lazy_) as->fq = make_flush_queue(*as);
  as->did = *dids().allocate();
  const IoasId id = next_id_++;
  spaces_.emplace(id, std::move(as));
  return {Status::success(), id};
}

std::uint64_t IoasidManager::iova_limit(const IoasOptions& o) {
  return ioas_format::iova_limit(o.translation == IoasTranslation::SecondLevel, o.levels);
}

Status IoasidManager::map(IoasId ioas, std::uint64_t iova, std::uint64_t length, bool writable) {
  return map_user(ioas,
                  iommufd::kIoasMapFixedIova | iommufd::kIoasMapReadable |
                      (writable ? iommufd::kIoasMapWriteable : 0u),
                  iova, length)
      .status;
}

IoasidManager::Mapped IoasidManager::map_user(IoasId ioas, std::uint32_t flags, std::uint64_t iova,
                                              std::uint64_t length) {
  const HostLock::Guard guard(lock_);
  TracedCall traced;
  if (trace::on(trace::Category::Host)) [[unlikely]]
    traced.begin(cpus_.current(), "ioas.map",
                 {{"ioas", ioas}, {"flags", flags}, {"iova", iova}, {"length", length}});
  // iommufd_ioas_map's checks, before it looks the IOAS up: unknown flags
  // EOPNOTSUPP, ULONG_MAX EOVERFLOW, no permission EINVAL.
  constexpr std::uint32_t kKnown =
      iommufd::kIoasMapFixedIova | iommufd::kIoasMapWriteable | iommufd::kIoasMapReadable;
  if ((flags & ~kKnown) != 0) {
    return {Status::error(EOPNOTSUPP, "unknown IOMMU_IOAS_MAP flags " + hex(flags & ~kKnown))};
  }
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  if (Status s = check_ulong_max({{"iova", iova}, {"length", length}}); !s.ok()) return {s};
  if ((flags & (iommufd::kIoasMapWriteable | iommufd::kIoasMapReadable)) == 0) {
    return {Status::error(EINVAL, "a mapping must be READABLE, WRITEABLE or both")};
  }
  AddressSpace* as = find(ioas);
  if (as == nullptr) return {no_ioas(ioas)};
  const std::uint64_t big = 1ull << as->options.max_page_shift;
  const std::uint64_t align = length >= big ? big : kPage;
  if ((flags & iommufd::kIoasMapFixedIova) == 0) {
    // iopt_alloc_area_pages, then iopt_alloc_iova.
    if (length == 0 || length % kPage != 0) {
      return {
          Status::error(EINVAL, "length " + hex(length) + " must be a non-zero multiple of 4 KiB")};
    }
    if (length >= kMax / 2) {
      return {Status::error(EOVERFLOW, "length " + hex(length) + " reaches 2^63")};
    }
    const auto where = as->iovas->find_free(length, align, reuse_before_flush_);
    if (!where) return {Status::error(ENOSPC, "no free IOVA range of " + hex(length) + " bytes")};
    iova = *where;
  }
  if (Status s = as->iovas->check_free(iova, length, reuse_before_flush_); !s.ok()) return {s};
  FrameAllocator& memory = as->guest_memory ? *as->guest_memory : data_;
  if (as->guest_memory) {
    // Room for the pages and every table the walk down to them may need.
    const std::uint64_t start = (memory.next() + align - 1) & ~(align - 1);
    std::uint64_t tables = 0;
    for (unsigned k = 1; k < as->options.levels; ++k) tables += (length >> (12 + 9 * k)) + 2;
    // Simulator only: the guest's memory is the budget of a nested IOAS.
    if (start + length + tables * kPage > spaces_.at(as->options.parent)->guest_memory_end) {
      return {Status::error(ENOMEM, "guest memory of the parent IOAS is exhausted")};
    }
  }
  write_area(*as, iova,
             {length, memory.allocate(length, align), (flags & iommufd::kIoasMapWriteable) != 0,
              (flags & iommufd::kIoasMapReadable) != 0});
  return {Status::success(), iova};
}

IoasidManager::TableWork IoasidManager::table_work(AddressSpace& as) {
  TableWork w;
  for (const PageTable* t : tables_of(as)) {
    w.entries += t->entries_written();
    w.tables += t->tables_allocated();
  }
  return w;
}

void IoasidManager::charge(AddressSpace& as, CpuWork work, const TableWork& before) {
  const TableWork after = table_work(as);
  HostCpu& cpu = cpus_.current();
  const HostCpu::Run run(cpu);
  const HostCpu::Activity activity(cpu, work);
  HostCpu::spend_ns(params_.cpu.pte_write_ns * static_cast<double>(after.entries - before.entries) +
                    params_.cpu.table_alloc_ns * static_cast<double>(after.tables - before.tables));
}

void IoasidManager::write_area(AddressSpace& as, std::uint64_t iova, const IovaMap::Area& area) {
  const TableWork before = table_work(as);
  for (PageTable* t : tables_of(as)) {
    t->map_range(iova, area.physical, area.length, as.options.max_page_shift, area.writable,
                 area.readable);
  }
  charge(as, CpuWork::Map, before);
  as.iovas->add(iova, area);
  // A mapping is live once written: no DMA may use what was there before
  // (a lazily unmapped translation in particular).
  notify_settled(affected(as, iova, iova + area.length));
}

std::vector<PageTable*> IoasidManager::tables_of(AddressSpace& as) {
  std::vector<PageTable*> out{as.table.get()};
  for (HwptId h : as.hwpts) out.push_back(hwpts_.at(h)->table.get());
  return out;
}

Status IoasidManager::copy(IoasId dst, std::uint64_t dst_iova, IoasId src, std::uint64_t src_iova,
                           std::uint64_t length) {
  const HostLock::Guard guard(lock_);
  TracedCall traced;
  if (trace::on(trace::Category::Host)) [[unlikely]]
    traced.begin(cpus_.current(), "ioas.copy",
                 {{"dst", dst},
                  {"dst_iova", dst_iova},
                  {"src", src},
                  {"src_iova", src_iova},
                  {"length", length}});
  if (Status st =
          check_ulong_max({{"length", length}, {"src_iova", src_iova}, {"dst_iova", dst_iova}});
      !st.ok()) {
    return st;
  }
  // Simulator only: a nested IOAS maps guest-physical addresses.
  auto nested = [](IoasId id) {
    return Status::error(EINVAL, "IOAS " + std::to_string(id) +
                                     " is nested: it maps guest-physical memory; copy needs host "
                                     "IOASes");
  };
  // iommufd_ioas_copy() takes the source's pages (iopt_get_pages) before
  // it looks at the destination. The source range must be mapped all
  // through; the copy maps the same memory, area by area.
  AddressSpace* s = find(src);
  if (s == nullptr) return no_ioas(src);
  if (s->guest_memory != nullptr) return nested(src);
  const IovaMap::Pieces source = s->iovas->pieces(src_iova, length);
  if (!source.status.ok()) return source.status;
  AddressSpace* d = find(dst);
  if (d == nullptr) return no_ioas(dst);
  if (d->guest_memory != nullptr) return nested(dst);
  if (Status st = d->iovas->check_free(dst_iova, length, reuse_before_flush_); !st.ok()) return st;
  // iopt_insert_area(): the source must start on a page of its memory.
  if (src_iova % kPage != 0) {
    return Status::error(EINVAL, "src_iova " + hex(src_iova) + " is not 4 KiB aligned");
  }
  for (const auto& [offset, area] : source.pieces) write_area(*d, dst_iova + offset, area);
  return Status::success();
}

Status IoasidManager::destroy_ioas(IoasId ioas) {
  const HostLock::Guard guard(lock_);
  TracedCall traced;
  if (trace::on(trace::Category::Host)) [[unlikely]]
    traced.begin(cpus_.current(), "ioas.destroy", {{"ioas", ioas}});
  // IOMMU_DESTROY: iommufd_object_remove() refuses an ID nothing has with
  // ENOENT and an object someone holds (an attachment, a nested IOAS or a
  // HWPT on it) with EBUSY.
  AddressSpace* as = find(ioas);
  if (as == nullptr) return no_ioas(ioas);
  if (!as->attached.empty()) {
    return Status::error(EBUSY, "IOAS " + std::to_string(ioas) + " has " +
                                    std::to_string(as->attached.size()) + " attachment(s)");
  }
  if (!as->children.empty()) {
    return Status::error(EBUSY, "IOAS " + std::to_string(ioas) + " is the parent of a nested IOAS");
  }
  if (!as->hwpts.empty()) {
    return Status::error(
        EBUSY, "IOAS " + std::to_string(ioas) + " holds HWPT " + std::to_string(as->hwpts.front()));
  }
  if (Status s = flush_domain(as->did, as->ever_attached); !s.ok()) return s;
  const std::uint16_t did = as->did;
  if (as->options.translation == IoasTranslation::Nested) {
    std::erase(spaces_.at(as->options.parent)->children, ioas);
  }
  if (as->fq) {
    // Nothing is attached, so nothing can use what the queue holds: its
    // IOVAs and table pages go back unflushed (iommu_dma_free_fq).
    as->fq->close(cpus_.current());
    closed_queues_.push_back(std::move(as->fq));
  }
  spaces_.erase(ioas);
  dids().release(did);
  return Status::success();
}

Status IoasidManager::unmap(IoasId ioas, std::uint64_t iova, std::uint64_t length,
                            std::uint64_t* unmapped) {
  const HostLock::Guard guard(lock_);
  TracedCall traced;
  if (trace::on(trace::Category::Host)) [[unlikely]]
    traced.begin(cpus_.current(), "ioas.unmap",
                 {{"ioas", ioas}, {"iova", iova}, {"length", length}});
  AddressSpace* as = find(ioas);
  if (as == nullptr) return no_ioas(ioas);
  // iommufd_ioas_unmap(): 0 and 2^64 - 1 unmap everything, and succeed on
  // an empty IOAS (iopt_unmap_all); any other ULONG_MAX is EOVERFLOW.
  const bool everything = iova == 0 && length == std::numeric_limits<std::uint64_t>::max();
  if (!everything) {
    if (Status s = check_ulong_max({{"iova", iova}, {"length", length}}); !s.ok()) return s;
  }
  const IovaMap::Span span = as->iovas->whole_areas(iova, length);
  if (everything && span.areas.empty()) {
    if (unmapped != nullptr) *unmapped = 0;
    return Status::success();
  }
  if (!span.status.ok()) return span.status;
  if (as->guest_frames) {
    // Simulator only: the guest memory the manager allocates a nested
    // IOAS's tables and pages from.
    for (const auto& [start, area] : span.areas) {
      if (start == as->guest_memory_start) {
        return Status::error(
            EBUSY, "the mapping at " + hex(start) + " holds the guest memory of a nested IOAS");
      }
    }
  }
  const std::vector<Affected> users = affected(*as, span.lo, span.hi);
  notify_changing(users);
  if (invalidate_before_clear_ && !lazy_) {
    // The bug: a DMA between the invalidation and the clear refills the
    // IOTLB from the PTE still there.
    if (Status s = flush(*as, span.lo, span.hi - span.lo); !s.ok()) return s;
  }
  // Table pages the range covers entirely are freed; a guest's tables
  // (nested IOAS) live in guest memory the guest manages, so they stay.
  std::vector<std::uint64_t> freed, guest_freed;
  const TableWork before = table_work(*as);
  for (const auto& [start, area] : span.areas) {
    for (PageTable* t : tables_of(*as)) {
      t->unmap_range(start, start + area.length, as->guest_memory != nullptr ? guest_freed : freed);
    }
  }
  charge(*as, CpuWork::Unmap, before);
  as->iovas->remove(span);
  if (unmapped != nullptr) *unmapped = span.bytes;
  if (free_tables_early_) {
    // The bug: the frames are reused at once, and the flush keeps the
    // paging-structure caches (IH=1 when strict) that may still point
    // into them.
    for (std::uint64_t frame : freed) tables_.release(frame);
    freed.clear();
  }
  return finish_unmap(*as, span, users, std::move(freed));
}

Status IoasidManager::finish_unmap(AddressSpace& as, const IovaMap::Span& span,
                                   const std::vector<Affected>& users,
                                   std::vector<std::uint64_t> freed) {
  if (lazy_) {
    // Lazy: the old translations may stay cached until the queue is
    // flushed; until it releases the entry the range is not handed out
    // again, nor are the freed table pages.
    as.iovas->hold(span.lo, span.hi);
    notify_returned(users);
    HostCpu& cpu = cpus_.current();
    const HostCpu::Run run(cpu);
    const HostCpu::Activity activity(cpu, CpuWork::Unmap);
    return as.fq->add(cpu, FlushQueue::Entry{span.lo, span.hi - span.lo, std::move(freed)});
  }
  // Strict: the call returns only after the IOTLB and the paging-structure
  // caches lost the entries; only then may the freed table pages be reused.
  if (!invalidate_before_clear_) {
    if (Status s = flush(as, span.lo, span.hi - span.lo, free_tables_early_); !s.ok()) return s;
  }
  for (std::uint64_t frame : freed) tables_.release(frame);
  notify_settled(users);
  return Status::success();
}

std::unique_ptr<FlushQueue> IoasidManager::make_flush_queue(AddressSpace& as) {
  AddressSpace* raw = &as;
  // The hooks take no manager lock: the timer thread calls them while
  // holding its CPU, which a manager call may be waiting for under the lock.
  // flush_batches reads the lists before its first wait.
  FlushQueue::Hooks hooks{[this, raw] { return flush(*raw, 0, raw->iovas->limit()); },
                          [this, raw](FlushQueue::Entry& e) {
                            notify_settled(affected(*raw, e.iova, e.iova + e.length));
                          },
                          [this, raw](HostCpu& /*cpu*/, FlushQueue::Entry& e) {
                            raw->iovas->release(e.iova, e.iova + e.length);
                            for (std::uint64_t frame : e.freed_tables) tables_.release(frame);
                          }};
  return std::make_unique<FlushQueue>(cpus_, params_.flush_queue_size, params_.flush_timeout_ns,
                                      params_.cpu, fq_stats_, fq_timers_, std::move(hooks));
}

std::vector<std::pair<std::uint64_t, std::uint64_t>> IoasidManager::iova_ranges(IoasId ioas) {
  AddressSpace* as = find(ioas);
  if (as == nullptr) return {};
  return as->iovas->allowed();
}

Status IoasidManager::reserve(IoasId ioas, std::uint64_t iova, std::uint64_t length) {
  const HostLock::Guard guard(lock_);
  TracedCall traced;
  if (trace::on(trace::Category::Host)) [[unlikely]]
    traced.begin(cpus_.current(), "ioas.reserve",
                 {{"ioas", ioas}, {"iova", iova}, {"length", length}});
  AddressSpace* as = find(ioas);
  if (as == nullptr) return no_ioas(ioas);
  return as->iovas->reserve(iova, length);
}

IoasidManager::Mapped IoasidManager::map_anywhere(IoasId ioas, std::uint64_t length,
                                                  bool writable) {
  return map_user(ioas, iommufd::kIoasMapReadable | (writable ? iommufd::kIoasMapWriteable : 0u), 0,
                  length);
}

Status IoasidManager::allow_iovas(
    IoasId ioas, const std::vector<std::pair<std::uint64_t, std::uint64_t>>& ranges) {
  const HostLock::Guard guard(lock_);
  TracedCall traced;
  if (trace::on(trace::Category::Host)) [[unlikely]]
    traced.begin(cpus_.current(), "ioas.allow_iovas", {{"ioas", ioas}, {"ranges", ranges.size()}});
  AddressSpace* as = find(ioas);
  if (as == nullptr) return no_ioas(ioas);
  return as->iovas->set_allowed(ranges);
}

std::optional<std::uint64_t> IoasidManager::physical(IoasId ioas, std::uint64_t iova) {
  AddressSpace* as = find(ioas);
  if (as == nullptr) return std::nullopt;
  auto m = as->table->lookup(iova);
  if (!m) return std::nullopt;
  if (as->options.translation != IoasTranslation::Nested) return m->physical;
  return physical(as->options.parent, m->physical);
}

}  // namespace iommu_sim
