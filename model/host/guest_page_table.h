// The first-level table a guest kernel (or any user of a nested HWPT) keeps
// in its own memory: table pages are taken upward from a guest-physical
// address and written where the IOAS holding the guest's memory maps them.
// Nobody invalidates for it: after a change its owner calls
// IoasidManager::invalidate_hwpt, as a guest's IOMMU driver would through
// its virtual IOMMU.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

#include "model/hex.h"
#include "model/host/frame_allocator.h"
#include "model/host/ioasid_manager.h"
#include "model/host/page_table.h"

namespace iommu_sim {

class GuestPageTable {
 public:
  // Throws std::out_of_range when a table page would lie outside the
  // guest's memory (here or in a later map()).
  GuestPageTable(HostBus& bus, IoasidManager& manager, IoasId guest_memory,
                 std::uint64_t table_base, unsigned levels)
      : manager_(manager),
        frames_(table_base),
        table_(bus, frames_, PageTableFormat::FirstLevel, levels,
               [&manager, guest_memory](std::uint64_t gpa) {
                 const auto hpa = manager.physical(guest_memory, gpa);
                 if (!hpa) {
                   throw std::out_of_range("guest table page at guest-physical " + hex(gpa) +
                                           " is not in guest memory");
                 }
                 return *hpa;
               }) {}

  std::uint64_t root() const { return table_.root(); }
  unsigned levels() const { return table_.levels(); }
  // The guest writes (or clears) a PTE: the change is pending for every
  // nested HWPT on this table until the guest's invalidation covers it.
  void map(std::uint64_t iova, std::uint64_t gpa, std::uint8_t page_shift, bool writable) {
    manager_.user_table_changed(root(), iova, iova + (1ull << page_shift));
    table_.map(iova, gpa, page_shift, writable);
  }
  // The same for [iova, iova+length), with the largest pages up to
  // 2^max_shift that alignment allows (PageTable::map_range).
  void map_range(std::uint64_t iova, std::uint64_t gpa, std::uint64_t length,
                 std::uint8_t max_shift, bool writable) {
    manager_.user_table_changed(root(), iova, iova + length);
    table_.map_range(iova, gpa, length, max_shift, writable);
  }
  void unmap(std::uint64_t iova) {
    manager_.user_table_changed(root(), iova, iova + 4096);
    table_.unmap(iova);
  }

 private:
  IoasidManager& manager_;
  FrameAllocator frames_;
  PageTable table_;
};

}  // namespace iommu_sim
