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
  // iopt_alloc_area_pages() (length) and iopt_check_iova() (iova): EINVAL.
  if (length == 0 || length % kPage != 0 || iova % kPage != 0) {
    return Status::error(EINVAL, "iova " + hex(iova) + " and length " + hex(length) +
                                     " must be non-zero multiples of 4 KiB");
  }
  // The last byte must exist (iommufd: check_add_overflow(iova, length - 1)):
  // a range may end at 2^64 exactly, where iova + length itself wraps.
  if (iova > std::numeric_limits<std::uint64_t>::max() - (length - 1)) {
    return Status::error(
        EOVERFLOW, "iova " + hex(iova) + " + length " + hex(length) + " - 1 overflows 64 bits");
  }
  // Beyond the table's input space: iommufd reserves what lies outside a
  // domain's aperture (iopt_table_add_domain), so iopt_check_iova() says
  // EINVAL.
  if (iova + (length - 1) >= limit_) {
    return Status::error(EINVAL, "range " + hex(iova) + "+" + hex(length) +
                                     " is beyond the IOVA space of " + table_ + " (" + hex(limit_) +
                                     ")");
  }
  const std::uint64_t end = iova + length;  // below limit_: no wrap
  // iopt_check_iova() looks for a reserved range before a mapping, and
  // refuses one with EINVAL (EADDRINUSE is for reserving over a mapping).
  if (auto r = overlap(reserved_, iova, end)) {
    return Status::error(EINVAL, "range " + hex(iova) + "+" + hex(length) +
                                     " overlaps the reserved range " + hex(r->first) + "-" +
                                     hex(r->second - 1));
  }
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
  // Simulator only: iommufd unmaps strictly, so it has no range waiting
  // for a flush.
  if (!reuse_pending && overlap(pending_, iova, end)) {
    return Status::error(EBUSY, "range " + hex(iova) + "+" + hex(length) +
                                    " was unmapped lazily and awaits its flush");
  }
  return Status::success();
}

std::optional<std::uint64_t> IovaMap::find_free(std::uint64_t length, std::uint64_t align,
                                                bool reuse_pending) const {
  Ranges busy(reserved_.begin(), reserved_.end());
  if (!reuse_pending) busy.insert(busy.end(), pending_.begin(), pending_.end());
  for (const auto& [start, area] : areas_) busy.emplace_back(start, start + area.length);
  std::sort(busy.begin(), busy.end());
  // Where to look, [lo, hi): each allowed range, adjacent ones as one
  // (interval_tree_span_iter merges them), or the whole space.
  Ranges spans;
  if (allowed_.empty()) spans.emplace_back(0, limit_);
  for (const auto& [start, last] : allowed_) {
    if (!spans.empty() && spans.back().second == start) {
      spans.back().second = last + 1;  // below limit_ (set_allowed): no wrap
    } else {
      spans.emplace_back(start, last + 1);
    }
  }
  for (const auto& [lo, hi] : spans) {
    std::uint64_t candidate = (std::max(lo, kPage) + align - 1) & ~(align - 1);
    for (const auto& [busy_lo, busy_hi] : busy) {
      if (candidate + length <= busy_lo) break;
      if (busy_hi > candidate) candidate = (busy_hi + align - 1) & ~(align - 1);
    }
    if (candidate + length <= hi && candidate + length > candidate) return candidate;
  }
  return std::nullopt;
}

