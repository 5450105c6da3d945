// fuzz_translator's seeds: one per kind of translation (first-level 4 and
// 5 levels with each page size, second-level 3 to 5 levels, nested,
// pass-through, PCIe ATS) and per edge case the target exists for (rights,
// loops, tables and outputs in the MMIO window or beyond memory).
#include <optional>

#include "fuzz/seeds.h"
#include "iommu/formats/vtd_paging.h"
#include "iommu/formats/vtd_registers.h"
#include "iommu/formats/vtd_root_context.h"
#include "pcie/topology.h"

namespace iommu_sim::fuzz {

namespace {

namespace vtd = iommu::vtd;

constexpr std::uint64_t kTables = 0x10000000;  // 256 MiB
constexpr std::uint64_t kData = 0x40000000;    // 1 GiB: aligned for every page size
constexpr std::uint64_t kIova = 0x100000;
constexpr unsigned kNic = 0, kGpu = 1;

FuzzDma dma(unsigned function, std::uint64_t iova, bool write,
            std::optional<std::uint32_t> pasid = 1) {
  return {.function = function,
          .iova = iova,
          .write = write,
          .pasid_present = pasid.has_value(),
          .pasid = pasid.value_or(0)};
}

TranslatorInput input(const TableImage& image, std::vector<FuzzDma> dmas) {
  return {image.root_table() | vtd::kRtaddrScalableMode, std::move(dmas),
          image.chunks(kMaxChunkBytes)};
}

vtd::PasidEntry first_level(std::uint64_t table, unsigned levels, std::uint16_t did = 1) {
  return {.present = true,
          .pgtt = static_cast<std::uint8_t>(vtd::Pgtt::FirstLevel),
          .did = did,
          .flpm = static_cast<std::uint8_t>(levels == 5 ? 1 : 0),
          .flptptr = table};
}

vtd::PasidEntry second_level(std::uint64_t table, unsigned levels, bool ad = false) {
  return {.present = true,
          .aw = static_cast<std::uint8_t>(levels - 2),  // VT-d spec 9.6: AW 1-3, 3-5 levels
          .pgtt = static_cast<std::uint8_t>(vtd::Pgtt::SecondLevel),
          .ssade = ad,
          .slptptr = table,
          .did = 2};
}

// nic0's PASID 1 through a first-level table mapping one page at kIova.
TranslatorInput first_level_page(unsigned levels, unsigned leaf_level) {
  TableImage image(kTables);
  const std::uint64_t table = image.new_frame();
  const std::uint64_t iova = vtd::level_page_size(leaf_level) * 4;
  image.map_first_level(table, levels, iova, kData, leaf_level, {});
  image.set_pasid_entry(kFunctionBdf[kNic], 1, first_level(table, levels));
  return input(image, {dma(kNic, iova + 0x40, false), dma(kNic, iova + 0x1080, true)});
}

// nic0's requests without PASID (RID_PASID 0) through a second-level table.
TranslatorInput second_level_page(unsigned levels, unsigned leaf_level, bool ad) {
  TableImage image(kTables);
  const std::uint64_t table = image.new_frame();
  const std::uint64_t iova = vtd::level_page_size(leaf_level) * 4;
  image.map_second_level(table, levels, iova, kData, leaf_level, {});
  image.set_pasid_entry(kFunctionBdf[kNic], 0, second_level(table, levels, ad));
  return input(image,
               {dma(kNic, iova + 0x40, false, std::nullopt), dma(kNic, iova, true, std::nullopt)});
}

// A guest's 4-level first-level table on a 4-level second-level table
// that maps guest-physical [0, 4 GiB) to the same host-physical addresses
// with 1 GiB pages, so the guest's tables and pages are where the image
// put them.
TranslatorInput nested() {
  TableImage image(kTables);
  const std::uint64_t sl = image.new_frame();
  for (std::uint64_t gb = 0; gb < 4; ++gb) {
    image.map_second_level(sl, 4, gb << 30, gb << 30, 3, {});
  }
  const std::uint64_t fl = image.new_frame();
  image.map_first_level(fl, 4, kIova, kData, 1, {});
  vtd::PasidEntry e = first_level(fl, 4);
  e.pgtt = static_cast<std::uint8_t>(vtd::Pgtt::Nested);
  e.aw = 2;
  e.slptptr = sl;
  image.set_pasid_entry(kFunctionBdf[kNic], 1, e);
  return input(image, {dma(kNic, kIova, false), dma(kNic, kIova + 0x800, true)});
}

TranslatorInput pass_through() {
  TableImage image(kTables);
  image.set_pasid_entry(
      kFunctionBdf[kNic], 0,
      {.present = true, .pgtt = static_cast<std::uint8_t>(vtd::Pgtt::PassThrough), .did = 3});
  return input(image,
               {dma(kNic, kData, false, std::nullopt), dma(kNic, kData, true, std::nullopt)});
}

// gpu0 (DTE set): a Translation Request, then translated requests that hit
// its device TLB.
TranslatorInput ats() {
  TableImage image(kTables);
  const std::uint64_t table = image.new_frame();
  image.map_first_level(table, 4, kIova, kData, 1, {});
  image.set_pasid_entry(kFunctionBdf[kGpu], 1, first_level(table, 4), true);
  return input(image, {dma(kGpu, kIova, false), dma(kGpu, kIova + 0x40, true),
                       dma(kGpu, kIova + 0x80, false)});
}

// Rights: a read-only page written, a user page read by a privileged
// request with SRE clear, a supervisor page with SRE set, an execute
// request of a page with XD set.
TranslatorInput rights() {
  TableImage image(kTables);
  const std::uint64_t table = image.new_frame();
  image.map_first_level(table, 4, kIova, kData, 1, {.writable = false});
  image.map_first_level(table, 4, kIova + 0x1000, kData + 0x1000, 1,
                        {.user = false, .executable = false});
  image.set_pasid_entry(kFunctionBdf[kNic], 1, first_level(table, 4));
  vtd::PasidEntry supervisor = first_level(table, 4);
  supervisor.sre = true;
  supervisor.wpe = true;
  image.set_pasid_entry(kFunctionBdf[kNic], 2, supervisor);
  FuzzDma privileged = dma(kNic, kIova + 0x1000, false, 2);
  privileged.privileged = true;
  FuzzDma execute = privileged;
  execute.execute = true;
  return input(image,
               {dma(kNic, kIova, true), privileged, execute, dma(kNic, kIova + 0x1000, false)});
}

// A table that points at itself at every level: PML4[1] holds the PML4, so
// an IOVA with index 1 at each level walks it four times and lands on it.
TranslatorInput self_reference() {
  TableImage image(kTables);
  const std::uint64_t table = image.new_frame();
  image.write64(
      table + 8,
      vtd::FirstLevelEntry{.present = true, .rw = true, .us = true, .address = table}.encode());
  image.set_pasid_entry(kFunctionBdf[kNic], 1, first_level(table, 4));
  const std::uint64_t iova = (1ull << 39) | (1ull << 30) | (1ull << 21) | (1ull << 12);
  return input(image, {dma(kNic, iova, false), dma(kNic, iova + 8, true)});
}

// The same loop in a second-level table, with A/D updates on.
TranslatorInput second_level_loop() {
  TableImage image(kTables);
  const std::uint64_t table = image.new_frame();
  image.write64(table + 8,
                vtd::SecondLevelEntry{.r = true, .w = true, .x = true, .address = table}.encode());
  image.set_pasid_entry(kFunctionBdf[kNic], 0, second_level(table, 4, true));
  const std::uint64_t iova = (1ull << 39) | (1ull << 30) | (1ull << 21) | (1ull << 12);
  return input(image, {dma(kNic, iova, true, std::nullopt)});
}

// Where enumeration put each function's BAR.
std::uint64_t bar_of(unsigned function) {
  Topology t;
  build_topology(fuzz_platform_config().pcie, t);
  return t.nodes[static_cast<std::size_t>(t.find(kFunctionName[function]))].bar_base;
}

// DMA translated to the other function's BAR: peer to peer.
TranslatorInput output_in_mmio() {
  TableImage image(kTables);
  const std::uint64_t table = image.new_frame();
  image.map_first_level(table, 4, kIova, bar_of(kGpu), 1, {});
  image.map_first_level(table, 4, kIova + 0x1000, bar_of(kNic), 1, {});
  image.set_pasid_entry(kFunctionBdf[kNic], 1, first_level(table, 4));
  image.set_pasid_entry(kFunctionBdf[kGpu], 1, first_level(table, 4), true);
  return input(image, {dma(kNic, kIova, true), dma(kGpu, kIova + 0x1000, false),
                       dma(kNic, kIova + 0x40, false)});
}

// Where the image holds nic0's context entry (bus 1, devfn 0: the lower
// context table).
std::uint64_t nic_context_entry(const TableImage& image) {
  const Bdf nic = kFunctionBdf[kNic];
  const std::uint64_t root = vtd::root_entry_address(image.root_table(), nic.bus);
  const auto entry = vtd::ScalableRootEntry::decode({image.read64(root), image.read64(root + 8)});
  return vtd::scalable_context_entry_address(entry.lower_context_table, nic.devfn());
}

// nic0's PASID directory in the MMIO window (memory there reads zero).
TranslatorInput table_in_mmio() {
  TableImage image(kTables);
  const std::uint64_t table = image.new_frame();
  image.map_first_level(table, 4, kIova, kData, 1, {});
  image.set_pasid_entry(kFunctionBdf[kNic], 1, first_level(table, 4));
  const vtd::ScalableContextEntry context{
      .present = true, .paside = true, .pasid_dir_ptr = bar_of(kNic)};
  image.write64(nic_context_entry(image), context.encode()[0]);
  return input(image, {dma(kNic, kIova, false)});
}

// Beyond memory (2^46): a page's output, and the PASID table of PASIDs
// 64-127 (directory entry 1).
TranslatorInput beyond_memory() {
  TableImage image(kTables);
  const std::uint64_t table = image.new_frame();
  image.map_first_level(table, 4, kIova, 1ull << 50, 1, {});
  image.set_pasid_entry(kFunctionBdf[kNic], 1, first_level(table, 4));
  image.set_pasid_entry(kFunctionBdf[kNic], 70, first_level(table, 4));
  const std::uint64_t dir = image.read64(nic_context_entry(image)) & iommu::formats::mask(63, 12);
  image.write64(dir + vtd::kPasidDirEntrySize,
                vtd::PasidDirEntry{.present = true, .pasid_table_ptr = 1ull << 50}.encode());
  return input(image, {dma(kNic, kIova, false), dma(kNic, kIova, false, 70)});
}

// Four DMAs to one page at once: one walk, the others merged into it.
TranslatorInput merged_walks() {
  TranslatorInput in = first_level_page(4, 1);
  const std::uint64_t iova = vtd::level_page_size(1) * 4;
  in.dmas = {dma(kNic, iova, false), dma(kNic, iova + 64, false), dma(kNic, iova + 128, true),
             dma(kNic, iova + 192, false)};
  return in;
}

// A request crossing a 4 KiB boundary (malformed) and one without PASID
// where only PASID 1 is set up (RID_PASID's entry not present).
TranslatorInput malformed_and_missing() {
  TranslatorInput in = first_level_page(4, 1);
  FuzzDma crossing = dma(kNic, vtd::level_page_size(1) * 4 + 0xfc0, false);
  crossing.size = 128;
  in.dmas = {crossing, dma(kNic, vtd::level_page_size(1) * 4, false, std::nullopt)};
  return in;
}

}  // namespace

std::vector<std::pair<std::string, TranslatorInput>> translator_seeds() {
  TranslatorInput root_beyond_memory = first_level_page(4, 1);
  root_beyond_memory.rtaddr = (1ull << 50) | vtd::kRtaddrScalableMode;
  return {{"first_level_4k", first_level_page(4, 1)},
          {"first_level_2m", first_level_page(4, 2)},
          {"first_level_1g", first_level_page(4, 3)},
          {"first_level_5_levels", first_level_page(5, 1)},
          {"second_level_3_levels", second_level_page(3, 1, false)},
          {"second_level_4_levels_2m_ad", second_level_page(4, 2, true)},
          {"second_level_5_levels_1g", second_level_page(5, 3, false)},
          {"nested", nested()},
          {"pass_through", pass_through()},
          {"ats", ats()},
          {"rights", rights()},
          {"self_reference", self_reference()},
          {"second_level_loop", second_level_loop()},
          {"output_in_mmio", output_in_mmio()},
          {"table_in_mmio", table_in_mmio()},
          {"beyond_memory", beyond_memory()},
          {"root_beyond_memory", root_beyond_memory},
          {"merged_walks", merged_walks()},
          {"malformed_and_missing", malformed_and_missing()}};
}

}  // namespace iommu_sim::fuzz
