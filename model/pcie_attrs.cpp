#include "model/pcie_attrs.h"

#include <cstdio>

namespace iommu_sim {

std::string Bdf::to_string() const {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02x:%02x.%x", bus, device, function);
  return buf;
}

}  // namespace iommu_sim
