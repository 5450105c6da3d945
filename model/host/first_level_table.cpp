#include "model/host/first_level_table.h"

#include "iommu/formats/vtd_paging.h"

namespace iommu_sim {

namespace vtd = iommu::vtd;

FirstLevelTable::FirstLevelTable(HostBus& bus, FrameAllocator& frames)
    : bus_(bus), frames_(frames), root_(frames.allocate(4096)) {}

std::uint64_t FirstLevelTable::entry_address(std::uint64_t table, std::uint64_t iova,
                                             unsigned level) const {
  return table + vtd::first_level_index(iova, level) * 8;
}

void FirstLevelTable::map_page(std::uint64_t iova, const PageMapping& m) {
  std::uint64_t table = root_;
  for (unsigned level = 4; level > 1; --level) {
    const std::uint64_t at = entry_address(table, iova, level);
    auto e = vtd::FirstLevelEntry::decode(bus_.read64(at));
    if (!e.present) {
      e = vtd::FirstLevelEntry{};
      e.present = true;
      e.rw = true;
      e.us = true;
      e.address = frames_.allocate(4096);
      bus_.write64(at, e.encode());
    }
    table = e.address;
  }
  vtd::FirstLevelEntry leaf{};
  leaf.present = true;
  leaf.rw = m.writable;
  leaf.us = m.user;
  leaf.address = m.physical & ~0xfffull;
  bus_.write64(entry_address(table, iova, 1), leaf.encode());
}

bool FirstLevelTable::unmap_page(std::uint64_t iova) {
  std::uint64_t table = root_;
  for (unsigned level = 4; level > 1; --level) {
    const auto e = vtd::FirstLevelEntry::decode(bus_.read64(entry_address(table, iova, level)));
    if (!e.present) return false;
    table = e.address;
  }
  const std::uint64_t at = entry_address(table, iova, 1);
  if (!vtd::FirstLevelEntry::decode(bus_.read64(at)).present) return false;
  bus_.write64(at, 0);
  return true;
}

std::optional<PageMapping> FirstLevelTable::lookup(std::uint64_t iova) {
  std::uint64_t table = root_;
  for (unsigned level = 4; level >= 1; --level) {
    const auto e = vtd::FirstLevelEntry::decode(bus_.read64(entry_address(table, iova, level)));
    if (!e.present) return std::nullopt;
    if (level == 1) return PageMapping{e.address | (iova & 0xfff), e.rw, e.us};
    table = e.address;
  }
  return std::nullopt;
}

}  // namespace iommu_sim
