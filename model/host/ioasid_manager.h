// The host's ioasid manager, first cut: I/O address spaces (IOAS) with
// map/unmap of 4 KiB-granular ranges, one page table and domain ID per IOAS,
// and attachment of (device, PASID) to an IOAS. An IOAS's table is
// first-level, second-level, or a guest's first-level table nested on a
// second-level IOAS that holds the guest's memory. Unmap is strict: it
// returns only after the IOTLB can no longer hold the old translation.
// Calls are modelled on iommufd's (include/uapi/linux/iommufd.h) and return
// the errno it would; a failed call changes nothing.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "model/host/iommu_driver.h"
#include "model/host/page_table.h"
#include "model/host/status.h"

namespace iommu_sim {

using IoasId = std::uint32_t;

enum class IoasTranslation : std::uint8_t { FirstLevel, SecondLevel, Nested };

struct IoasOptions {
  IoasTranslation translation = IoasTranslation::FirstLevel;
  // First-level: 4 or 5; second-level: 3, 4 or 5; nested: the guest's
  // first-level table (the parent's decides the second level).
  unsigned levels = 4;
  // Largest leaf map() uses where alignment allows: 12, 21 or 30.
  std::uint8_t max_page_shift = 12;
  // Nested only: the second-level IOAS whose first mapping is the guest's
  // memory; the guest's tables and mapped pages are allocated from it.
  IoasId parent = 0;
};

struct IoasCreated {
  Status status;
  IoasId id = 0;
};

class IoasidManager {
 public:
  IoasidManager(HostBus& bus, IommuDriver& driver, FrameAllocator& tables, FrameAllocator& data);
  ~IoasidManager();

  // EINVAL: levels or page size the format lacks; ENODEV: the IOMMU does
  // not offer them (CAP.FL5LP, CAP.SAGAW, CAP.SLLPS, CAP.FL1GP); ENOENT:
  // a nested IOAS's parent does not exist or maps nothing.
  IoasCreated create_ioas(const IoasOptions& options = {});
  // Maps [iova, iova+length) to newly allocated memory (IOMMU_IOAS_MAP with
  // FIXED_IOVA). EINVAL: zero, unaligned or out-of-table range; EEXIST: an
  // overlap with an existing mapping; ENOENT: no such IOAS; ENOMEM: a
  // nested IOAS's guest memory is exhausted.
  Status map(IoasId ioas, std::uint64_t iova, std::uint64_t length, bool writable);
  // Unmaps whole mappings inside [iova, iova+length) (IOMMU_IOAS_UNMAP).
  // ENOENT: nothing mapped there, or the range cuts a mapping.
  Status unmap(IoasId ioas, std::uint64_t iova, std::uint64_t length,
               std::uint64_t* unmapped = nullptr);
  // Attaches (bdf, pasid) to the IOAS's page table.
  Status attach(Bdf bdf, std::uint32_t pasid, IoasId ioas);

  // The host-physical address an IOVA maps to, read from the page tables
  // in memory (both levels when nested).
  std::optional<std::uint64_t> physical(IoasId ioas, std::uint64_t iova);
  std::uint16_t domain_id(IoasId ioas) const { return spaces_.at(ioas)->did; }
  std::uint64_t page_table_root(IoasId ioas) const { return spaces_.at(ioas)->table->root(); }

 private:
  struct Area {
    std::uint64_t length;
    std::uint64_t physical;  // output address: guest-physical when nested
    bool writable;
  };
  struct AddressSpace {
    std::uint16_t did = 0;
    IoasOptions options;
    // A second-level IOAS with nested children: its first mapping is guest
    // memory, handed out (guest-physical) by `guest_frames` to them all.
    std::unique_ptr<FrameAllocator> guest_frames;
    std::uint64_t guest_memory_start = 0, guest_memory_end = 0;
    // Nested: the parent's guest memory allocator.
    FrameAllocator* guest_memory = nullptr;
    std::unique_ptr<PageTable> table;
    std::map<std::uint64_t, Area> areas;  // by first IOVA
    std::vector<std::pair<Bdf, std::uint32_t>> attached;
    std::vector<IoasId> children;  // nested IOAS on this one
  };
  AddressSpace* find(IoasId id);
  Status check_options(const IoasOptions& o) const;
  std::uint64_t iova_limit(const AddressSpace& as) const;
  Status flush(const AddressSpace& as, std::uint64_t iova, std::uint64_t length);

  HostBus& bus_;
  IommuDriver& driver_;
  FrameAllocator& tables_;
  FrameAllocator& data_;
  std::map<IoasId, std::unique_ptr<AddressSpace>> spaces_;
  IoasId next_id_ = 1;
  std::uint16_t next_did_ = 1;
};

}  // namespace iommu_sim
