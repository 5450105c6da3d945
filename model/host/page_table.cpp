#include "model/host/page_table.h"

#include <array>

#include "iommu/formats/vtd_paging.h"

namespace iommu_sim {

namespace vtd = iommu::vtd;

PageTable::PageTable(HostBus& bus, FrameAllocator& frames, PageTableFormat format, unsigned levels,
                     TableMemory memory)
    : bus_(bus),
      frames_(frames),
      format_(format),
      levels_(levels),
      memory_(memory ? std::move(memory) : [](std::uint64_t a) { return a; }),
      root_(frames.allocate(4096)) {}

std::uint64_t PageTable::entry_address(std::uint64_t table, std::uint64_t iova,
                                       unsigned level) const {
  // Both formats index each level with 9 address bits (VT-d spec 9.7, 9.8).
  return table + vtd::first_level_index(iova, level) * 8;
}

bool PageTable::present(std::uint64_t raw) const {
  if (format_ == PageTableFormat::FirstLevel) return vtd::FirstLevelEntry::decode(raw).present;
  const auto e = vtd::SecondLevelEntry::decode(raw);
  return e.r || e.w;
}

bool PageTable::leaf(std::uint64_t raw, unsigned level) const {
  return level == 1 || (raw & (1ull << 7)) != 0;  // PS is bit 7 in both formats
}

std::uint64_t PageTable::next_table(std::uint64_t raw) const {
  return raw & 0x000ffffffffff000ull;  // bits 51:12 in both formats
}

std::uint64_t PageTable::table_entry(std::uint64_t table) const {
  if (format_ == PageTableFormat::FirstLevel) {
    vtd::FirstLevelEntry e{};
    e.present = e.rw = e.us = e.accessed = true;
    e.address = table;
    return e.encode();
  }
  vtd::SecondLevelEntry e{};
  e.r = e.w = true;
  e.address = table;
  return e.encode();
}

std::uint64_t PageTable::leaf_entry(std::uint64_t physical, unsigned level, bool writable,
                                    bool readable) const {
  if (format_ == PageTableFormat::FirstLevel) {
    vtd::FirstLevelEntry e{};
    e.present = e.us = e.accessed = true;
    e.rw = e.dirty = writable;
    e.ps = level > 1;
    e.address = physical;
    return e.encode();
  }
  vtd::SecondLevelEntry e{};
  e.r = readable;
  e.w = writable;
  e.ps = level > 1;
  e.address = physical;
  return e.encode();
}

void PageTable::map(std::uint64_t iova, std::uint64_t physical, std::uint8_t page_shift,
                    bool writable, bool readable) {
  const unsigned leaf_level = 1 + (page_shift - 12) / 9;
  std::uint64_t table = root_;
  for (unsigned level = levels_; level > leaf_level; --level) {
    const std::uint64_t at = entry_address(table, iova, level);
    std::uint64_t raw = read_entry(at);
    if (!present(raw)) {
      // A new table page starts empty (Linux allocates them zeroed); a
      // reused frame still holds a freed table's entries.
      static constexpr std::array<std::uint8_t, 4096> kZeros{};
      const std::uint64_t page = frames_.allocate(4096);
      ++tables_allocated_;
      bus_.write(memory_(page), kZeros);
      raw = table_entry(page);
      write_entry(at, raw);
    }
    table = next_table(raw);
  }
  write_entry(entry_address(table, iova, leaf_level),
              leaf_entry(physical, leaf_level, writable, readable));
}

void PageTable::map_range(std::uint64_t iova, std::uint64_t physical, std::uint64_t length,
                          std::uint8_t max_shift, bool writable, bool readable) {
  for (std::uint64_t off = 0; off < length;) {
    std::uint8_t shift = max_shift;
    while (shift > 12) {
      const std::uint64_t size = 1ull << shift;
      if ((iova + off) % size == 0 && (physical + off) % size == 0 && off + size <= length) break;
      shift = static_cast<std::uint8_t>(shift - 9);
    }
    map(iova + off, physical + off, shift, writable, readable);
    off += 1ull << shift;
  }
}

std::uint64_t PageTable::unmap(std::uint64_t iova) {
  std::uint64_t table = root_;
  for (unsigned level = levels_; level >= 1; --level) {
    const std::uint64_t at = entry_address(table, iova, level);
    const std::uint64_t raw = read_entry(at);
    if (!present(raw)) return 0;
    if (leaf(raw, level)) {
      write_entry(at, 0);
      return vtd::level_page_size(level);
    }
    table = next_table(raw);
  }
  return 0;
}

void PageTable::unmap_range(std::uint64_t lo, std::uint64_t hi, std::vector<std::uint64_t>& freed) {
  clear(root_, levels_, 0, lo, hi, freed);
}

void PageTable::clear(std::uint64_t table, unsigned level, std::uint64_t base, std::uint64_t lo,
                      std::uint64_t hi, std::vector<std::uint64_t>& freed) {
  const std::uint64_t span = vtd::level_page_size(level);  // bytes one entry maps
  const std::uint64_t first = lo > base ? (lo - base) / span : 0;
  for (std::uint64_t i = first; i < 512; ++i) {
    const std::uint64_t entry_lo = base + i * span;
    if (entry_lo >= hi) break;
    const std::uint64_t at = table + i * 8;
    const std::uint64_t raw = read_entry(at);
    if (!present(raw)) continue;
    if (leaf(raw, level)) {
      write_entry(at, 0);
    } else if (lo <= entry_lo && entry_lo + span <= hi) {
      collect(next_table(raw), level - 1, freed);
      write_entry(at, 0);
    } else {
      clear(next_table(raw), level - 1, entry_lo, lo, hi, freed);
    }
  }
}

void PageTable::collect(std::uint64_t table, unsigned level, std::vector<std::uint64_t>& freed) {
  for (std::uint64_t i = 0; level > 1 && i < 512; ++i) {
    const std::uint64_t raw = read_entry(table + i * 8);
    if (present(raw) && !leaf(raw, level)) collect(next_table(raw), level - 1, freed);
  }
  freed.push_back(table);
}

std::optional<PageMapping> PageTable::lookup(std::uint64_t iova) {
  std::uint64_t table = root_;
  for (unsigned level = levels_; level >= 1; --level) {
    const std::uint64_t raw = read_entry(entry_address(table, iova, level));
    if (!present(raw)) return std::nullopt;
    if (leaf(raw, level)) {
      const std::uint64_t size = vtd::level_page_size(level);
      const bool writable = format_ == PageTableFormat::FirstLevel
                                ? vtd::FirstLevelEntry::decode(raw).rw
                                : vtd::SecondLevelEntry::decode(raw).w;
      return PageMapping{(next_table(raw) & ~(size - 1)) | (iova & (size - 1)), writable,
                         static_cast<std::uint8_t>(12 + 9 * (level - 1))};
    }
    table = next_table(raw);
  }
  return std::nullopt;
}

}  // namespace iommu_sim
