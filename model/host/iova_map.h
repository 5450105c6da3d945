// The IOVA bookkeeping of one I/O address space, as iommufd's io_pagetable
// keeps it (drivers/iommu/iommufd/io_pagetable.c): the mapped areas, the
// reserved ranges no mapping may overlap, the allowed ranges automatic
// IOVAs are taken from (IOMMU_IOAS_ALLOW_IOVAS), and the ranges unmapped
// lazily whose invalidation has not been flushed yet, which are handed
// out again only once their flush queue released them. It knows nothing of page
// tables or invalidation: the manager writes and flushes those.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model/host/status.h"

namespace iommu_sim {

class IovaMap {
 public:
  struct Area {
    std::uint64_t length = 0;
    std::uint64_t physical = 0;  // output address: guest-physical when nested
    bool writable = false;
    bool readable = true;  // IOMMU_IOAS_MAP_READABLE
  };
  using Areas = std::map<std::uint64_t, Area>;  // by first IOVA
  using Ranges = std::vector<std::pair<std::uint64_t, std::uint64_t>>;

  // Mappings may use [0, limit); the interrupt window 0xFEE00000-0xFEEFFFFF
  // is reserved from the start (VT-d spec 5.1.4: DMA writes there are
  // interrupt requests, never translated). `table` names what sets the
  // limit, for messages ("the IOAS's 3-level table").
  IovaMap(std::uint64_t limit, std::string table);

  std::uint64_t limit() const { return limit_; }
  const Areas& areas() const { return areas_; }

  // Whether [iova, +length) may be mapped, checked in iopt_check_iova()'s
  // order: EINVAL for a zero, unaligned or out-of-space range, EOVERFLOW,
  // EINVAL for an overlap with a reserved range, EEXIST for one with a
  // mapping; then EBUSY for one with a range awaiting its flush (unless
  // `reuse_pending`: the lazy_reuse_before_flush bug).
  Status check_free(std::uint64_t iova, std::uint64_t length, bool reuse_pending) const;
  // The lowest free IOVA from 4 KiB up (IOVA 0 stays unmapped, as
  // iommufd's allocator leaves it) aligned to `align` with room for
  // `length`, skipping what check_free() would refuse, inside one allowed
  // range (adjacent ones merged) when there are any (iopt_alloc_iova).
  std::optional<std::uint64_t> find_free(std::uint64_t length, std::uint64_t align,
                                         bool reuse_pending) const;
  void add(std::uint64_t iova, const Area& area) { areas_.emplace(iova, area); }

  // The whole areas inside [iova, +length), as IOMMU_IOAS_UNMAP takes them:
  // EINVAL for an empty range, EOVERFLOW for one whose last byte is past
  // 2^64, ENOENT when it cuts an area or holds none. [lo, hi) spans the
  // areas found.
  struct Span {
    Status status;
    std::uint64_t lo = 0, hi = 0, bytes = 0;
    std::vector<std::pair<std::uint64_t, Area>> areas;
  };
  Span whole_areas(std::uint64_t iova, std::uint64_t length) const;
  void remove(const Span& span);

  // What [iova, +length) maps, area by area, as IOMMU_IOAS_COPY copies it:
  // EINVAL for an empty range, EOVERFLOW for one whose last byte is past
  // 2^64, ENOENT at the first hole.
  struct Pieces {
    Status status;
    std::vector<std::pair<std::uint64_t, Area>> pieces;  // offsets from `iova`
  };
  Pieces pieces(std::uint64_t iova, std::uint64_t length) const;

  // Forbids [iova, +length) to mappings. EINVAL: empty or overflowing;
  // EADDRINUSE: something is mapped there, or it overlaps an allowed
  // range (iopt_reserve_iova).
  Status reserve(std::uint64_t iova, std::uint64_t length);
  // Replaces the allowed ranges ({start, last}, inclusive; empty: no
  // restriction) as IOMMU_IOAS_ALLOW_IOVAS does: EINVAL for a range with
  // start >= last or overlapping an earlier one (iommufd_ioas_load_iovas),
  // EADDRINUSE for one overlapping a reserved range or reaching beyond
  // the limit, which iommufd reserves outside the domain's aperture
  // (iopt_set_allow_iova). Mappings are left as they are.
  Status set_allowed(const Ranges& ranges);
  // The ranges mappings may use (IOMMU_IOAS_IOVA_RANGES), inclusive ends.
  Ranges allowed() const;

  // A lazily unmapped range, held until its flush queue releases it.
  void hold(std::uint64_t lo, std::uint64_t hi) { pending_.emplace(lo, hi); }
  void release(std::uint64_t lo, std::uint64_t hi);

 private:
  // Whether [lo, hi) overlaps a range of `ranges` (first -> end).
  static std::optional<std::pair<std::uint64_t, std::uint64_t>> overlap(
      const std::multimap<std::uint64_t, std::uint64_t>& ranges, std::uint64_t lo,
      std::uint64_t hi);

  std::uint64_t limit_;
  std::string table_;
  Areas areas_;
  std::multimap<std::uint64_t, std::uint64_t> reserved_;  // first IOVA -> end (exclusive)
  Ranges allowed_;  // {start, last} inclusive, sorted; empty: everything
  std::multimap<std::uint64_t, std::uint64_t> pending_;  // unmapped lazily, not yet released
};

}  // namespace iommu_sim
