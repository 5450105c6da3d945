// VT-d translation structures built in a sparse image of memory with the
// encoders of iommu/formats/: what a driver writes for a translation (VT-d
// spec 9.2 root entries, 9.4 scalable-mode context entries, 9.5 and 9.6
// PASID directory and table entries, 9.7 and 9.8 first- and second-level
// paging entries). The translator target's seeds and the invalidation
// target's fixed tables come from here, so that fuzzing starts from tables
// that translate; the image goes to simulated memory, or into an input, as
// runs of consecutive bytes.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "iommu/formats/vtd_pasid.h"
#include "model/pcie_attrs.h"

namespace iommu_sim::fuzz {

struct MemoryChunk {
  std::uint64_t address = 0;
  std::vector<std::uint8_t> bytes;
};

// What a leaf allows: first-level R/W, U/S and (cleared) XD, second-level
// W and X; both levels always allow reads.
struct Rights {
  bool writable = true;
  bool user = true;
  bool executable = true;
};

class TableImage {
 public:
  // Structures take 4 KiB frames from `first_frame` upward; the root table
  // is the first.
  explicit TableImage(std::uint64_t first_frame);

  std::uint64_t root_table() const { return root_; }
  // A frame no structure uses yet (zero, as memory starts).
  std::uint64_t new_frame();
  void write64(std::uint64_t address, std::uint64_t value) { qwords_[address] = value; }
  std::uint64_t read64(std::uint64_t address) const;

  // Writes the PASID-table entry of (bdf, pasid), making the root entry,
  // the context entry (PASIDs enabled, a 128-entry directory, DTE as
  // `device_tlb`, RID_PASID 0), the directory entry and the PASID table on
  // the way where they are not present yet.
  void set_pasid_entry(Bdf bdf, std::uint32_t pasid, const iommu::vtd::PasidEntry& entry,
                       bool device_tlb = false);

  // Maps the page holding `input` to `output`: a leaf at `leaf_level` (1:
  // 4 KiB, 2: 2 MiB, 3: 1 GiB) of the `levels`-level table at `table`,
  // with the tables on the way made where they are not present yet.
  void map_first_level(std::uint64_t table, unsigned levels, std::uint64_t input,
                       std::uint64_t output, unsigned leaf_level, const Rights& rights);
  void map_second_level(std::uint64_t table, unsigned levels, std::uint64_t input,
                        std::uint64_t output, unsigned leaf_level, const Rights& rights);

  // The image as runs of consecutive qwords in address order, none longer
  // than `max_bytes`.
  std::vector<MemoryChunk> chunks(std::size_t max_bytes) const;

 private:
  // The table an entry points at, made (with `non_leaf` as the entry) when
  // the entry is zero.
  std::uint64_t table_below(std::uint64_t entry_address, std::uint64_t non_leaf_flags,
                            std::uint64_t address_mask);

  std::map<std::uint64_t, std::uint64_t> qwords_;
  std::uint64_t next_frame_;
  std::uint64_t root_;
};

}  // namespace iommu_sim::fuzz
