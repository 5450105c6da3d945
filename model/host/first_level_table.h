// Host software's first-level (IA-32e 4-level) page table, kept where the
// hardware reads it: in simulated memory. The driver reads and writes the
// entries themselves; there is no shadow copy.
#pragma once

#include <cstdint>
#include <optional>

#include "model/host/frame_allocator.h"
#include "model/host/host_bus.h"

namespace iommu_sim {

struct PageMapping {
  std::uint64_t physical = 0;
  bool writable = false;
  bool user = false;
};

class FirstLevelTable {
 public:
  FirstLevelTable(HostBus& bus, FrameAllocator& frames);

  std::uint64_t root() const { return root_; }
  // Maps one 4 KiB page; intermediate tables are allocated as needed and
  // grant everything (R/W=1, U/S=1) so the leaf alone decides.
  void map_page(std::uint64_t iova, const PageMapping& m);
  // Clears a 4 KiB leaf; returns false if it was not present.
  bool unmap_page(std::uint64_t iova);
  // Software walk of the table as it is in memory.
  std::optional<PageMapping> lookup(std::uint64_t iova);

 private:
  std::uint64_t entry_address(std::uint64_t table, std::uint64_t iova, unsigned level) const;
  HostBus& bus_;
  FrameAllocator& frames_;
  std::uint64_t root_;
};

}  // namespace iommu_sim
