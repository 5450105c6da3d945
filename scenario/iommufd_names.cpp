#include "scenario/iommufd_names.h"

#include <array>

#include "model/config_loader.h"
#include "model/host/iommufd_uapi.h"

namespace iommu_sim {

namespace {

constexpr std::array kMapFlags{
    NamedValue{"fixed_iova", iommufd::kIoasMapFixedIova},
    NamedValue{"writeable", iommufd::kIoasMapWriteable},
    NamedValue{"readable", iommufd::kIoasMapReadable},
};
constexpr std::array kHwptFlags{
    NamedValue{"nest_parent", iommufd::kHwptAllocNestParent},
    NamedValue{"dirty_tracking", iommufd::kHwptAllocDirtyTracking},
    NamedValue{"fault_id_valid", iommufd::kHwptFaultIdValid},
    NamedValue{"pasid", iommufd::kHwptAllocPasid},
};
constexpr std::array kEntryFlags{NamedValue{"leaf", iommufd::kVtdInvFlagsLeaf}};
constexpr std::array kHwptData{
    NamedValue{"none", iommufd::kHwptDataNone},
    NamedValue{"vtd_s1", iommufd::kHwptDataVtdS1},
    NamedValue{"arm_smmuv3", iommufd::kHwptDataArmSmmuv3},
};
constexpr std::array kInvalidateData{
    NamedValue{"vtd_s1", iommufd::kHwptInvalidateDataVtdS1},
};

}  // namespace

std::span<const NamedValue> map_flag_names() {
  return kMapFlags;
}
std::span<const NamedValue> hwpt_flag_names() {
  return kHwptFlags;
}
std::span<const NamedValue> entry_flag_names() {
  return kEntryFlags;
}
std::span<const NamedValue> hwpt_data_names() {
  return kHwptData;
}
std::span<const NamedValue> invalidate_data_names() {
  return kInvalidateData;
}

std::optional<std::uint32_t> named_value(const std::string& text, std::span<const NamedValue> names,
                                         std::string& why) {
  for (const NamedValue& n : names) {
    if (text == n.name) return n.value;
  }
  if (const auto number = parse_u64(text); number && *number <= 0xffffffffull) {
    return static_cast<std::uint32_t>(*number);
  }
  why = "\"" + text + "\" is neither ";
  for (const NamedValue& n : names) why.append(n.name).append(", ");
  why += "nor a number below 2^32";
  return std::nullopt;
}

std::optional<std::uint32_t> named_bits(const std::vector<std::string>& texts,
                                        std::span<const NamedValue> names, std::string& why) {
  std::uint32_t bits = 0;
  for (const std::string& t : texts) {
    const auto v = named_value(t, names, why);
    if (!v) return std::nullopt;
    bits |= *v;
  }
  return bits;
}

}  // namespace iommu_sim
