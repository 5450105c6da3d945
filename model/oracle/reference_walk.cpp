#include "model/oracle/reference_walk.h"

#include <array>

#include "iommu/formats/vtd_paging.h"
#include "iommu/formats/vtd_pasid.h"
#include "iommu/formats/vtd_root_context.h"

namespace iommu_sim {

namespace vtd = iommu::vtd;

namespace {

// Rights accumulated over a walk.
struct Rights {
  bool read = true, write = true, user = true, execute = true;
};

struct Leaf {
  std::uint64_t address;  // output address of the byte asked for
  Rights rights;
};

// Second-level walk (VT-d spec 3.7): R/W/X ANDed over the levels; an
// entry with R=W=0 is not present.
std::optional<Leaf> second_level(const SparseMemory& m, std::uint64_t table, unsigned levels,
                                 std::uint64_t in) {
  if ((in >> vtd::paging_address_width(levels)) != 0) return std::nullopt;
  Rights rights;
  for (unsigned level = levels; level >= 1; --level) {
    const auto e =
        vtd::SecondLevelEntry::decode(m.read64(table + vtd::first_level_index(in, level) * 8));
    if (!e.r && !e.w) return std::nullopt;
    rights.read = rights.read && e.r;
    rights.write = rights.write && e.w;
    rights.execute = rights.execute && e.x;
    if (level == 1 || e.ps) {
      const std::uint64_t size = vtd::level_page_size(level);
      return Leaf{(e.address & ~(size - 1)) | (in & (size - 1)), rights};
    }
    table = e.address;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::uint64_t> reference_translate(const SparseMemory& m, std::uint64_t root_table,
                                                 unsigned address_width,
                                                 const TranslationRequest& r) {
  const auto bus = static_cast<std::uint8_t>(r.source_id >> 8);
  const auto devfn = static_cast<std::uint8_t>(r.source_id & 0xff);
  const std::uint64_t root_at = vtd::root_entry_address(root_table, bus);
  const auto root = vtd::ScalableRootEntry::decode({m.read64(root_at), m.read64(root_at + 8)});
  const bool upper = devfn >= 0x80;
  if (!(upper ? root.upper_present : root.lower_present)) return std::nullopt;
  const std::uint64_t ctx_at = vtd::scalable_context_entry_address(
      upper ? root.upper_context_table : root.lower_context_table, devfn);
  std::array<std::uint64_t, 4> ctx_raw{};
  for (unsigned i = 0; i < 4; ++i) ctx_raw[i] = m.read64(ctx_at + 8ull * i);
  const auto ctx = vtd::ScalableContextEntry::decode(ctx_raw);
  if (!ctx.present) return std::nullopt;
  const std::uint32_t pasid = r.pasid_present ? r.pasid : ctx.rid_pasid;
  if ((static_cast<std::uint64_t>(pasid) >> 6) >= (1ull << (ctx.pdts + 7))) return std::nullopt;
  const auto dir = vtd::PasidDirEntry::decode(
      m.read64(ctx.pasid_dir_ptr + vtd::pasid_dir_index(pasid) * vtd::kPasidDirEntrySize));
  if (!dir.present) return std::nullopt;
  const std::uint64_t pe_at =
      dir.pasid_table_ptr + vtd::pasid_table_index(pasid) * vtd::kPasidEntrySize;
  std::array<std::uint64_t, 8> pe_raw{};
  for (unsigned i = 0; i < 8; ++i) pe_raw[i] = m.read64(pe_at + 8ull * i);
  const auto pe = vtd::PasidEntry::decode(pe_raw);
  if (!pe.present) return std::nullopt;
  if (r.privileged && !pe.sre) return std::nullopt;
  const auto pgtt = static_cast<vtd::Pgtt>(pe.pgtt);
  const unsigned sl_levels = vtd::second_level_levels(pe.aw);
  if (pgtt == vtd::Pgtt::PassThrough) {
    if (address_width < 64 && (r.iova >> address_width) != 0) return std::nullopt;
    return r.iova;
  }

  std::optional<Leaf> leaf;
  bool supervisor_write_ok = false;  // a supervisor write ignores R/W with WPE=0
  if (pgtt == vtd::Pgtt::SecondLevel) {
    if (sl_levels == 0) return std::nullopt;
    leaf = second_level(m, pe.slptptr, sl_levels, r.iova);
    if (leaf && !pe.ssee) leaf->rights.execute = true;
  } else if (pgtt == vtd::Pgtt::FirstLevel || pgtt == vtd::Pgtt::Nested) {
    const bool nested = pgtt == vtd::Pgtt::Nested;
    if (nested && sl_levels == 0) return std::nullopt;
    const unsigned levels = pe.flpm == 1 ? 5 : 4;
    const auto upper_bits = static_cast<std::int64_t>(r.iova) >> (levels == 5 ? 56 : 47);
    if (upper_bits != 0 && upper_bits != -1) return std::nullopt;
    // Nested: every table address is guest-physical, translated (and needing
    // read rights) at the second level.
    auto host = [&](std::uint64_t gpa) -> std::optional<std::uint64_t> {
      if (!nested) return gpa;
      const auto t = second_level(m, pe.slptptr, sl_levels, gpa);
      if (!t || !t->rights.read) return std::nullopt;
      return t->address;
    };
    Rights rights;
    std::uint64_t table = pe.flptptr;
    for (unsigned level = levels; level >= 1; --level) {
      const auto at = host(table + vtd::first_level_index(r.iova, level) * 8);
      if (!at) return std::nullopt;
      const auto e = vtd::FirstLevelEntry::decode(m.read64(*at));
      if (!e.present) return std::nullopt;
      rights.write = rights.write && e.rw;
      rights.user = rights.user && e.us;
      rights.execute = rights.execute && !e.xd;
      if (level == 1 || e.ps) {
        const std::uint64_t size = vtd::level_page_size(level);
        const std::uint64_t out = (e.address & ~(size - 1)) | (r.iova & (size - 1));
        supervisor_write_ok = r.privileged && !pe.wpe;
        if (!nested) {
          leaf = Leaf{out, rights};
          break;
        }
        auto sl = second_level(m, pe.slptptr, sl_levels, out);
        if (!sl) return std::nullopt;
        sl->rights.user = rights.user;
        sl->rights.execute = rights.execute && (!pe.ssee || sl->rights.execute);
        // First-level R/W and second-level W must both allow a write.
        sl->rights.write = sl->rights.write && (rights.write || supervisor_write_ok);
        supervisor_write_ok = false;
        leaf = sl;
        break;
      }
      table = e.address;
    }
  } else {
    return std::nullopt;
  }
  if (!leaf) return std::nullopt;
  const Rights& g = leaf->rights;
  if (!r.privileged && !g.user) return std::nullopt;
  if (r.write && !(g.write || supervisor_write_ok)) return std::nullopt;
  if (!r.write && !g.read) return std::nullopt;
  if (r.execute && !g.execute) return std::nullopt;
  return leaf->address;
}

}  // namespace iommu_sim