IovaMap::Span IovaMap::whole_areas(std::uint64_t iova, std::uint64_t length) const {
  Span span;
  // iopt_unmap_iova(): an empty range is EINVAL, one whose last byte
  // overflows EOVERFLOW; one ending at 2^64 exactly is fine.
  if (length == 0) {
    span.status = Status::error(EINVAL, "an unmap needs a non-zero length");
    return span;
  }
  if (iova > std::numeric_limits<std::uint64_t>::max() - (length - 1)) {
    span.status = Status::error(
        EOVERFLOW, "iova " + hex(iova) + " + length " + hex(length) + " - 1 overflows 64 bits");
    return span;
  }
  const std::uint64_t last = iova + (length - 1);
  // iopt_unmap_iova_range(): the range must cover whole areas; cutting one
  // is ENOENT.
  auto it = areas_.lower_bound(iova);
  if (it != areas_.begin()) {
    auto prev = std::prev(it);
    if (prev->first + prev->second.length > iova) {
      span.status = Status::error(ENOENT, "range cuts the mapping at " + hex(prev->first));
      return span;
    }
  }
  for (; it != areas_.end() && it->first <= last; ++it) {
    if (it->first + (it->second.length - 1) > last) {
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
  // iopt_get_pages(): EINVAL for an empty range, EOVERFLOW for one whose
  // last byte overflows, ENOENT at the first hole.
  if (length == 0) {
    out.status = Status::error(EINVAL, "a copy needs a non-zero length");
    return out;
  }
  if (iova > std::numeric_limits<std::uint64_t>::max() - (length - 1)) {
    out.status = Status::error(
        EOVERFLOW, "source " + hex(iova) + " + length " + hex(length) + " - 1 overflows 64 bits");
    return out;
  }
  for (std::uint64_t done = 0; done < length;) {
    const std::uint64_t at = iova + done;
    auto it = areas_.upper_bound(at);
    if (it == areas_.begin() || std::prev(it)->first + std::prev(it)->second.length <= at) {
      out.status = Status::error(ENOENT, "source " + hex(at) + " is not mapped");
      out.pieces.clear();
      return out;
    }
    --it;
    const std::uint64_t offset = at - it->first;
    const std::uint64_t take = std::min(it->second.length - offset, length - done);
    out.pieces.emplace_back(
        done, Area{take, it->second.physical + offset, it->second.writable, it->second.readable});
    done += take;
  }
  out.status = Status::success();
  return out;
}

Status IovaMap::reserve(std::uint64_t iova, std::uint64_t length) {
  // Simulator only: iommufd reserves ranges it computes itself
  // (iopt_reserve_iova takes an inclusive range that cannot be empty).
  if (length == 0 || iova > std::numeric_limits<std::uint64_t>::max() - length) {
    return Status::error(EINVAL, "empty or overflowing range " + hex(iova) + "+" + hex(length));
  }
  // iopt_reserve_iova(): a mapping in the range is EADDRINUSE.
  for (const auto& [start, area] : areas_) {
    if (start < iova + length && iova < start + area.length) {
      return Status::error(EADDRINUSE, "the mapping at " + hex(start) + " is in the range");
    }
  }
  // iopt_reserve_iova: an allowed range must stay usable.
  for (const auto& [start, last] : allowed_) {
    if (start < iova + length && iova <= last) {
      return Status::error(
          EADDRINUSE, "the allowed range " + hex(start) + "-" + hex(last) + " is in the range");
    }
  }
  reserved_.emplace(iova, iova + length);
  return Status::success();
}

Status IovaMap::set_allowed(const Ranges& ranges) {
  // iommufd_ioas_load_iovas: each range non-empty (start below last) and
  // apart from those before it in the list.
  Ranges list;
  for (const auto& [start, last] : ranges) {
    if (start >= last) {
      return Status::error(
          EINVAL, "allowed range " + hex(start) + "-" + hex(last) + ": start must be below last");
    }
    for (const auto& [s, l] : list) {
      if (start <= l && s <= last) {
        return Status::error(EINVAL, "allowed range " + hex(start) + "-" + hex(last) +
                                         " overlaps " + hex(s) + "-" + hex(l));
      }
    }
    list.emplace_back(start, last);
  }
  std::sort(list.begin(), list.end());
  // iopt_set_allow_iova: no allowed IOVA may be reserved. Beyond the
  // table's input space counts as reserved: iommufd reserves what lies
  // outside a domain's aperture (iopt_table_add_domain).
  for (const auto& [start, last] : list) {
    if (last >= limit_) {
      return Status::error(EADDRINUSE, "allowed range " + hex(start) + "-" + hex(last) +
                                           " reaches beyond the IOVA space of " + table_ + " (" +
                                           hex(limit_) + ")");
    }
    if (auto r = overlap(reserved_, start, last + 1)) {
      return Status::error(EADDRINUSE, "allowed range " + hex(start) + "-" + hex(last) +
                                           " overlaps the reserved range " + hex(r->first) + "-" +
                                           hex(r->second - 1));
    }
  }
  allowed_ = std::move(list);
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
