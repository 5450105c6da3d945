// The constants of Linux's iommufd uapi (include/uapi/linux/iommufd.h) the
// ioasid manager's calls take, with the values the kernel defines, so that
// a caller writes the same flags and types an iommufd user would. Each is
// named after its uapi constant, given beside it.
#pragma once

#include <cstdint>

namespace iommu_sim::iommufd {

// enum iommufd_ioas_map_flags (IOMMU_IOAS_MAP, IOMMU_IOAS_COPY).
inline constexpr std::uint32_t kIoasMapFixedIova = 1u << 0;  // IOMMU_IOAS_MAP_FIXED_IOVA
inline constexpr std::uint32_t kIoasMapWriteable = 1u << 1;  // IOMMU_IOAS_MAP_WRITEABLE
inline constexpr std::uint32_t kIoasMapReadable = 1u << 2;   // IOMMU_IOAS_MAP_READABLE

// enum iommufd_hwpt_alloc_flags (IOMMU_HWPT_ALLOC).
inline constexpr std::uint32_t kHwptAllocNestParent = 1u << 0;     // IOMMU_HWPT_ALLOC_NEST_PARENT
inline constexpr std::uint32_t kHwptAllocDirtyTracking = 1u << 1;  // ..._ALLOC_DIRTY_TRACKING
inline constexpr std::uint32_t kHwptFaultIdValid = 1u << 2;        // IOMMU_HWPT_FAULT_ID_VALID
inline constexpr std::uint32_t kHwptAllocPasid = 1u << 3;          // IOMMU_HWPT_ALLOC_PASID

// enum iommu_hwpt_data_type (struct iommu_hwpt_alloc's data_type).
inline constexpr std::uint32_t kHwptDataNone = 0;       // IOMMU_HWPT_DATA_NONE
inline constexpr std::uint32_t kHwptDataVtdS1 = 1;      // IOMMU_HWPT_DATA_VTD_S1
inline constexpr std::uint32_t kHwptDataArmSmmuv3 = 2;  // IOMMU_HWPT_DATA_ARM_SMMUV3
// sizeof(struct iommu_hwpt_vtd_s1): flags (8), pgtbl_addr (8),
// addr_width (4), __reserved (4); the least data_len a VT-d stage 1 takes
// (iommu_copy_struct_from_user copies up to offsetofend(__reserved)).
inline constexpr std::uint32_t kHwptVtdS1Size = 24;

// enum iommu_hwpt_invalidate_data_type (IOMMU_HWPT_INVALIDATE).
inline constexpr std::uint32_t kHwptInvalidateDataVtdS1 = 0;  // IOMMU_HWPT_INVALIDATE_DATA_VTD_S1
// enum iommu_hwpt_vtd_s1_invalidate_flags.
inline constexpr std::uint32_t kVtdInvFlagsLeaf = 1u << 0;  // IOMMU_VTD_INV_FLAGS_LEAF

}  // namespace iommu_sim::iommufd
