// An observation port of the remapping unit: every request it translated
// and let through, with the provenance of the translation. Verification
// components (the ordering and isolation oracle) listen here; with no
// observer attached the cost is one branch per request.
#pragma once

#include <cstdint>

#include "iommu/translation.h"

namespace iommu_sim {

class TranslationObserver {
 public:
  virtual ~TranslationObserver() = default;
  // Called when `result` (ok) is used for `request`, before the request
  // goes on to memory or a BAR.
  virtual void translated(const TranslationRequest& request, const TranslationResult& result) = 0;
  // Called when that request has completed (its data reached memory or a
  // BAR); `translated_ps` is when translated() was called for it.
  virtual void landed(const TranslationRequest& request, const TranslationResult& result,
                      std::uint64_t translated_ps) = 0;
};

}  // namespace iommu_sim
