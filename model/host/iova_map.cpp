#include "model/host/iova_map.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "model/hex.h"
#include "model/host/ioas_format.h"

namespace iommu_sim {

namespace {
constexpr std::uint64_t kPage = 4096;
}  // namespace

IovaMap::IovaMap(std::uint64_t limit, std::string table) : limit_(limit), table_(std::move(table)) {
  reserved_.emplace(ioas_format::kMsiWindowStart, ioas_format::kMsiWindowEnd);
}

std::optional<std::pair<std::uint64_t, std::uint64_t>> IovaMap::overlap(
    const std::multimap<std::uint64_t, std::uint64_t>& ranges, std::uint64_t lo, std::uint64_t hi) {
  for (const auto& [first, end] : ranges) {
    if (first >= hi) break;
    if (lo < end) return std::pair(first, end);
  }
  return std::nullopt;
}

Status IovaMap::check_free(std::uint64_t iova, std::uint64_t length, bool reuse_pending) const {
  if (length == 0 || length % kPage != 0 || iova % kPage != 0) {
    return Status::error(EINVAL, "iova " + hex(iova) + " and length " + hex(length) +
                                     " must be non-zero multiples of 4 KiB");
  }
  // The last byte must exist (iommufd: check_add_overflow(iova, length - 1)):
  // a range may end at 2^64 exactly, where iova + length itself wraps.
  if (iova > std::numeric_limits<std::uint64_t>::max() - (length - 1)) {
    return Status::error(EOVERFLOW, "iova + length - 1 overflows 64 bits");
  }
  if (iova + (length - 1) >= limit_) {
    return Status::error(EINVAL, "range " + hex(iova) + "+" + hex(length) +
                                     " is beyond the IOVA space of " + table_ + " (" + hex(limit_) +
                                     ")");
  }
  const std::uint64_t end = iova + length;  // below limit_: no wrap
  auto next = areas_.lower_bound(iova);
  if (next != areas_.end() && next->first < end) {
    return Status::error(EEXIST, "range overlaps the mapping at " + hex(next->first));
  }
  if (next != areas_.begin()) {
    auto prev = std::prev(next);
    if (prev->first + prev->second.length > iova) {
      return Status::error(EEXIST, "range overlaps the mapping at " + hex(prev->first));
    }
  }
  if (!reuse_pending && overlap(pending_, iova, end)) {
    return Status::error(EBUSY, "range " + hex(iova) + "+" + hex(length) +
                                    " was unmapped lazily and awaits its flush");
  }
  if (auto r = overlap(reserved_, iova, end)) {
    return Status::error(EADDRINUSE, "range " + hex(iova) + "+" + hex(length) +
                                         " overlaps the reserved range " + hex(r->first) + "-" +
                                         hex(r->second - 1));
  }
  return Status::success();
}

std::optional<std::uint64_t> IovaMap::find_free(std::uint64_t length, std::uint64_t align,
                                                bool reuse_pending) const {
  Ranges busy(reserved_.begin(), reserved_.end());
  if (!reuse_pending) busy.insert(busy.end(), pending_.begin(), pending_.end());
  for (const auto& [start, area] : areas_) busy.emplace_back(start, start + area.length);
  std::sort(busy.begin(), busy.end());
  std::uint64_t candidate = std::max(align, kPage);
  for (const auto& [lo, hi] : busy) {
    if (candidate + length <= lo) break;
    if (hi > candidate) candidate = (hi + align - 1) & ~(align - 1);
  }
  if (candidate + length > limit_ || candidate + length < candidate) return std::nullopt;
  return candidate;
}

IovaMap::Span IovaMap::whole_areas(std::uint64_t iova, std::uint64_t length) const {
  Span span;
  if (length == 0 || iova > std::numeric_limits<std::uint64_t>::max() - length) {
    span.status = Status::error(EINVAL, "empty or overflowing range");
    return span;
  }
  const std::uint64_t end = iova + length;
  // iommufd: the range must cover whole areas; cutting one is ENOENT.
  auto it = areas_.lower_bound(iova);
  if (it != areas_.begin()) {
    auto prev = std::prev(it);
    if (prev->first + prev->second.length > iova) {
      span.status = Status::error(ENOENT, "range cuts the mapping at " + hex(prev->first));
      return span;
    }
  }
  for (; it != areas_.end() && it->first < end; ++it) {
    if (it->first + it->second.length > end) {
      span.status = Status::error(ENOENT, "range cuts the mapping at " + hex(it->first));
      return span;
    }
    span.areas.emplace_back(*it);
    span.bytes += it->second.length;
  }
  if (span.areas.empty()) {
    span.status = Status::error(ENOENT, "nothing is mapped in " + hex(iova) + "+" + hex(length));
    return span;
  }
  span.lo = span.areas.front().first;
  span.hi = span.areas.back().first + span.areas.back().second.length;
  span.status = Status::success();
  return span;
}

void IovaMap::remove(const Span& span) {
  for (const auto& [iova, area] : span.areas) areas_.erase(iova);
}

IovaMap::Pieces IovaMap::pieces(std::uint64_t iova, std::uint64_t length) const {
  Pieces out;
  for (std::uint64_t at = iova; at < iova + length;) {
    auto it = areas_.upper_bound(at);
    if (it == areas_.begin() || std::prev(it)->first + std::prev(it)->second.length <= at) {
      out.status = Status::error(ENOENT, "source " + hex(at) + " is not mapped");
      out.pieces.clear();
      return out;
    }
    --it;
    const std::uint64_t offset = at - it->first;
    const std::uint64_t take = std::min(it->second.length - offset, iova + length - at);
    out.pieces.emplace_back(at - iova,
                            Area{take, it->second.physical + offset, it->second.writable});
    at += take;
  }
  out.status = Status::success();
  return out;
}

Status IovaMap::reserve(std::uint64_t iova, std::uint64_t length) {
  if (length == 0 || iova > std::numeric_limits<std::uint64_t>::max() - length) {
    return Status::error(EINVAL, "empty or overflowing range");
  }
  for (const auto& [start, area] : areas_) {
    if (start < iova + length && iova < start + area.length) {
      return Status::error(EADDRINUSE, "the mapping at " + hex(start) + " is in the range");
    }
  }
  reserved_.emplace(iova, iova + length);
  return Status::success();
}

IovaMap::Ranges IovaMap::allowed() const {
  Ranges out;
  std::uint64_t cursor = 0;
  for (const auto& [lo, hi] : reserved_) {
    if (lo > cursor) out.emplace_back(cursor, lo - 1);
    cursor = std::max(cursor, hi);
  }
  if (cursor < limit_) out.emplace_back(cursor, limit_ - 1);
  return out;
}

void IovaMap::release(std::uint64_t lo, std::uint64_t hi) {
  auto [first, last] = pending_.equal_range(lo);
  for (auto it = first; it != last; ++it) {
    if (it->second == hi) {
      pending_.erase(it);
      return;
    }
  }
}

}  // namespace iommu_sim
