#include "model/kernel.h"

#include <systemc>
#include <vector>

namespace iommu_sim {

void start_fresh_kernel() {
  // Never destroyed, so the retired kernels stay reachable to the end (and
  // LeakSanitizer, which checks after static destructors, sees no leak).
  static auto* retired = new std::vector<sc_core::sc_simcontext*>;
  if (sc_core::sc_curr_simcontext == nullptr) return;
  retired->push_back(sc_core::sc_curr_simcontext);
  sc_core::sc_curr_simcontext = nullptr;
  sc_core::sc_default_global_context = nullptr;
}

}  // namespace iommu_sim
