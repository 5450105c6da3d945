#include "iommu/translator.h"

#include "iommu/formats/vtd_paging.h"
#include "iommu/formats/vtd_pasid.h"
#include "iommu/formats/vtd_root_context.h"

namespace iommu_sim {

namespace vtd = iommu::vtd;
using FR = iommu::vtd::FaultReason;

Translator::Translator(const IommuParams& params, TablePort& port, TimingMode mode,
                       StatsRegistry& stats, const std::string& prefix)
    : port_(port),
      mode_(mode),
      address_width_(params.address_width),
      merge_misses_(params.merge_misses),
      free_engines_(params.walk_engines),
      walk_done_("walk_done"),
      context_cache_(params.context_cache, stats, prefix + ".context_cache"),
      pasid_cache_(params.pasid_cache, stats, prefix + ".pasid_cache"),
      iotlb_(params.iotlb, stats, prefix + ".iotlb") {
  stats.counter(prefix + ".walk.count", &walks_, "first-level page walks started (IOTLB misses)");
  stats.counter(prefix + ".walk.memory_reads", &walk_reads_,
                "memory reads for translation structures: root, context, PASID directory, PASID "
                "table and paging entries");
  stats.counter(prefix + ".walk.merged", &merged_,
                "misses that waited for a walk of the same page in flight instead of walking");
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

std::optional<ContextInfo> Translator::fetch_context(std::uint16_t sid, std::uint64_t root_table,
                                                     sc_core::sc_time& delay,
                                                     TranslationResult& res) {
  const auto bdf_bus = static_cast<std::uint8_t>(sid >> 8);
  const auto devfn = static_cast<std::uint8_t>(sid & 0xff);
  // VT-d spec 9.2: a scalable-mode root entry holds the lower (devfn 0-127)
  // and upper (devfn 128-255) context-table pointers.
  std::array<std::uint64_t, 2> root_raw{};
  ++walk_reads_;
  if (!port_.read_qwords(vtd::root_entry_address(root_table, bdf_bus), root_raw, delay)) {
    fail(res, FR::kSmRootEntryAccess, false);
    return std::nullopt;
  }
  const auto root = vtd::ScalableRootEntry::decode(root_raw);
  const bool upper = devfn >= 0x80;
  if (!(upper ? root.upper_present : root.lower_present)) {
    fail(res, FR::kSmRootEntryNotPresent, false);
    return std::nullopt;
  }
  const std::uint64_t table = upper ? root.upper_context_table : root.lower_context_table;
  // VT-d spec 9.4: 256-bit scalable-mode context entries, 128 per table.
  std::array<std::uint64_t, 4> ctx_raw{};
  ++walk_reads_;
  if (!port_.read_qwords(vtd::scalable_context_entry_address(table, devfn), ctx_raw, delay)) {
    fail(res, FR::kSmContextEntryAccess, false);
    return std::nullopt;
  }
  const auto ctx = vtd::ScalableContextEntry::decode(ctx_raw);
  if (!ctx.present) {
    fail(res, FR::kSmContextEntryNotPresent, ctx.fpd);
    return std::nullopt;
  }
  return ContextInfo{ctx.pasid_dir_ptr, ctx.pdts, ctx.rid_pasid, ctx.fpd};
}

std::optional<PasidInfo> Translator::fetch_pasid(const ContextInfo& ctx, std::uint32_t pasid,
                                                 sc_core::sc_time& delay, TranslationResult& res) {
  // VT-d spec 9.5: directory entries are 8 bytes, indexed by PASID[19:6].
  std::array<std::uint64_t, 1> dir_raw{};
  ++walk_reads_;
  if (!port_.read_qwords(ctx.pasid_dir + vtd::pasid_dir_index(pasid) * vtd::kPasidDirEntrySize,
                         dir_raw, delay)) {
    fail(res, FR::kSmPasidDirAccess, ctx.fpd);
    return std::nullopt;
  }
  const auto dir = vtd::PasidDirEntry::decode(dir_raw[0]);
  if (!dir.present) {
    fail(res, FR::kSmPasidDirEntryNotPresent, ctx.fpd || dir.fpd);
    return std::nullopt;
  }
  // VT-d spec 9.6: 512-bit PASID table entries, 64 per table, indexed by PASID[5:0].
  std::array<std::uint64_t, 8> pe_raw{};
  ++walk_reads_;
  if (!port_.read_qwords(dir.pasid_table_ptr + vtd::pasid_table_index(pasid) * vtd::kPasidEntrySize,
                         pe_raw, delay)) {
    fail(res, FR::kSmPasidEntryAccess, ctx.fpd || dir.fpd);
    return std::nullopt;
  }
  const auto pe = vtd::PasidEntry::decode(pe_raw);
  const bool fpd = ctx.fpd || dir.fpd || pe.fpd;
  if (!pe.present) {
    fail(res, FR::kSmPasidEntryNotPresent, fpd);
    return std::nullopt;
  }
  // This model implements first-level and pass-through translation and says
  // so in ECAP (FLTS=1, PT=1, SLTS=0, NEST=0); any other PGTT, and 5-level
  // first-level paging (CAP.FL5LP=0), is a programming error the hardware
  // reports as an invalid PASID entry (VT-d spec 9.6, PGTT and FLPM fields).
  const bool pgtt_ok = pe.pgtt == static_cast<std::uint8_t>(vtd::Pgtt::FirstLevel) ||
                       pe.pgtt == static_cast<std::uint8_t>(vtd::Pgtt::PassThrough);
  if (!pgtt_ok || (pe.pgtt == static_cast<std::uint8_t>(vtd::Pgtt::FirstLevel) && pe.flpm != 0)) {
    fail(res, FR::kSmInvalidPasidEntry, fpd);
    return std::nullopt;
  }
  return PasidInfo{pe.did, pe.pgtt, pe.flptptr, pe.sre, pe.wpe, fpd};
}

std::optional<IotlbEntry> Translator::walk_first_level(const PasidInfo& pe, std::uint64_t iova,
                                                       sc_core::sc_time& delay,
                                                       TranslationResult& res) {
  ++walks_;
  // VT-d spec 3.6 / 9.7: IA-32e 4-level paging; R/W and U/S are ANDed and XD
  // ORed over the levels, so the IOTLB caches the effective permissions.
  std::uint64_t table = pe.fl_table;
  IotlbEntry out{};
  out.writable = true;
  out.user = true;
  for (unsigned level = 4; level >= 1; --level) {
    std::array<std::uint64_t, 1> raw{};
    ++walk_reads_;
    if (!port_.read_qwords(table + vtd::first_level_index(iova, level) * 8, raw, delay)) {
      fail(res, FR::kSmFirstLevelEntryAccess, pe.fpd);
      return std::nullopt;
    }
    const auto e = vtd::FirstLevelEntry::decode(raw[0]);
    if (!e.present) {
      fail(res, FR::kSmFirstLevelEntryNotPresent, pe.fpd);
      return std::nullopt;
    }
    const bool leaf = level == 1 || e.ps;
    if ((raw[0] & vtd::first_level_reserved_mask(level, e.ps, 52)) != 0) {
      fail(res, FR::kSmFirstLevelEntryReserved, pe.fpd);
      return std::nullopt;
    }
    out.writable = out.writable && e.rw;
    out.user = out.user && e.us;
    out.execute_disable = out.execute_disable || e.xd;
    if (leaf) {
      out.page_shift = static_cast<std::uint8_t>(12 + 9 * (level - 1));
      out.output_page = e.address & ~((1ull << out.page_shift) - 1);
      return out;
    }
    table = e.address;
  }
  return std::nullopt;  // unreachable: level 1 is always a leaf
}

TranslationResult Translator::translate(const TranslationRequest& r, std::uint64_t root_table,
                                        sc_core::sc_time& delay) {
  // Every exit returns `res` itself, so it is built in the caller's slot
  // (named return value optimisation) on the hot path.
  TranslationResult res;
  const ContextInfo* ctx = context_cache_.lookup(r.source_id, r.source_id);
  ContextInfo ctx_fetched;
  if (ctx == nullptr) {
    auto c = fetch_context(r.source_id, root_table, delay, res);
    if (!c) return res;
    ctx_fetched = *c;
    context_cache_.insert(r.source_id, ctx_fetched, r.source_id);
    ctx = &ctx_fetched;
  }
  const std::uint32_t pasid = r.pasid_present ? r.pasid : ctx->rid_pasid;
  res.pasid = pasid;
  // VT-d spec 9.4: the directory has 2^(PDTS+7) entries of 64 PASIDs each.
  if ((static_cast<std::uint64_t>(pasid) >> 6) >= (1ull << (ctx->pdts + 7))) {
    fail(res, FR::kSmPasidTooLarge, ctx->fpd);
    return res;
  }
  const PasidKey pkey{ctx->pasid_dir, pasid};
  const PasidInfo* pe = pasid_cache_.lookup(pkey, pasid_index(pkey));
  PasidInfo pe_fetched;
  if (pe == nullptr) {
    auto p = fetch_pasid(*ctx, pasid, delay, res);
    if (!p) return res;
    pe_fetched = *p;
    pasid_cache_.insert(pkey, pe_fetched, pasid_index(pkey));
    pe = &pe_fetched;
  }
  if (r.privileged && !pe->sre) {
    fail(res, FR::kSmSreClear, pe->fpd);
    return res;
  }

  if (pe->pgtt == static_cast<std::uint8_t>(vtd::Pgtt::PassThrough)) {
    if (address_width_ < 64 && (r.iova >> address_width_) != 0) {
      fail(res, FR::kSmAddressBeyondMax, pe->fpd);
      return res;
    }
    res.ok = true;
    res.address = r.iova;
    return res;
  }

  // VT-d spec 3.6.1: with 4-level paging, bits 63:47 must all equal bit 47.
  const auto upper = static_cast<std::int64_t>(r.iova) >> 47;
  if (upper != 0 && upper != -1) {
    fail(res, FR::kSmNonCanonical, pe->fpd);
    return res;
  }

  const IotlbEntry* hit = iotlb_.lookup(pe->did, pasid, r.iova);
  IotlbEntry walked;
  if (hit != nullptr) {
    res.iotlb_hit = true;
  } else {
    const bool timed = mode_ == TimingMode::Timed;
    if (timed && merge_misses_) hit = wait_for_walk_in_flight(pe->did, pasid, r.iova);
    if (hit == nullptr) {
      // Functional mode has no contention: walks neither queue nor merge.
      const auto key = std::make_tuple(pe->did, pasid, r.iova >> 12);
      if (timed) {
        acquire_walk_engine();
        in_flight_.insert(key);
      }
      auto w = walk_first_level(*pe, r.iova, delay, res);
      if (w) iotlb_.insert(pe->did, pasid, r.iova, *w);
      if (timed) {
        in_flight_.erase(key);
        release_walk_engine();
      }
      if (!w) return res;
      walked = *w;
      hit = &walked;
    }
  }
  // VT-d spec 3.6.2 "Access Rights": user requests need U/S=1 at every
  // level; writes need R/W=1 unless a supervisor request with WPE=0;
  // execute requests need XD=0.
  if (!r.privileged && !hit->user) {
    fail(res, FR::kSmUserAccessSupervisorPage, pe->fpd);
    return res;
  }
  if (r.write && !hit->writable && !(r.privileged && !pe->wpe)) {
    fail(res, FR::kSmWriteDenied, pe->fpd);
    return res;
  }
  if (r.execute && hit->execute_disable) {
    fail(res, FR::kSmExecuteDenied, pe->fpd);
    return res;
  }
  res.ok = true;
  res.address = hit->output_page | (r.iova & ((1ull << hit->page_shift) - 1));
  return res;
}

}  // namespace iommu_sim
