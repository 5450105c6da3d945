// The host's ioasid manager, first cut: I/O address spaces (IOAS) with
// map/unmap of 4 KiB-granular ranges, one first-level page table and domain
// ID per IOAS, and attachment of (device, PASID) to an IOAS. Unmap is strict:
// it returns only after the IOTLB can no longer hold the old translation.
// Calls are modelled on iommufd's (include/uapi/linux/iommufd.h) and return
// the errno it would; a failed call changes nothing.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "model/host/first_level_table.h"
#include "model/host/iommu_driver.h"
#include "model/host/status.h"

namespace iommu_sim {

using IoasId = std::uint32_t;

class IoasidManager {
 public:
  IoasidManager(HostBus& bus, IommuDriver& driver, FrameAllocator& tables, FrameAllocator& data);

  IoasId create_ioas();
  // Maps [iova, iova+length) to newly allocated memory (IOMMU_IOAS_MAP with
  // FIXED_IOVA). EINVAL: zero, unaligned or overflowing range; EEXIST: an
  // overlap with an existing mapping; ENOENT: no such IOAS.
  Status map(IoasId ioas, std::uint64_t iova, std::uint64_t length, bool writable);
  // Unmaps whole mappings inside [iova, iova+length) (IOMMU_IOAS_UNMAP).
  // ENOENT: nothing mapped there, or the range cuts a mapping.
  Status unmap(IoasId ioas, std::uint64_t iova, std::uint64_t length,
               std::uint64_t* unmapped = nullptr);
  // Attaches (bdf, pasid) to the IOAS's page table.
  Status attach(Bdf bdf, std::uint32_t pasid, IoasId ioas);

  // The physical address an IOVA maps to, read from the page table in memory.
  std::optional<std::uint64_t> physical(IoasId ioas, std::uint64_t iova);
  std::uint16_t domain_id(IoasId ioas) const { return spaces_.at(ioas)->did; }
  std::uint64_t page_table_root(IoasId ioas) const { return spaces_.at(ioas)->table.root(); }

 private:
  struct Area {
    std::uint64_t length;
    std::uint64_t physical;
    bool writable;
  };
  struct AddressSpace {
    std::uint16_t did;
    FirstLevelTable table;
    std::map<std::uint64_t, Area> areas;  // by first IOVA
    std::vector<std::pair<Bdf, std::uint32_t>> attached;
  };
  AddressSpace* find(IoasId id);

  HostBus& bus_;
  IommuDriver& driver_;
  FrameAllocator& tables_;
  FrameAllocator& data_;
  std::map<IoasId, std::unique_ptr<AddressSpace>> spaces_;
  IoasId next_id_ = 1;
  std::uint16_t next_did_ = 1;
};

}  // namespace iommu_sim
