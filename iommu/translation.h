// What the device-facing front end asks of the translation process, and
// what it gets back.
#pragma once

#include <cstdint>

#include "iommu/formats/vtd_fault.h"

namespace iommu_sim {

struct TranslationRequest {
  std::uint16_t source_id = 0;
  bool pasid_present = false;
  std::uint32_t pasid = 0;
  std::uint64_t iova = 0;
  bool write = false;
  bool privileged = false;
  bool execute = false;
  std::uint64_t trace_id = 0;  // the DMA's, for traces (PcieAttrs::trace_id)
};

// Where the translation a request used came from.
enum class TranslationSource : std::uint8_t {
  Walk,         // a page walk for this request
  Iotlb,        // an IOTLB entry filled earlier
  MergedWalk,   // the IOTLB entry another request's walk in flight left
  PassThrough,  // PGTT pass-through: no page table
  DeviceTlb,    // the device's own ATC (PCIe ATS), filled by a translation request
};

struct TranslationResult {
  bool ok = false;
  std::uint64_t address = 0;     // output (host physical) address when ok
  std::uint8_t page_shift = 12;  // size of the translation used (IOTLB entry): 12, 21 or 30
  iommu::vtd::FaultReason reason{};
  bool fault_processing_disabled = false;  // FPD set in an entry on the path
  std::uint32_t pasid = 0;                 // effective PASID (RID_PASID when none was sent)
  bool iotlb_hit = false;
  // Provenance (set when ok): which caches served the request and when the
  // IOTLB entry used was filled.
  TranslationSource source = TranslationSource::Walk;
  bool context_cached = false;
  bool pasid_cached = false;
  std::uint16_t did = 0;
  std::uint64_t filled_ps = 0;
  // Level (2 = PDE ... 5 = PML5E) of the paging-structure-cache entry a walk
  // resumed from, first- and second-level; 0: none.
  std::uint8_t fl_psc_level = 0, sl_psc_level = 0;
  bool device_tlb = false;  // the context entry's DTE: may the device cache it (ATS)
};

}  // namespace iommu_sim
