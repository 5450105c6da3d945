#include "model/host/ioasid_manager.h"

#include <algorithm>
#include <limits>
#include <stdexcept>

#include "iommu/formats/vtd_registers.h"
#include "model/hex.h"

namespace iommu_sim {

namespace vtd = iommu::vtd;

namespace {
constexpr std::uint64_t kPage = 4096;
// VT-d spec 5.1.4: requests to 0xFEEx_xxxx are interrupt requests.
constexpr std::uint64_t kMsiWindow = 0xFEE00000, kMsiWindowSize = 0x100000;
}  // namespace

IoasidManager::IoasidManager(HostBus& bus, IommuDriver& driver, FrameAllocator& tables,
                             FrameAllocator& data, const HostParams& params, HostCpus& cpus)
    : bus_(bus),
      driver_(driver),
      tables_(tables),
      data_(data),
      cpus_(cpus),
      costs_(params.cpu),
      lazy_(params.unmap == "lazy"),
      flush_queue_size_(params.flush_queue_size),
      flush_timeout_(sc_core::sc_time(params.flush_timeout_ns, sc_core::SC_NS)),
      invalidate_before_clear_(params.bug == "invalidation_before_clear"),
      free_tables_early_(params.bug == "table_freed_before_flush"),
      reuse_before_flush_(params.bug == "lazy_reuse_before_flush") {}

IoasidManager::AddressSpace* IoasidManager::find(IoasId id) {
  auto it = spaces_.find(id);
  return it == spaces_.end() ? nullptr : it->second.get();
}

IoasidManager::~IoasidManager() = default;

Status IoasidManager::check_options(const IoasOptions& o) const {
  const auto cap = vtd::CapRegister::decode(driver_.cap());
  if (o.max_page_shift != 12 && o.max_page_shift != 21 && o.max_page_shift != 30) {
    return Status::error(EINVAL, "page size 2^" + std::to_string(o.max_page_shift) +
                                     " is not 4 KiB, 2 MiB or 1 GiB");
  }
  if (o.translation == IoasTranslation::SecondLevel) {
    if (o.levels < 3 || o.levels > 5) {
      return Status::error(
          EINVAL, "second-level tables have 3, 4 or 5 levels, not " + std::to_string(o.levels));
    }
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
  if (o.levels != 4 && o.levels != 5) {
    return Status::error(EINVAL,
                         "first-level tables have 4 or 5 levels, not " + std::to_string(o.levels));
  }
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

IoasCreated IoasidManager::create_ioas(const IoasOptions& options) {
  const HostLock::Guard guard(lock_);
  if (Status s = check_options(options); !s.ok()) return {s};
  auto as = std::make_unique<AddressSpace>();
  as->options = options;
  if (options.translation == IoasTranslation::Nested) {
    AddressSpace* parent = find(options.parent);
    if (parent == nullptr || parent->options.translation != IoasTranslation::SecondLevel) {
      return {Status::error(ENOENT, "nested IOAS needs a second-level parent; " +
                                        std::to_string(options.parent) + " is not one")};
    }
    if (parent->areas.empty()) {
      return {Status::error(
          ENOENT, "parent IOAS " + std::to_string(options.parent) + " maps no guest memory")};
    }
    if (!parent->guest_frames) {
      const auto& [ram, area] = *parent->areas.begin();
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
  as->reserved.emplace(kMsiWindow, kMsiWindow + kMsiWindowSize);
  as->did = next_did_++;
  const IoasId id = next_id_++;
  spaces_.emplace(id, std::move(as));
  return {Status::success(), id};
}

std::uint64_t IoasidManager::iova_limit(const AddressSpace& as) const {
  const unsigned levels = as.options.levels;
  // First-level input is canonical: the manager hands out the lower half.
  if (as.options.translation != IoasTranslation::SecondLevel) return 1ull << (11 + 9 * levels);
  return 1ull << (12 + 9 * levels);
}

Status IoasidManager::check_range(AddressSpace* as, std::uint64_t iova, std::uint64_t length) {
  if (length == 0 || length % kPage != 0 || iova % kPage != 0) {
    return Status::error(EINVAL, "iova " + hex(iova) + " and length " + hex(length) +
                                     " must be non-zero multiples of 4 KiB");
  }
  if (iova > std::numeric_limits<std::uint64_t>::max() - length) {
    return Status::error(EOVERFLOW, "iova + length overflows 64 bits");
  }
  if (iova + length > iova_limit(*as)) {
    return Status::error(EINVAL, "range " + hex(iova) + "+" + hex(length) +
                                     " is beyond the IOVA space of the IOAS's " +
                                     std::to_string(as->options.levels) + "-level table (" +
                                     hex(iova_limit(*as)) + ")");
  }
  auto next = as->areas.lower_bound(iova);
  if (next != as->areas.end() && next->first < iova + length) {
    return Status::error(EEXIST, "range overlaps the mapping at " + hex(next->first));
  }
  if (next != as->areas.begin()) {
    auto prev = std::prev(next);
    if (prev->first + prev->second.length > iova) {
      return Status::error(EEXIST, "range overlaps the mapping at " + hex(prev->first));
    }
  }
  for (const auto& [lo, hi] : as->pending) {
    if (!reuse_before_flush_ && lo < iova + length && iova < hi) {
      return Status::error(EBUSY, "range " + hex(iova) + "+" + hex(length) +
                                      " was unmapped lazily and awaits its flush");
    }
  }
  for (const auto& [lo, hi] : as->reserved) {
    if (lo < iova + length && iova < hi) {
      return Status::error(EADDRINUSE, "range " + hex(iova) + "+" + hex(length) +
                                           " overlaps the reserved range " + hex(lo) + "-" +
                                           hex(hi - 1));
    }
  }
  return Status::success();
}

Status IoasidManager::map(IoasId ioas, std::uint64_t iova, std::uint64_t length, bool writable) {
  const HostLock::Guard guard(lock_);
  AddressSpace* as = find(ioas);
  if (as == nullptr) return Status::error(ENOENT, "no IOAS with id " + std::to_string(ioas));
  if (Status s = check_range(as, iova, length); !s.ok()) return s;
  const std::uint64_t big = 1ull << as->options.max_page_shift;
  const std::uint64_t align = length >= big ? big : kPage;
  FrameAllocator& memory = as->guest_memory ? *as->guest_memory : data_;
  if (as->guest_memory) {
    // Room for the pages and every table the walk down to them may need.
    const std::uint64_t start = (memory.next() + align - 1) & ~(align - 1);
    std::uint64_t tables = 0;
    for (unsigned k = 1; k < as->options.levels; ++k) tables += (length >> (12 + 9 * k)) + 2;
    if (start + length + tables * kPage > spaces_.at(as->options.parent)->guest_memory_end) {
      return Status::error(ENOMEM, "guest memory of the parent IOAS is exhausted");
    }
  }
  write_area(*as, iova, memory.allocate(length, align), length, writable);
  return Status::success();
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
  HostCpu::spend_ns(costs_.pte_write_ns * static_cast<double>(after.entries - before.entries) +
                    costs_.table_alloc_ns * static_cast<double>(after.tables - before.tables));
}

void IoasidManager::write_area(AddressSpace& as, std::uint64_t iova, std::uint64_t pa,
                               std::uint64_t length, bool writable) {
  const TableWork before = table_work(as);
  map_pages(tables_of(as), as.options.max_page_shift, iova, pa, length, writable);
  charge(as, CpuWork::Map, before);
  as.areas.emplace(iova, Area{length, pa, writable});
  // A mapping is live once written: no DMA may use what was there before
  // (a lazily unmapped translation in particular).
  notify_settled(affected(as, iova, iova + length));
}

void IoasidManager::map_pages(const std::vector<PageTable*>& tables, std::uint8_t max_shift,
                              std::uint64_t iova, std::uint64_t pa, std::uint64_t length,
                              bool writable) {
  for (PageTable* t : tables) t->map_range(iova, pa, length, max_shift, writable);
}

std::vector<PageTable*> IoasidManager::tables_of(AddressSpace& as) {
  std::vector<PageTable*> out{as.table.get()};
  for (HwptId h : as.hwpts) out.push_back(hwpts_.at(h)->table.get());
  return out;
}

Status IoasidManager::copy(IoasId dst, std::uint64_t dst_iova, IoasId src, std::uint64_t src_iova,
                           std::uint64_t length) {
  const HostLock::Guard guard(lock_);
  AddressSpace* d = find(dst);
  AddressSpace* s = find(src);
  if (d == nullptr || s == nullptr) {
    return Status::error(ENOENT, "no IOAS with id " + std::to_string(d == nullptr ? dst : src));
  }
  if (d->guest_memory != nullptr || s->guest_memory != nullptr) {
    return Status::error(EINVAL, "a nested IOAS maps guest-physical memory; copy needs host ones");
  }
  if (Status st = check_range(d, dst_iova, length); !st.ok()) return st;
  // IOMMU_IOAS_COPY: the source range must be mapped all through; the
  // copy maps the same memory, area by area.
  std::vector<std::pair<std::uint64_t, Area>> pieces;
  for (std::uint64_t at = src_iova; at < src_iova + length;) {
    auto it = s->areas.upper_bound(at);
    if (it == s->areas.begin() || std::prev(it)->first + std::prev(it)->second.length <= at) {
      return Status::error(ENOENT, "source " + hex(at) + " is not mapped");
    }
    --it;
    const std::uint64_t offset = at - it->first;
    const std::uint64_t take = std::min(it->second.length - offset, src_iova + length - at);
    pieces.emplace_back(dst_iova + (at - src_iova),
                        Area{take, it->second.physical + offset, it->second.writable});
    at += take;
  }
  for (const auto& [iova, area] : pieces)
    write_area(*d, iova, area.physical, area.length, area.writable);
  return Status::success();
}

Status IoasidManager::destroy_ioas(IoasId ioas) {
  const HostLock::Guard guard(lock_);
  AddressSpace* as = find(ioas);
  if (as == nullptr) return Status::error(ENOENT, "no IOAS with id " + std::to_string(ioas));
  // iommufd: an object in use cannot be destroyed.
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
  if (as->options.translation == IoasTranslation::Nested) {
    std::erase(spaces_.at(as->options.parent)->children, ioas);
  }
  spaces_.erase(ioas);
  return Status::success();
}

Status IoasidManager::unmap(IoasId ioas, std::uint64_t iova, std::uint64_t length,
                            std::uint64_t* unmapped) {
  const HostLock::Guard guard(lock_);
  AddressSpace* as = find(ioas);
  if (as == nullptr) return Status::error(ENOENT, "no IOAS with id " + std::to_string(ioas));
  if (length == 0 || iova > std::numeric_limits<std::uint64_t>::max() - length) {
    return Status::error(EINVAL, "empty or overflowing range");
  }
  const std::uint64_t end = iova + length;
  // iommufd: the range must cover whole areas; cutting one is ENOENT.
  auto first = as->areas.lower_bound(iova);
  if (first != as->areas.begin()) {
    auto prev = std::prev(first);
    if (prev->first + prev->second.length > iova) {
      return Status::error(ENOENT, "range cuts the mapping at " + hex(prev->first));
    }
  }
  auto last = first;
  std::uint64_t total = 0;
  while (last != as->areas.end() && last->first < end) {
    if (last->first + last->second.length > end) {
      return Status::error(ENOENT, "range cuts the mapping at " + hex(last->first));
    }
    total += last->second.length;
    ++last;
  }
  if (total == 0)
    return Status::error(ENOENT, "nothing is mapped in " + hex(iova) + "+" + hex(length));
  for (auto it = first; it != last && as->guest_frames; ++it) {
    if (it->first == as->guest_memory_start) {
      return Status::error(
          EBUSY, "the mapping at " + hex(it->first) + " holds the guest memory of a nested IOAS");
    }
  }
  const std::uint64_t lo = first->first;
  const std::uint64_t hi = std::prev(last)->first + std::prev(last)->second.length;
  const std::vector<Affected> users = affected(*as, lo, hi);
  notify_changing(users);
  if (invalidate_before_clear_ && !lazy_) {
    // The bug: a DMA between the invalidation and the clear refills the
    // IOTLB from the PTE still there.
    if (Status s = flush(*as, lo, hi - lo); !s.ok()) return s;
  }
  // Table pages the range covers entirely are freed; a guest's tables
  // (nested IOAS) live in guest memory the guest manages, so they stay.
  std::vector<std::uint64_t> freed, guest_freed;
  const TableWork before = table_work(*as);
  for (auto it = first; it != last; ++it) {
    for (PageTable* t : tables_of(*as)) {
      t->unmap_range(it->first, it->first + it->second.length,
                     as->guest_memory != nullptr ? guest_freed : freed);
    }
  }
  charge(*as, CpuWork::Unmap, before);
  as->areas.erase(first, last);
  if (unmapped != nullptr) *unmapped = total;
  if (free_tables_early_) {
    // The bug: the frames are reused at once, and the flush below keeps the
    // paging-structure caches (IH=1) that may still point into them.
    for (std::uint64_t frame : freed) tables_.release(frame);
    freed.clear();
  }
  if (lazy_) {
    // Lazy: the old translations may stay cached until the queue is
    // flushed; until then the range is not handed out again, nor are the
    // freed table pages.
    as->pending.emplace(lo, hi);
    unsettled_.insert(unsettled_.end(), users.begin(), users.end());
    freed_tables_.insert(freed_tables_.end(), freed.begin(), freed.end());
    notify_returned(users);
    if (++queued_ >= flush_queue_size_) return flush_queue();
    arm_flush_timer();
    return Status::success();
  }
  // Strict: the call returns only after the IOTLB and the paging-structure
  // caches lost the entries; only then may the freed table pages be reused.
  if (!invalidate_before_clear_) {
    if (Status s = flush(*as, lo, hi - lo, free_tables_early_); !s.ok()) return s;
  }
  for (std::uint64_t frame : freed) tables_.release(frame);
  notify_settled(users);
  return Status::success();
}

std::vector<IoasidManager::Affected> IoasidManager::affected(const AddressSpace& as,
                                                             std::uint64_t lo,
                                                             std::uint64_t hi) const {
  std::vector<Affected> out;
  if (listener_ == nullptr) return out;
  auto add = [&](const std::vector<std::pair<Bdf, std::uint32_t>>& attached, bool nested) {
    for (const auto& [bdf, pasid] : attached) {
      out.push_back({bdf, pasid, nested ? 0 : lo, nested ? ~0ull : hi});
    }
  };
  add(as.attached, false);
  for (IoasId child : as.children) add(spaces_.at(child)->attached, true);
  for (HwptId id : as.hwpts) {
    const Hwpt& h = *hwpts_.at(id);
    add(h.attached, false);
    for (HwptId child : h.children) add(hwpts_.at(child)->attached, true);
  }
  return out;
}

void IoasidManager::notify_changing(const std::vector<Affected>& list) {
  if (listener_ == nullptr) return;
  for (const Affected& a : list) listener_->changing(a.bdf.rid(), a.pasid, a.lo, a.hi);
}

void IoasidManager::notify_returned(const std::vector<Affected>& list) {
  if (listener_ == nullptr) return;
  for (const Affected& a : list) listener_->unmap_returned(a.bdf.rid(), a.pasid, a.lo, a.hi);
}

void IoasidManager::notify_settled(const std::vector<Affected>& list) {
  if (listener_ == nullptr) return;
  for (const Affected& a : list) listener_->settled(a.bdf.rid(), a.pasid, a.lo, a.hi);
}

void IoasidManager::user_table_changed(std::uint64_t root_gpa, std::uint64_t lo, std::uint64_t hi) {
  const HostLock::Guard guard(lock_);
  for (const auto& [id, h] : hwpts_) {
    if (h->table || h->stage1.root_gpa != root_gpa) continue;
    for (const auto& [bdf, pasid] : h->attached) {
      if (listener_ != nullptr) listener_->changing(bdf.rid(), pasid, lo, hi);
    }
  }
}

Status IoasidManager::flush_queue() {
  const HostLock::Guard guard(lock_);
  for (auto& [id, as] : spaces_) {
    if (as->pending.empty()) continue;
    // One invalidation of the whole domain per flush, as Linux's flush
    // queue does (iommu_flush_iotlb_all).
    if (Status s = flush(*as, 0, iova_limit(*as)); !s.ok()) return s;
    as->pending.clear();
  }
  notify_settled(unsettled_);
  unsettled_.clear();
  for (std::uint64_t frame : freed_tables_) tables_.release(frame);
  freed_tables_.clear();
  queued_ = 0;
  ++queue_flushes_;
  return Status::success();
}

void IoasidManager::arm_flush_timer() {
  if (timer_armed_) return;
  timer_armed_ = true;
  const std::uint64_t generation = queue_flushes_;
  sc_core::sc_spawn([this, generation] {
    sc_core::wait(flush_timeout_);
    timer_armed_ = false;
    // A flush since the timer was armed emptied the queue it was for.
    if (queue_flushes_ == generation && queued_ != 0) flush_queue();
  });
}

IoasidManager::Target IoasidManager::target(IoasId id) {
  Target t;
  if (AddressSpace* as = find(id)) {
    t.attached = &as->attached;
    t.setup.did = as->did;
    switch (as->options.translation) {
      case IoasTranslation::FirstLevel:
        t.setup.pgtt = vtd::Pgtt::FirstLevel;
        t.setup.fl_root = as->table->root();
        t.setup.fl_levels = as->options.levels;
        break;
      case IoasTranslation::SecondLevel:
        t.setup.pgtt = vtd::Pgtt::SecondLevel;
        t.setup.sl_root = as->table->root();
        t.setup.sl_levels = as->options.levels;
        break;
      case IoasTranslation::Nested: {
        const AddressSpace& parent = *spaces_.at(as->options.parent);
        t.setup.pgtt = vtd::Pgtt::Nested;
        t.setup.fl_root = as->table->root();
        t.setup.fl_levels = as->options.levels;
        t.setup.sl_root = parent.table->root();
        t.setup.sl_levels = parent.options.levels;
        break;
      }
    }
    return t;
  }
  Hwpt* h = find_hwpt(id);
  if (h == nullptr) {
    t.status = Status::error(ENOENT, "no IOAS or HWPT with id " + std::to_string(id));
    return t;
  }
  t.attached = &h->attached;
  t.setup.did = h->did;
  if (h->table) {
    const bool sl = h->table->format() == PageTableFormat::SecondLevel;
    t.setup.pgtt = sl ? vtd::Pgtt::SecondLevel : vtd::Pgtt::FirstLevel;
    (sl ? t.setup.sl_root : t.setup.fl_root) = h->table->root();
    (sl ? t.setup.sl_levels : t.setup.fl_levels) = h->table->levels();
    return t;
  }
  const PageTable& parent = *hwpts_.at(h->parent)->table;
  t.setup.pgtt = vtd::Pgtt::Nested;
  t.setup.fl_root = h->stage1.root_gpa;
  t.setup.fl_levels = h->stage1.levels;
  t.setup.supervisor_requests = h->stage1.supervisor_requests;
  t.setup.sl_root = parent.root();
  t.setup.sl_levels = parent.levels();
  return t;
}

Status IoasidManager::attach(Bdf bdf, std::uint32_t pasid, IoasId id) {
  Target t = target(id);
  if (!t.status.ok()) return t.status;
  auto attached_here = [&](const std::vector<std::pair<Bdf, std::uint32_t>>& list) {
    return std::find(list.begin(), list.end(), std::pair(bdf, pasid)) != list.end();
  };
  bool busy = false;
  for (const auto& [space_id, space] : spaces_) busy = busy || attached_here(space->attached);
  for (const auto& [hwpt_id, h] : hwpts_) busy = busy || attached_here(h->attached);
  if (busy) {
    return Status::error(EBUSY, "device " + bdf.to_string() + " PASID " + std::to_string(pasid) +
                                    " is already attached");
  }
  const std::vector<Affected> entry{{bdf, pasid, 0, ~0ull}};
  notify_changing(entry);
  t.setup.device_tlb = device_tlb(bdf).has_value();
  Status s = driver_.set_pasid_entry(bdf, pasid, t.setup);
  if (!s.ok()) return s;
  t.attached->emplace_back(bdf, pasid);
  notify_settled(entry);
  return Status::success();
}

Status IoasidManager::flush(const AddressSpace& as, std::uint64_t iova, std::uint64_t length,
                            bool leaf_only) {
  // Every device using the table directly, in one batch with one wait
  // (Linux cache_tag_flush_range with qi_batch).
  InvalidationBatch batch;
  const bool second_level = as.options.translation == IoasTranslation::SecondLevel;
  for (const auto& [bdf, pasid] : as.attached) {
    driver_.add_flush_range(batch, as.did, pasid, iova, length, second_level, leaf_only,
                            device_tlb(bdf));
  }
  for (HwptId id : as.hwpts) {
    const Hwpt& h = *hwpts_.at(id);
    const bool sl = h.table->format() == PageTableFormat::SecondLevel;
    for (const auto& [bdf, pasid] : h.attached) {
      driver_.add_flush_range(batch, h.did, pasid, iova, length, sl, leaf_only, device_tlb(bdf));
    }
  }
  if (!batch.empty()) {
    if (Status s = driver_.submit_and_wait(batch.descriptors()); !s.ok()) return s;
  }
  for (IoasId child : as.children) {
    const AddressSpace& c = *spaces_.at(child);
    if (Status s = flush_nested(c.attached, c.did); !s.ok()) return s;
  }
  for (HwptId id : as.hwpts) {
    const Hwpt& h = *hwpts_.at(id);
    for (HwptId child : h.children) {
      const Hwpt& c = *hwpts_.at(child);
      if (Status s = flush_nested(c.attached, c.did); !s.ok()) return s;
    }
  }
  return Status::success();
}

Status IoasidManager::flush_nested(const std::vector<std::pair<Bdf, std::uint32_t>>& attached,
                                   std::uint16_t did) {
  InvalidationBatch batch;
  for (const auto& [bdf, pasid] : attached) {
    driver_.add_flush_range(batch, did, pasid, 0, 1ull << 62, true, false, device_tlb(bdf));
  }
  return batch.empty() ? Status::success() : driver_.submit_and_wait(batch.descriptors());
}

std::optional<Bdf> IoasidManager::device_tlb(Bdf bdf) const {
  for (const HostDevice& d : devices_) {
    if (d.ats && d.requester_id == bdf) return bdf;
  }
  return std::nullopt;
}

std::vector<std::pair<std::uint64_t, std::uint64_t>> IoasidManager::iova_ranges(IoasId ioas) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> out;
  AddressSpace* as = find(ioas);
  if (as == nullptr) return out;
  std::uint64_t cursor = 0;
  for (const auto& [lo, hi] : as->reserved) {
    if (lo > cursor) out.emplace_back(cursor, lo - 1);
    cursor = std::max(cursor, hi);
  }
  const std::uint64_t limit = iova_limit(*as);
  if (cursor < limit) out.emplace_back(cursor, limit - 1);
  return out;
}

Status IoasidManager::reserve(IoasId ioas, std::uint64_t iova, std::uint64_t length) {
  const HostLock::Guard guard(lock_);
  AddressSpace* as = find(ioas);
  if (as == nullptr) return Status::error(ENOENT, "no IOAS with id " + std::to_string(ioas));
  if (length == 0 || iova > std::numeric_limits<std::uint64_t>::max() - length) {
    return Status::error(EINVAL, "empty or overflowing range");
  }
  for (const auto& [start, area] : as->areas) {
    if (start < iova + length && iova < start + area.length) {
      return Status::error(EADDRINUSE, "the mapping at " + hex(start) + " is in the range");
    }
  }
  as->reserved.emplace(iova, iova + length);
  return Status::success();
}

IoasidManager::Mapped IoasidManager::map_anywhere(IoasId ioas, std::uint64_t length,
                                                  bool writable) {
  const HostLock::Guard guard(lock_);
  AddressSpace* as = find(ioas);
  if (as == nullptr) return {Status::error(ENOENT, "no IOAS with id " + std::to_string(ioas))};
  if (length == 0 || length % kPage != 0) {
    return {
        Status::error(EINVAL, "length " + hex(length) + " must be a non-zero multiple of 4 KiB")};
  }
  const std::uint64_t big = 1ull << as->options.max_page_shift;
  const std::uint64_t align = length >= big ? big : kPage;
  // Lowest fit from 4 KiB up (IOVA 0 stays unmapped, as iommufd's
  // allocator leaves it), skipping mappings and reserved ranges.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> busy(as->reserved.begin(),
                                                            as->reserved.end());
  if (!reuse_before_flush_) busy.insert(busy.end(), as->pending.begin(), as->pending.end());
  for (const auto& [start, area] : as->areas) busy.emplace_back(start, start + area.length);
  std::sort(busy.begin(), busy.end());
  std::uint64_t candidate = std::max<std::uint64_t>(align, kPage);
  for (const auto& [lo, hi] : busy) {
    if (candidate + length <= lo) break;
    if (hi > candidate) candidate = (hi + align - 1) & ~(align - 1);
  }
  if (candidate + length > iova_limit(*as) || candidate + length < candidate) {
    return {Status::error(ENOSPC, "no free IOVA range of " + hex(length) + " bytes")};
  }
  Status s = map(ioas, candidate, length, writable);
  if (!s.ok()) return {s};
  return {Status::success(), candidate};
}

Status IoasidManager::detach(Bdf bdf, std::uint32_t pasid, IoasId id) {
  const std::vector<Affected> entry{{bdf, pasid, 0, ~0ull}};
  notify_changing(entry);
  if (Status s = driver_.clear_pasid_entry(bdf, pasid, device_tlb(bdf).has_value()); !s.ok()) {
    return s;
  }
  std::erase(*target(id).attached, std::pair(bdf, pasid));
  notify_settled(entry);
  return Status::success();
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
