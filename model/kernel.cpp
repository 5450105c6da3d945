#include "model/kernel.h"

#include <systemc>
#include <vector>

namespace iommu_sim {

void start_fresh_kernel() {
  static std::vector<sc_core::sc_simcontext*> retired;
  if (sc_core::sc_curr_simcontext == nullptr) return;
  retired.push_back(sc_core::sc_curr_simcontext);
  sc_core::sc_curr_simcontext = nullptr;
  sc_core::sc_default_global_context = nullptr;
}

}  // namespace iommu_sim
