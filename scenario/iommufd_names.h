// The iommufd flag bits and data types a step may name (include/uapi/
// linux/iommufd.h), each also writable as a number so that a scenario can
// send a bit or a type iommufd does not know and see the call refuse it.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace iommu_sim {

struct NamedValue {
  std::string_view name;
  std::uint32_t value;
};

std::span<const NamedValue> map_flag_names();         // IOMMU_IOAS_MAP_*
std::span<const NamedValue> hwpt_flag_names();        // IOMMU_HWPT_ALLOC_*, FAULT_ID_VALID
std::span<const NamedValue> entry_flag_names();       // IOMMU_VTD_INV_FLAGS_*
std::span<const NamedValue> hwpt_data_names();        // IOMMU_HWPT_DATA_*
std::span<const NamedValue> invalidate_data_names();  // IOMMU_HWPT_INVALIDATE_DATA_*

// A name of `names` or a number up to 2^32 - 1; nullopt, with the reason
// in `why`, for anything else.
std::optional<std::uint32_t> named_value(const std::string& text, std::span<const NamedValue> names,
                                         std::string& why);
// The OR of every element's bits.
std::optional<std::uint32_t> named_bits(const std::vector<std::string>& texts,
                                        std::span<const NamedValue> names, std::string& why);

}  // namespace iommu_sim
