// The oracle's reference translation: what the structures in memory say
// right now about one request, read directly (untimed, no caches, no A/D
// updates) and written independently of the IOMMU's translator, so that a
// wrong cache or a wrong walk in the model shows as a disagreement.
// Follows VT-d spec 3.4.3 (scalable mode), 3.6-3.8 (first-level,
// second-level, nested) and 3.6.2 (access rights).
#pragma once

#include <cstdint>
#include <optional>

#include "iommu/translation.h"
#include "model/sparse_memory.h"

namespace iommu_sim {

// The host-physical address `r` may access, or nothing if the tables in
// memory deny it (not present, rights, reserved PGTT). `root_table` is the
// latched RTADDR; `address_width` CAP.MGAW + 1.
std::optional<std::uint64_t> reference_translate(const SparseMemory& memory,
                                                 std::uint64_t root_table, unsigned address_width,
                                                 const TranslationRequest& r);

}  // namespace iommu_sim
