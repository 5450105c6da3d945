#include "fuzz/table_image.h"

#include <stdexcept>

#include "iommu/formats/vtd_paging.h"
#include "iommu/formats/vtd_root_context.h"

namespace iommu_sim::fuzz {

namespace vtd = iommu::vtd;

TableImage::TableImage(std::uint64_t first_frame) : next_frame_(first_frame) {
  root_ = new_frame();
}

std::uint64_t TableImage::new_frame() {
  const std::uint64_t frame = next_frame_;
  next_frame_ += 4096;
  return frame;
}

std::uint64_t TableImage::read64(std::uint64_t address) const {
  const auto it = qwords_.find(address);
  return it == qwords_.end() ? 0 : it->second;
}

void TableImage::set_pasid_entry(Bdf bdf, std::uint32_t pasid, const vtd::PasidEntry& entry,
                                 bool device_tlb) {
  // A 128-entry directory (PDTS 0) covers PASIDs below 2^13.
  if (pasid >= (1u << 13)) throw std::invalid_argument("PASID beyond a 128-entry directory");
  const std::uint64_t re = vtd::root_entry_address(root_, bdf.bus);
  auto root = vtd::ScalableRootEntry::decode({read64(re), read64(re + 8)});
  const bool upper = bdf.devfn() >= 128;
  if (!(upper ? root.upper_present : root.lower_present)) {
    (upper ? root.upper_present : root.lower_present) = true;
    (upper ? root.upper_context_table : root.lower_context_table) = new_frame();
    const auto raw = root.encode();
    write64(re, raw[0]);
    write64(re + 8, raw[1]);
  }
  const std::uint64_t ce = vtd::scalable_context_entry_address(
      upper ? root.upper_context_table : root.lower_context_table, bdf.devfn());
  auto context = vtd::ScalableContextEntry::decode(
      {read64(ce), read64(ce + 8), read64(ce + 16), read64(ce + 24)});
  if (!context.present) {
    context = {.present = true, .dte = device_tlb, .paside = true, .pasid_dir_ptr = new_frame()};
    const auto raw = context.encode();
    for (unsigned q = 0; q < raw.size(); ++q) write64(ce + 8 * q, raw[q]);
  }
  const std::uint64_t de =
      context.pasid_dir_ptr + vtd::pasid_dir_index(pasid) * vtd::kPasidDirEntrySize;
  auto dir = vtd::PasidDirEntry::decode(read64(de));
  if (!dir.present) {
    dir = {.present = true, .pasid_table_ptr = new_frame()};
    write64(de, dir.encode());
  }
  const std::uint64_t pe =
      dir.pasid_table_ptr + vtd::pasid_table_index(pasid) * vtd::kPasidEntrySize;
  const auto raw = entry.encode();
  for (unsigned q = 0; q < raw.size(); ++q) write64(pe + 8 * q, raw[q]);
}

std::uint64_t TableImage::table_below(std::uint64_t entry_address, std::uint64_t non_leaf_flags,
                                      std::uint64_t address_mask) {
  const std::uint64_t entry = read64(entry_address);
  if (entry != 0) return entry & address_mask;
  const std::uint64_t table = new_frame();
  write64(entry_address, table | non_leaf_flags);
  return table;
}

void TableImage::map_first_level(std::uint64_t table, unsigned levels, std::uint64_t input,
                                 std::uint64_t output, unsigned leaf_level, const Rights& rights) {
  const vtd::FirstLevelEntry non_leaf{.present = true, .rw = true, .us = true};
  for (unsigned level = levels; level > leaf_level; --level) {
    table = table_below(table + vtd::first_level_index(input, level) * 8, non_leaf.encode(),
                        iommu::formats::mask(51, 12));
  }
  const vtd::FirstLevelEntry leaf{.present = true,
                                  .rw = rights.writable,
                                  .us = rights.user,
                                  .ps = leaf_level > 1,
                                  .address = output,
                                  .xd = !rights.executable};
  write64(table + vtd::first_level_index(input, leaf_level) * 8, leaf.encode());
}

void TableImage::map_second_level(std::uint64_t table, unsigned levels, std::uint64_t input,
                                  std::uint64_t output, unsigned leaf_level, const Rights& rights) {
  const vtd::SecondLevelEntry non_leaf{.r = true, .w = true, .x = true};
  for (unsigned level = levels; level > leaf_level; --level) {
    // Second-level tables index the input as first-level ones do (VT-d
    // spec 3.7: 9 bits per level above the 4 KiB offset).
    table = table_below(table + vtd::first_level_index(input, level) * 8, non_leaf.encode(),
                        iommu::formats::mask(51, 12));
  }
  const vtd::SecondLevelEntry leaf{.r = true,
                                   .w = rights.writable,
                                   .x = rights.executable,
                                   .ps = leaf_level > 1,
                                   .address = output};
  write64(table + vtd::first_level_index(input, leaf_level) * 8, leaf.encode());
}

std::vector<MemoryChunk> TableImage::chunks(std::size_t max_bytes) const {
  std::vector<MemoryChunk> out;
  for (const auto& [address, value] : qwords_) {
    if (out.empty() || out.back().address + out.back().bytes.size() != address ||
        out.back().bytes.size() + 8 > max_bytes) {
      out.push_back({address, {}});
    }
    for (unsigned i = 0; i < 8; ++i)
      out.back().bytes.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
  }
  return out;
}

}  // namespace iommu_sim::fuzz
