// The rules an IOAS's table format sets, in one place for the two that
// enforce them: the ioasid manager, which refuses a call, and the config
// check (model/platform/platform_config.cpp), which refuses a file before
// anything is built.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace iommu_sim::ioas_format {

// VT-d spec 5.1.4: DMA writes to 0xFEE00000-0xFEEFFFFF are interrupt
// requests, never translated, so every IOAS keeps the window unmapped (as
// intel-iommu's reserved regions make Linux do).
inline constexpr std::uint64_t kMsiWindowStart = 0xFEE00000, kMsiWindowEnd = 0xFEF00000;

inline bool overlaps_msi_window(std::uint64_t iova, std::uint64_t length) {
  return iova < kMsiWindowEnd && iova + length > kMsiWindowStart;
}

// First-level tables (VT-d spec 3.6) have 4 or 5 levels; second-level ones
// (3.7) 3, 4 or 5. The reason a count is wrong, or nothing.
inline std::optional<std::string> levels_error(bool second_level, unsigned levels) {
  if (second_level ? levels >= 3 && levels <= 5 : levels == 4 || levels == 5) return std::nullopt;
  return std::string(second_level ? "second-level tables have 3, 4 or 5 levels"
                                  : "first-level tables have 4 or 5 levels") +
         ", not " + std::to_string(levels);
}

// The leaf sizes of both formats: 4 KiB, 2 MiB, 1 GiB (shift 12, 21, 30).
inline bool is_page_shift(unsigned shift) {
  return shift == 12 || shift == 21 || shift == 30;
}

// The IOVAs a table of `levels` maps: [0, limit). First-level input is
// canonical (VT-d spec 3.6), so the lower half is what mappings use.
inline std::uint64_t iova_limit(bool second_level, unsigned levels) {
  return 1ull << (second_level ? 12 + 9 * levels : 11 + 9 * levels);
}

}  // namespace iommu_sim::ioas_format
