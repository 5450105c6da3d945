#include "iommu/translator.h"

#include <algorithm>

#include "iommu/formats/vtd_paging.h"
#include "iommu/formats/vtd_pasid.h"
#include "iommu/formats/vtd_root_context.h"
#include "model/trace.h"

namespace iommu_sim {

namespace vtd = iommu::vtd;
using FR = iommu::vtd::FaultReason;

Translator::Translator(const IommuParams& params, TablePort& port, TimingMode mode,
                       std::uint64_t seed, StatsRegistry& stats, const std::string& prefix)
    : port_(port),
      mode_(mode),
      address_width_(params.address_width),
      host_address_width_(params.host_address_width),
      merge_misses_(params.merge_misses),
      free_engines_(params.walk_engines),
      psc_latency_(ns(params.psc_lookup_latency_ns)),
      llc_fraction_(params.walk_llc_hit_fraction),
      llc_latency_(ns(params.walk_llc_latency_ns)),
      llc_rng_(cache_seed(seed, prefix + ".walk.llc")),
      llc_draw_(params.walk_llc_hit_fraction),
      walk_done_("walk_done"),
      context_cache_(params.context_cache, stats, prefix + ".context_cache", seed),
      pasid_cache_(params.pasid_cache, stats, prefix + ".pasid_cache", seed),
      iotlb_(params.iotlb, stats, prefix + ".iotlb", seed),
      fl_psc_(params.fl_psc.by_level(), stats, prefix + ".fl_psc", seed),
      sl_psc_(params.sl_psc.by_level(), stats, prefix + ".sl_psc", seed),
      installs_stale_walks_(params.bug == "walk_installs_after_invalidation") {
  stats.counter(prefix + ".walk.count", &walks_,
                "page walks started (IOTLB misses, and writes through an entry not yet dirty)");
  stats.counter(prefix + ".walk.llc_hits", &llc_hits_,
                "translation-structure reads served by the cache near the IOMMU "
                "(iommu.walk_llc_hit_fraction) instead of memory");
  stats.counter(prefix + ".walk.ad_updates", &ad_updates_,
                "Accessed/Dirty flag updates: one locked read-modify-write of a paging entry each");
  stats.counter(prefix + ".walk.memory_reads", &walk_reads_,
                "reads of translation structures (root, context, PASID directory, PASID table "
                "and paging entries), from memory or from the cache near the IOMMU (llc_hits)");
  stats.counter(prefix + ".walk.merged", &merged_,
                "misses that waited for a walk of the same page in flight instead of walking");
  stats.counter(prefix + ".walk.restarts", &restarts_,
                "translations started again because an invalidation executed while they read "
                "translation structures (their result may be stale and is not installed)");
  stats.counter(prefix + ".walk.engine_wait", &engine_waits_,
                "misses that found every walk engine busy and waited for one");
}

const IotlbEntry* Translator::wait_for_walk_in_flight(std::uint16_t did, std::uint32_t pasid,
                                                      std::uint64_t iova) {
  const auto key = std::make_tuple(did, pasid, iova >> 12);
  if (!in_flight_.contains(key)) return nullptr;
  ++merged_;
  while (in_flight_.contains(key)) sc_core::wait(walk_done_);
  // The walk may have faulted, or its entry been invalidated since.
  return iotlb_.probe(did, pasid, iova);
}

void Translator::acquire_walk_engine() {
  if (free_engines_ == 0) ++engine_waits_;
  while (free_engines_ == 0) sc_core::wait(walk_done_);
  --free_engines_;
}

void Translator::release_walk_engine() {
  ++free_engines_;
  walk_done_.notify();
}

template <std::size_t N>
inline bool Translator::read_structure(std::uint64_t addr, std::array<std::uint64_t, N>& out,
                                       sc_core::sc_time& delay) {
  ++walk_reads_;
  // A coherent page walk may find the line in a cache near the IOMMU
  // (ECAP.C=1: walks snoop the CPU caches): it costs the cache's latency and
  // never occupies the memory channel.
  if (llc_fraction_ > 0.0 && llc_draw_(llc_rng_)) {
    ++llc_hits_;
    return port_.read_cached(addr, std::span(reinterpret_cast<std::uint8_t*>(out.data()), N * 8),
                             llc_latency_, delay);
  }
  return port_.read_qwords(addr, out, delay);
}

std::optional<ContextInfo> Translator::fetch_context(const TranslationRequest& r,
                                                     std::uint64_t root_table,
                                                     sc_core::sc_time& delay,
                                                     TranslationResult& res) {
  const std::uint16_t sid = r.source_id;
  const auto bdf_bus = static_cast<std::uint8_t>(sid >> 8);
  const auto devfn = static_cast<std::uint8_t>(sid & 0xff);
  // VT-d spec 9.2: a scalable-mode root entry holds the lower (devfn 0-127)
  // and upper (devfn 128-255) context-table pointers.
  std::array<std::uint64_t, 2> root_raw{};
  const std::uint64_t root_at = vtd::root_entry_address(root_table, bdf_bus);
  if (!read_structure(root_at, root_raw, delay)) {
    fail(res, FR::kSmRootEntryAccess, false);
    return std::nullopt;
  }
  const auto root = vtd::ScalableRootEntry::decode(root_raw);
  if (trace::on(trace::Category::Context)) [[unlikely]] {
    trace_root_read(r, root_at, root_raw, root, delay);
  }
  const bool upper = devfn >= 0x80;
  if (!(upper ? root.upper_present : root.lower_present)) {
    fail(res, FR::kSmRootEntryNotPresent, false);
    return std::nullopt;
  }
  const std::uint64_t table = upper ? root.upper_context_table : root.lower_context_table;
  // VT-d spec 9.4: 256-bit scalable-mode context entries, 128 per table.
  std::array<std::uint64_t, 4> ctx_raw{};
  const std::uint64_t ctx_at = vtd::scalable_context_entry_address(table, devfn);
  if (!read_structure(ctx_at, ctx_raw, delay)) {
    fail(res, FR::kSmContextEntryAccess, false);
    return std::nullopt;
  }
  const auto ctx = vtd::ScalableContextEntry::decode(ctx_raw);
  if (trace::on(trace::Category::Context)) [[unlikely]] {
    trace_context_read(r, ctx_at, ctx_raw, ctx, delay);
  }
  if (!ctx.present) {
    fail(res, FR::kSmContextEntryNotPresent, ctx.fpd);
    return std::nullopt;
  }
  return ContextInfo{ctx.pasid_dir_ptr, ctx.pdts, ctx.rid_pasid, ctx.fpd, ctx.dte};
}

std::optional<PasidInfo> Translator::fetch_pasid(const TranslationRequest& r,
                                                 const ContextInfo& ctx, std::uint32_t pasid,
                                                 sc_core::sc_time& delay, TranslationResult& res) {
  // VT-d spec 9.5: directory entries are 8 bytes, indexed by PASID[19:6].
  std::array<std::uint64_t, 1> dir_raw{};
  const std::uint64_t dir_at =
      ctx.pasid_dir + vtd::pasid_dir_index(pasid) * vtd::kPasidDirEntrySize;
  if (!read_structure(dir_at, dir_raw, delay)) {
    fail(res, FR::kSmPasidDirAccess, ctx.fpd);
    return std::nullopt;
  }
  const auto dir = vtd::PasidDirEntry::decode(dir_raw[0]);
  if (trace::on(trace::Category::Pasid)) [[unlikely]] {
    trace_pasid_dir_read(r, pasid, dir_at, dir_raw[0], dir, delay);
  }
  if (!dir.present) {
    fail(res, FR::kSmPasidDirEntryNotPresent, ctx.fpd || dir.fpd);
    return std::nullopt;
  }
  // VT-d spec 9.6: 512-bit PASID table entries, 64 per table, indexed by PASID[5:0].
  std::array<std::uint64_t, 8> pe_raw{};
  const std::uint64_t pe_at =
      dir.pasid_table_ptr + vtd::pasid_table_index(pasid) * vtd::kPasidEntrySize;
  if (!read_structure(pe_at, pe_raw, delay)) {
    fail(res, FR::kSmPasidEntryAccess, ctx.fpd || dir.fpd);
    return std::nullopt;
  }
  const auto pe = vtd::PasidEntry::decode(pe_raw);
  if (trace::on(trace::Category::Pasid)) [[unlikely]] {
    trace_pasid_entry_read(r, pasid, pe_at, pe_raw, pe, delay);
  }
  const bool fpd = ctx.fpd || dir.fpd || pe.fpd;
  if (!pe.present) {
    fail(res, FR::kSmPasidEntryNotPresent, fpd);
    return std::nullopt;
  }
  // PGTT and the fields it makes meaningful must describe a translation the
  // capability registers advertise (VT-d spec 9.6: FLPM against CAP.FL5LP,
  // AW against CAP.SAGAW); anything else is an invalid PASID entry.
  const auto pgtt = static_cast<vtd::Pgtt>(pe.pgtt);
  const bool uses_fl = pgtt == vtd::Pgtt::FirstLevel || pgtt == vtd::Pgtt::Nested;
  const bool uses_sl = pgtt == vtd::Pgtt::SecondLevel || pgtt == vtd::Pgtt::Nested;
  const unsigned sl_levels = vtd::second_level_levels(pe.aw);
  const unsigned fl_width = pe.flpm == 1 ? 57 : 48;
  const bool valid =
      (uses_fl || uses_sl || pgtt == vtd::Pgtt::PassThrough) &&
      (!uses_fl || (pe.flpm <= 1 && fl_width <= address_width_)) &&
      (!uses_sl || (sl_levels != 0 && vtd::paging_address_width(sl_levels) <= address_width_));
  if (!valid) {
    fail(res, FR::kSmInvalidPasidEntry, fpd);
    return std::nullopt;
  }
  PasidInfo info;
  info.did = pe.did;
  info.pgtt = pe.pgtt;
  info.fl_table = pe.flptptr;
  info.sl_table = pe.slptptr;
  info.fl_levels = static_cast<std::uint8_t>(pe.flpm == 1 ? 5 : 4);
  info.sl_levels = static_cast<std::uint8_t>(sl_levels);
  info.sre = pe.sre;
  info.wpe = pe.wpe;
  info.ssee = pe.ssee;
  info.ssade = pe.ssade;
  info.fpd = fpd;
  return info;
}

std::optional<SecondLevelLeaf> Translator::walk_second_level(const TranslationRequest& r,
                                                             const PasidInfo& pe, std::uint64_t gpa,
                                                             bool write, sc_core::sc_time& delay,
                                                             TranslationResult& res) {
  // VT-d spec 3.7: a 3-, 4- or 5-level walk; an input beyond the table's
  // width has no translation.
  if ((gpa >> vtd::paging_address_width(pe.sl_levels)) != 0) {
    fail(res, FR::kSmSecondLevelAddressBeyondMax, pe.fpd);
    return std::nullopt;
  }
  std::uint64_t table = pe.sl_table;
  SecondLevelLeaf out{0, 12, true, true, true, true};
  unsigned level = pe.sl_levels;
  if (sl_psc_.enabled()) {
    delay += psc_latency_;
    const auto hit = sl_psc_.lookup(pe.did, 0, gpa, pe.sl_levels);
    if (trace::on(trace::Category::Psc)) [[unlikely]] {
      trace_psc_probe(r, sl_psc_, "sl_psc", pe.did, 0, gpa, pe.sl_levels, hit, delay);
    }
    if (hit) {
      res.sl_psc_level = static_cast<std::uint8_t>(hit->level);
      level = hit->level - 1;
      table = hit->entry.table;
      out.r = hit->entry.r;
      out.w = hit->entry.w;
      out.x = hit->entry.x;
    }
  }
  for (; level >= 1; --level) {
    const std::uint64_t at = table + vtd::first_level_index(gpa, level) * 8;
    std::array<std::uint64_t, 1> raw{};
    if (!read_structure(at, raw, delay)) {
      fail(res, FR::kSmSecondLevelEntryAccess, pe.fpd);
      return std::nullopt;
    }
    const auto e = vtd::SecondLevelEntry::decode(raw[0]);
    if (trace::on(trace::Category::Walk)) [[unlikely]] {
      trace_sl_read(r, res.pasid, level, gpa, at, raw[0], e, delay);
    }
    // VT-d spec 9.8: an entry with R=W=0 is not present.
    if (!e.r && !e.w) {
      fail(res, FR::kSmSecondLevelPermission, pe.fpd);
      return std::nullopt;
    }
    const bool leaf = level == 1 || e.ps;
    if ((raw[0] & vtd::second_level_reserved_mask(level, e.ps, host_address_width_)) != 0) {
      fail(res, FR::kSmSecondLevelEntryReserved, pe.fpd);
      return std::nullopt;
    }
    out.r = out.r && e.r;
    out.w = out.w && e.w;
    out.x = out.x && e.x;
    // VT-d spec 3.7.3: with SSADE the walker sets A in every entry it uses
    // and D in the leaf of a write it allows.
    if (pe.ssade) {
      std::uint64_t set = e.accessed ? 0 : (1ull << 8);
      if (leaf) {
        const bool set_dirty = write && out.w && !e.dirty;
        if (set_dirty) set |= 1ull << 9;
        out.dirty = e.dirty || set_dirty;
      }
      if (set != 0) {
        ++ad_updates_;
        if (trace::on(trace::Category::Walk)) [[unlikely]]
          trace_ad_update(r, res.pasid, at, set, delay);
        if (!port_.atomic_or(at, set, delay)) {
          fail(res, FR::kSmSecondLevelEntryAccess, pe.fpd);
          return std::nullopt;
        }
      }
    }
    if (leaf) {
      out.page_shift = static_cast<std::uint8_t>(12 + 9 * (level - 1));
      out.output_page = e.address & ~((1ull << out.page_shift) - 1);
      return out;
    }
    table = e.address;
    if (sl_psc_.enabled()) {  // a disabled cache needs no entry built
      PscEntry cached;
      cached.table = table;
      cached.r = out.r;
      cached.w = out.w;
      cached.x = out.x;
      sl_psc_.insert(level, pe.did, 0, gpa, cached);
    }
  }
  return std::nullopt;  // unreachable: level 1 is always a leaf
}

std::optional<Translator::NestedTable> Translator::nested_table_address(
    const TranslationRequest& r, const PasidInfo& pe, std::uint64_t gpa, bool root,
    sc_core::sc_time& delay, TranslationResult& res) {
  // VT-d spec 3.8: every first-level table pointer is a guest-physical
  // address the second level translates; the walker needs read access.
  if ((gpa >> vtd::paging_address_width(pe.sl_levels)) != 0) {
    fail(res, FR::kSmNestedFirstLevelBeyondMgaw, pe.fpd);
    return std::nullopt;
  }
  auto sl = walk_second_level(r, pe, gpa, false, delay, res);
  if (!sl) {
    if (res.reason == FR::kSmSecondLevelPermission) {
      res.reason = root ? FR::kSmNestedFlPml4ReadDenied : FR::kSmNestedFirstLevelReadDenied;
    }
    return std::nullopt;
  }
  if (!sl->r) {
    fail(res, root ? FR::kSmNestedFlPml4ReadDenied : FR::kSmNestedFirstLevelReadDenied, pe.fpd);
    return std::nullopt;
  }
  return NestedTable{sl->output_page | (gpa & ((1ull << sl->page_shift) - 1)), sl->w};
}

std::optional<IotlbEntry> Translator::walk_first_level(const PasidInfo& pe,
                                                       const TranslationRequest& r, bool nested,
                                                       sc_core::sc_time& delay,
                                                       TranslationResult& res) {
  // VT-d spec 3.6 / 9.7: IA-32e 4- or 5-level paging; R/W and U/S are ANDed
  // and XD ORed over the levels, so the IOTLB caches the effective rights.
  std::uint64_t table = pe.fl_table;
  IotlbEntry out{};
  unsigned level = pe.fl_levels;
  // Nested, `table` is guest-physical until a paging-structure cache hit
  // gives the host-physical address of the table to resume at.
  bool table_is_host = !nested;
  bool table_writable = true;
  if (fl_psc_.enabled()) {
    delay += psc_latency_;
    const auto hit = fl_psc_.lookup(pe.did, res.pasid, r.iova, pe.fl_levels);
    if (trace::on(trace::Category::Psc)) [[unlikely]] {
      trace_psc_probe(r, fl_psc_, "fl_psc", pe.did, res.pasid, r.iova, pe.fl_levels, hit, delay);
    }
    if (hit) {
      res.fl_psc_level = static_cast<std::uint8_t>(hit->level);
      level = hit->level - 1;
      table = hit->entry.table;
      table_is_host = true;
      table_writable = hit->entry.table_writable;
      out.writable = hit->entry.writable;
      out.user = hit->entry.user;
      out.execute_disable = hit->entry.execute_disable;
    }
  }
  // The level whose entry points at `table`, to cache once its host-physical
  // address is known (nested: after the second level translated it).
  unsigned pending = 0;
  for (; level >= 1; --level) {
    std::uint64_t at = table + vtd::first_level_index(r.iova, level) * 8;
    bool entry_writable = table_writable;
    if (!table_is_host) {
      auto t = nested_table_address(r, pe, at, level == pe.fl_levels, delay, res);
      if (!t) return std::nullopt;
      at = t->address;
      entry_writable = t->writable;
    }
    if (pending != 0 && fl_psc_.enabled()) {
      PscEntry cached;
      cached.table = at & ~0xfffull;
      cached.writable = out.writable;
      cached.user = out.user;
      cached.execute_disable = out.execute_disable;
      cached.table_writable = entry_writable;
      fl_psc_.insert(pending, pe.did, res.pasid, r.iova, cached);
    }
    std::array<std::uint64_t, 1> raw{};
    if (!read_structure(at, raw, delay)) {
      fail(res, FR::kSmFirstLevelEntryAccess, pe.fpd);
      return std::nullopt;
    }
    const auto e = vtd::FirstLevelEntry::decode(raw[0]);
    if (trace::on(trace::Category::Walk)) [[unlikely]] {
      trace_fl_read(r, res.pasid, level, at, raw[0], e, delay);
    }
    if (!e.present) {
      fail(res, FR::kSmFirstLevelEntryNotPresent, pe.fpd);
      return std::nullopt;
    }
    const bool leaf = level == 1 || e.ps;
    if ((raw[0] & vtd::first_level_reserved_mask(level, e.ps, host_address_width_)) != 0) {
      fail(res, FR::kSmFirstLevelEntryReserved, pe.fpd);
      return std::nullopt;
    }
    out.writable = out.writable && e.rw;
    out.user = out.user && e.us;
    out.execute_disable = out.execute_disable || e.xd;
    // VT-d spec 3.6.3: the walker sets A in every first-level entry it uses
    // and D in the leaf of a write it allows; nested, the entry's page must
    // be writable at the second level.
    std::uint64_t set = e.accessed ? 0 : (1ull << 5);
    const bool write_allowed = out.writable || (r.privileged && !pe.wpe);
    if (leaf) {
      const bool set_dirty = r.write && write_allowed && !e.dirty;
      if (set_dirty) set |= 1ull << 6;
      out.dirty = e.dirty || set_dirty;
    }
    if (set != 0) {
      if (!entry_writable) {
        fail(res, FR::kSmNestedFirstLevelWriteDenied, pe.fpd);
        return std::nullopt;
      }
      ++ad_updates_;
      if (trace::on(trace::Category::Walk)) [[unlikely]]
        trace_ad_update(r, res.pasid, at, set, delay);
      if (!port_.atomic_or(at, set, delay)) {
        fail(res, FR::kSmFirstLevelEntryAccess, pe.fpd);
        return std::nullopt;
      }
    }
    if (leaf) {
      out.page_shift = static_cast<std::uint8_t>(12 + 9 * (level - 1));
      out.output_page = e.address & ~((1ull << out.page_shift) - 1);
      if (!nested) return out;
      // The output is guest-physical: translate it for the access itself.
      const std::uint64_t gpa = out.output_page | (r.iova & ((1ull << out.page_shift) - 1));
      auto sl = walk_second_level(r, pe, gpa, r.write, delay, res);
      if (!sl) return std::nullopt;
      const std::uint8_t shift = std::min(out.page_shift, sl->page_shift);
      out.page_shift = shift;
      out.output_page =
          (sl->output_page | (gpa & ((1ull << sl->page_shift) - 1))) & ~((1ull << shift) - 1);
      out.readable = sl->r;
      out.sl_writable = sl->w;
      out.execute_disable = out.execute_disable || (pe.ssee && !sl->x);
      out.dirty = out.dirty && sl->dirty;
      return out;
    }
    table = e.address;
    table_is_host = !nested;
    pending = level;
  }
  return std::nullopt;  // unreachable: level 1 is always a leaf
}

std::optional<IotlbEntry> Translator::walk(const PasidInfo& pe, const TranslationRequest& r,
                                           sc_core::sc_time& delay, TranslationResult& res) {
  ++walks_;
  const auto pgtt = static_cast<vtd::Pgtt>(pe.pgtt);
  if (pgtt != vtd::Pgtt::SecondLevel) {
    return walk_first_level(pe, r, pgtt == vtd::Pgtt::Nested, delay, res);
  }
  auto sl = walk_second_level(r, pe, r.iova, r.write, delay, res);
  if (!sl) return std::nullopt;
  IotlbEntry out{};
  out.output_page = sl->output_page;
  out.page_shift = sl->page_shift;
  out.readable = sl->r;
  out.sl_writable = sl->w;
  // VT-d spec 9.6 SSEE: second-level X is checked only when SSEE is set.
  out.execute_disable = pe.ssee && !sl->x;
  out.dirty = sl->dirty;
  return out;
}

bool Translator::stale(std::uint64_t epoch, std::optional<std::uint16_t> did) {
  // No descriptor executed since: nothing can be stale (the common case,
  // and no lookup of the domain's count).
  if (invalidations_ == epoch) [[likely]]
    return false;
  bool changed = global_invalidated_ > epoch;
  if (did && !changed) {
    const auto it = domain_invalidated_.find(*did);
    changed = it != domain_invalidated_.end() && it->second > epoch;
  }
  if (!changed || installs_stale_walks_) return false;
  ++restarts_;
  return true;
}

bool Translator::device_tlb_enabled(std::uint16_t sid, std::uint64_t root_table,
                                    sc_core::sc_time& delay) {
  if (const ContextInfo* ctx = context_cache_.lookup(sid, sid)) return ctx->dte;
  TranslationResult ignored;
  TranslationRequest r;
  r.source_id = sid;
  const auto fetched = fetch_context(r, root_table, delay, ignored);
  if (!fetched) return false;
  context_cache_.insert(sid, *fetched, sid);
  return fetched->dte;
}

// VT-d spec 3.4.3: the context and PASID entries come from their caches or
// from memory. A step that read memory while an invalidation executed
// (Timed mode waits there) may have read stale structures: it installs
// nothing and the translation starts again.
inline Translator::Step Translator::lookup_context(const TranslationRequest& r,
                                                   std::uint64_t root_table, std::uint64_t epoch,
                                                   std::optional<ContextInfo>& fetched,
                                                   const ContextInfo*& ctx, sc_core::sc_time& delay,
                                                   TranslationResult& res) {
  ctx = context_cache_.lookup(r.source_id, r.source_id);
  if (trace::on(trace::Category::Context)) [[unlikely]] {
    trace_context_probe(r, ctx != nullptr, delay);
  }
  res.context_cached = ctx != nullptr;
  if (ctx != nullptr) [[likely]]
    return Step::Go;
  return context_miss(r, root_table, epoch, fetched, ctx, delay, res);
}

Translator::Step Translator::context_miss(const TranslationRequest& r, std::uint64_t root_table,
                                          std::uint64_t epoch, std::optional<ContextInfo>& fetched,
                                          const ContextInfo*& ctx, sc_core::sc_time& delay,
                                          TranslationResult& res) {
  auto c = fetch_context(r, root_table, delay, res);
  // Context entries carry no domain ID: only invalidations of every domain
  // (context-cache ones among them) can make this one stale.
  if (stale(epoch, std::nullopt)) return Step::Restart;
  if (!c) return Step::Stop;
  fetched = *c;
  context_cache_.insert(r.source_id, *fetched, r.source_id);
  ctx = &*fetched;
  return Step::Go;
}

inline Translator::Step Translator::lookup_pasid(const TranslationRequest& r,
                                                 const ContextInfo& ctx, std::uint64_t epoch,
                                                 std::optional<PasidInfo>& fetched,
                                                 const PasidInfo*& pe, sc_core::sc_time& delay,
                                                 TranslationResult& res) {
  const std::uint32_t pasid = r.pasid_present ? r.pasid : ctx.rid_pasid;
  res.pasid = pasid;
  res.device_tlb = ctx.dte;
  // VT-d spec 9.4: the directory has 2^(PDTS+7) entries of 64 PASIDs each.
  if ((static_cast<std::uint64_t>(pasid) >> 6) >= (1ull << (ctx.pdts + 7))) {
    fail(res, FR::kSmPasidTooLarge, ctx.fpd);
    return Step::Stop;
  }
  const PasidKey key{ctx.pasid_dir, pasid};
  pe = pasid_cache_.lookup(key, pasid_index(key));
  if (trace::on(trace::Category::Pasid)) [[unlikely]] {
    trace_pasid_probe(r, key, pe != nullptr, delay);
  }
  res.pasid_cached = pe != nullptr;
  if (pe != nullptr) [[likely]]
    return Step::Go;
  return pasid_miss(r, ctx, key, epoch, fetched, pe, delay, res);
}

Translator::Step Translator::pasid_miss(const TranslationRequest& r, const ContextInfo& ctx,
                                        const PasidKey& key, std::uint64_t epoch,
                                        std::optional<PasidInfo>& fetched, const PasidInfo*& pe,
                                        sc_core::sc_time& delay, TranslationResult& res) {
  auto p = fetch_pasid(r, ctx, key.pasid, delay, res);
  // A PASID entry read is stale after an invalidation of the domain it
  // names (the old one, when software changed it).
  if (stale(epoch, p ? std::optional(p->did) : std::nullopt)) return Step::Restart;
  if (!p) return Step::Stop;
  fetched = *p;
  pasid_cache_.insert(key, *fetched, pasid_index(key));
  pe = &*fetched;
  return Step::Go;
}

// What the PASID entry decides before any page table is read: supervisor
// requests, pass-through, and the canonical form of first-level input.
inline Translator::Step Translator::check_request(const TranslationRequest& r, const PasidInfo& pe,
                                                  TranslationResult& res) const {
  res.did = pe.did;
  if (r.privileged && !pe.sre) {
    fail(res, FR::kSmSreClear, pe.fpd);
    return Step::Stop;
  }
  if (pe.pgtt == static_cast<std::uint8_t>(vtd::Pgtt::PassThrough)) {
    if (address_width_ < 64 && (r.iova >> address_width_) != 0) {
      fail(res, FR::kSmAddressBeyondMax, pe.fpd);
      return Step::Stop;
    }
    res.ok = true;
    res.address = r.iova;
    res.source = TranslationSource::PassThrough;
    return Step::Stop;
  }
  if (pe.pgtt != static_cast<std::uint8_t>(vtd::Pgtt::SecondLevel)) {
    // VT-d spec 3.6.1: bits 63:47 (4-level) or 63:56 (5-level) must all
    // equal the top translated bit.
    const auto upper = static_cast<std::int64_t>(r.iova) >> (pe.fl_levels == 5 ? 56 : 47);
    if (upper != 0 && upper != -1) {
      fail(res, FR::kSmNonCanonical, pe.fpd);
      return Step::Stop;
    }
  }
  return Step::Go;
}

// The IOTLB, else a walk in flight for the same page (Timed mode), else a
// walk of our own on a free walk engine.
inline Translator::Step Translator::iotlb_or_walk(const TranslationRequest& r, const PasidInfo& pe,
                                                  std::uint64_t epoch,
                                                  std::optional<IotlbEntry>& walked,
                                                  const IotlbEntry*& entry, sc_core::sc_time& delay,
                                                  TranslationResult& res) {
  const std::uint32_t pasid = res.pasid;
  entry = iotlb_.lookup(pe.did, pasid, r.iova);
  if (trace::on(trace::Category::Iotlb)) [[unlikely]] {
    trace_iotlb_probe(r, pe.did, pasid, entry, delay);
  }
  // A write through an entry whose Dirty flags are not all set walks again.
  if (entry != nullptr && r.write && !entry->dirty) entry = nullptr;
  if (entry != nullptr) [[likely]] {
    res.iotlb_hit = true;
    res.source = TranslationSource::Iotlb;
    return Step::Go;
  }
  return iotlb_miss(r, pe, epoch, walked, entry, delay, res);
}

Translator::Step Translator::iotlb_miss(const TranslationRequest& r, const PasidInfo& pe,
                                        std::uint64_t epoch, std::optional<IotlbEntry>& walked,
                                        const IotlbEntry*& entry, sc_core::sc_time& delay,
                                        TranslationResult& res) {
  const std::uint32_t pasid = res.pasid;
  const bool timed = mode_ == TimingMode::Timed;
  if (timed && merge_misses_) {
    entry = wait_for_walk_in_flight(pe.did, pasid, r.iova);
    if (entry != nullptr) {
      res.source = TranslationSource::MergedWalk;
      return Step::Go;
    }
  }
  // Functional mode has no contention: walks neither queue nor merge.
  const auto key = std::make_tuple(pe.did, pasid, r.iova >> 12);
  if (timed) {
    acquire_walk_engine();
    in_flight_.insert(key);
  }
  const std::uint64_t walk_id = ++walk_ids_;
  if (trace::on(trace::Category::Walk)) [[unlikely]]
    trace_walk(r, pe, walk_id, true, delay);
  auto w = walk(pe, r, delay, res);
  if (trace::on(trace::Category::Walk)) [[unlikely]]
    trace_walk(r, pe, walk_id, false, delay);
  const bool restart = stale(epoch, pe.did);
  if (w && !restart) {
    w->filled_ps = (sc_core::sc_time_stamp() + (timed ? sc_core::SC_ZERO_TIME : delay)).value();
    iotlb_.insert(pe.did, pasid, r.iova, *w);
    if (trace::on(trace::Category::Iotlb)) [[unlikely]]
      trace_iotlb_fill(r, pe.did, pasid, *w);
  }
  if (timed) {
    in_flight_.erase(key);
    release_walk_engine();
  }
  if (restart) return Step::Restart;
  if (!w) return Step::Stop;
  walked = *w;
  entry = &*walked;
  return Step::Go;
}

// VT-d spec 3.6.2 "Access Rights": user requests need U/S=1 at every level;
// writes need R/W=1 unless a supervisor request with WPE=0; execute
// requests need XD=0; the second level's R and W apply too.
inline void Translator::check_access(const TranslationRequest& r, const PasidInfo& pe,
                                     const IotlbEntry& e, TranslationResult& res) const {
  res.filled_ps = e.filled_ps;
  if (!r.privileged && !e.user) {
    fail(res, FR::kSmUserAccessSupervisorPage, pe.fpd);
  } else if (r.write && ((!e.writable && !(r.privileged && !pe.wpe)) || !e.sl_writable)) {
    fail(res, FR::kSmWriteDenied, pe.fpd);
  } else if (!r.write && !e.readable) {
    fail(res, FR::kSmReadDenied, pe.fpd);
  } else if (r.execute && e.execute_disable) {
    fail(res, FR::kSmExecuteDenied, pe.fpd);
  } else {
    res.ok = true;
    res.page_shift = e.page_shift;
    res.address = e.output_page | (r.iova & ((1ull << e.page_shift) - 1));
  }
}

TranslationResult Translator::translate(const TranslationRequest& r, std::uint64_t root_table,
                                        sc_core::sc_time& delay) {
  // One exit returning `res` itself, so it is built in the caller's slot
  // (named return value optimisation) on the hot path. A restart loops
  // rather than recurses: a user who keeps invalidating its own domain
  // restarts its walks as often, and must not grow the stack.
  TranslationResult res;
  for (;;) {
    const std::uint64_t epoch = invalidations_;
    // What a miss fetched, for this translation to use whatever the cache
    // does with it; optional, so that a hit pays no initialisation.
    std::optional<ContextInfo> ctx_fetched;
    const ContextInfo* ctx = nullptr;
    std::optional<PasidInfo> pe_fetched;
    const PasidInfo* pe = nullptr;
    std::optional<IotlbEntry> walked;
    const IotlbEntry* entry = nullptr;
    Step step = lookup_context(r, root_table, epoch, ctx_fetched, ctx, delay, res);
    if (step == Step::Go) step = lookup_pasid(r, *ctx, epoch, pe_fetched, pe, delay, res);
    if (step == Step::Go) step = check_request(r, *pe, res);
    if (step == Step::Go) step = iotlb_or_walk(r, *pe, epoch, walked, entry, delay, res);
    if (step == Step::Go) check_access(r, *pe, *entry, res);
    if (step != Step::Restart) return res;
    res = TranslationResult{};
  }
}

}  // namespace iommu_sim
