#include "model/host/ioasid_manager.h"

#include <limits>

namespace iommu_sim {

namespace {
constexpr std::uint64_t kPage = 4096;
std::string hex(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}
}  // namespace

IoasidManager::IoasidManager(HostBus& bus, IommuDriver& driver, FrameAllocator& tables,
                             FrameAllocator& data)
    : bus_(bus), driver_(driver), tables_(tables), data_(data) {}

IoasidManager::AddressSpace* IoasidManager::find(IoasId id) {
  auto it = spaces_.find(id);
  return it == spaces_.end() ? nullptr : it->second.get();
}

IoasId IoasidManager::create_ioas() {
  const IoasId id = next_id_++;
  spaces_.emplace(id, std::make_unique<AddressSpace>(
                          AddressSpace{next_did_++, FirstLevelTable(bus_, tables_), {}, {}}));
  return id;
}

Status IoasidManager::map(IoasId ioas, std::uint64_t iova, std::uint64_t length, bool writable) {
  AddressSpace* as = find(ioas);
  if (as == nullptr) return Status::error(ENOENT, "no IOAS with id " + std::to_string(ioas));
  if (length == 0 || length % kPage != 0 || iova % kPage != 0) {
    return Status::error(EINVAL, "iova " + hex(iova) + " and length " + hex(length) +
                                     " must be non-zero multiples of 4 KiB");
  }
  if (iova > std::numeric_limits<std::uint64_t>::max() - length) {
    return Status::error(EOVERFLOW, "iova + length overflows 64 bits");
  }
  // 4-level first-level paging translates canonical 48-bit addresses; the
  // manager hands out the lower half only.
  if (iova + length > (1ull << 47)) {
    return Status::error(EINVAL, "range " + hex(iova) + "+" + hex(length) +
                                     " is beyond the 47-bit IOVA space of 4-level paging");
  }
  auto next = as->areas.lower_bound(iova);
  if (next != as->areas.end() && next->first < iova + length) {
    return Status::error(EEXIST, "range overlaps the mapping at " + hex(next->first));
  }
  if (next != as->areas.begin()) {
    auto prev = std::prev(next);
    if (prev->first + prev->second.length > iova) {
      return Status::error(EEXIST, "range overlaps the mapping at " + hex(prev->first));
    }
  }
  const std::uint64_t pa = data_.allocate(length);
  for (std::uint64_t off = 0; off < length; off += kPage) {
    as->table.map_page(iova + off, PageMapping{pa + off, writable, true});
  }
  as->areas.emplace(iova, Area{length, pa, writable});
  return Status::success();
}

Status IoasidManager::unmap(IoasId ioas, std::uint64_t iova, std::uint64_t length,
                            std::uint64_t* unmapped) {
  AddressSpace* as = find(ioas);
  if (as == nullptr) return Status::error(ENOENT, "no IOAS with id " + std::to_string(ioas));
  if (length == 0 || iova > std::numeric_limits<std::uint64_t>::max() - length) {
    return Status::error(EINVAL, "empty or overflowing range");
  }
  const std::uint64_t end = iova + length;
  // iommufd: the range must cover whole areas; cutting one is ENOENT.
  auto first = as->areas.lower_bound(iova);
  if (first != as->areas.begin()) {
    auto prev = std::prev(first);
    if (prev->first + prev->second.length > iova) {
      return Status::error(ENOENT, "range cuts the mapping at " + hex(prev->first));
    }
  }
  auto last = first;
  std::uint64_t total = 0;
  while (last != as->areas.end() && last->first < end) {
    if (last->first + last->second.length > end) {
      return Status::error(ENOENT, "range cuts the mapping at " + hex(last->first));
    }
    total += last->second.length;
    ++last;
  }
  if (total == 0)
    return Status::error(ENOENT, "nothing is mapped in " + hex(iova) + "+" + hex(length));
  std::uint64_t lo = first->first, hi = 0;
  for (auto it = first; it != last; ++it) {
    for (std::uint64_t off = 0; off < it->second.length; off += kPage) {
      as->table.unmap_page(it->first + off);
    }
    hi = it->first + it->second.length;
  }
  as->areas.erase(first, last);
  // Strict mode: the call returns only after the IOTLB lost the entries.
  for (const auto& [bdf, pasid] : as->attached) {
    Status s = driver_.flush_range(as->did, pasid, lo, hi - lo);
    if (!s.ok()) return s;
  }
  if (unmapped != nullptr) *unmapped = total;
  return Status::success();
}

Status IoasidManager::attach(Bdf bdf, std::uint32_t pasid, IoasId ioas) {
  AddressSpace* as = find(ioas);
  if (as == nullptr) return Status::error(ENOENT, "no IOAS with id " + std::to_string(ioas));
  for (const auto& [space_id, space] : spaces_) {
    for (const auto& [b, p] : space->attached) {
      if (b == bdf && p == pasid) {
        return Status::error(EBUSY, "device " + bdf.to_string() + " PASID " +
                                        std::to_string(pasid) + " is already attached");
      }
    }
  }
  Status s = driver_.set_first_level(bdf, pasid, as->did, as->table.root(), false);
  if (!s.ok()) return s;
  as->attached.emplace_back(bdf, pasid);
  return Status::success();
}

std::optional<std::uint64_t> IoasidManager::physical(IoasId ioas, std::uint64_t iova) {
  AddressSpace* as = find(ioas);
  if (as == nullptr) return std::nullopt;
  auto m = as->table.lookup(iova);
  if (!m) return std::nullopt;
  return m->physical;
}

}  // namespace iommu_sim
