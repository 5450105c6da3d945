// A host-software page table kept where the hardware reads it: in simulated
// memory. The same class writes VT-d first-level (IA-32e, 4- or 5-level)
// and second-level (3-, 4- or 5-level) tables; there is no shadow copy, so
// every lookup reads the entries themselves.
//
// Tables are addressed in the table space of their owner: host-physical for
// a host table, guest-physical for a guest's first-level table under nested
// translation. `TableMemory` says where such an address is in host memory.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "model/host/frame_allocator.h"
#include "model/host/host_bus.h"

namespace iommu_sim {

enum class PageTableFormat : std::uint8_t { FirstLevel, SecondLevel };

struct PageMapping {
  std::uint64_t physical = 0;  // output address (of the byte looked up)
  bool writable = false;
  std::uint8_t page_shift = 12;  // 12, 21 or 30
};

class PageTable {
 public:
  // Maps a table-space address to the host-physical address software writes.
  using TableMemory = std::function<std::uint64_t(std::uint64_t)>;

  PageTable(HostBus& bus, FrameAllocator& frames, PageTableFormat format, unsigned levels,
            TableMemory memory = {});

  PageTableFormat format() const { return format_; }
  unsigned levels() const { return levels_; }
  std::uint64_t root() const { return root_; }
  // Maps one page of 2^page_shift bytes at `iova` (both aligned to it).
  // Intermediate tables are allocated as needed and grant everything, so the
  // leaf alone decides. Entries are written as Linux's intel-iommu driver
  // writes them: first-level entries with A set, and D set in writable
  // leaves, so the IOMMU never has to update them (drivers/iommu/intel/
  // iommu.c, __domain_mapping: DMA_FL_PTE_ACCESS / DMA_FL_PTE_DIRTY).
  // `readable` false makes a second-level leaf write-only (R=0, W=1, as
  // __domain_mapping writes DMA_PTE_WRITE alone); a first-level leaf is
  // readable whenever present (P grants reads), so there it changes nothing.
  void map(std::uint64_t iova, std::uint64_t physical, std::uint8_t page_shift, bool writable,
           bool readable = true);
  // Maps [iova, iova+length) to [physical, ...) with the largest leaves, up
  // to 2^max_shift bytes (12, 21 or 30), that the alignment of both
  // addresses and the length left allow, as Linux's __domain_mapping picks
  // superpages.
  void map_range(std::uint64_t iova, std::uint64_t physical, std::uint64_t length,
                 std::uint8_t max_shift, bool writable, bool readable = true);
  // Clears the leaf covering `iova`; returns its size in bytes, 0 if none.
  std::uint64_t unmap(std::uint64_t iova);
  // Clears every leaf in [lo, hi) (leaves must lie wholly inside) and, as
  // Linux's dma_pte_clear_level does, every table page the range covers
  // entirely: its parent entry is cleared and its frame (and those below
  // it) appended to `freed`. The caller gives the frames back to the
  // allocator only once the IOMMU can no longer hold them in a
  // paging-structure cache.
  void unmap_range(std::uint64_t lo, std::uint64_t hi, std::vector<std::uint64_t>& freed);
  // Entries written (set or cleared) and table pages allocated so far: what
  // the driver's CPU time for an update is counted from.
  std::uint64_t entries_written() const { return entries_written_; }
  std::uint64_t tables_allocated() const { return tables_allocated_; }
  // Software walk of the table as it is in memory.
  std::optional<PageMapping> lookup(std::uint64_t iova);

 private:
  std::uint64_t entry_address(std::uint64_t table, std::uint64_t iova, unsigned level) const;
  void clear(std::uint64_t table, unsigned level, std::uint64_t base, std::uint64_t lo,
             std::uint64_t hi, std::vector<std::uint64_t>& freed);
  void collect(std::uint64_t table, unsigned level, std::vector<std::uint64_t>& freed);
  std::uint64_t read_entry(std::uint64_t at) { return bus_.read64(memory_(at)); }
  void write_entry(std::uint64_t at, std::uint64_t value) {
    ++entries_written_;
    bus_.write64(memory_(at), value);
  }
  bool present(std::uint64_t raw) const;
  bool leaf(std::uint64_t raw, unsigned level) const;
  std::uint64_t next_table(std::uint64_t raw) const;
  std::uint64_t table_entry(std::uint64_t table) const;
  std::uint64_t leaf_entry(std::uint64_t physical, unsigned level, bool writable,
                           bool readable) const;

  HostBus& bus_;
  FrameAllocator& frames_;
  PageTableFormat format_;
  unsigned levels_;
  TableMemory memory_;
  std::uint64_t root_;
  std::uint64_t entries_written_ = 0;
  std::uint64_t tables_allocated_ = 0;
};

}  // namespace iommu_sim
