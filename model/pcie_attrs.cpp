#include "model/pcie_attrs.h"

#include <cstdio>

namespace iommu_sim {

std::string_view completion_name(CompletionStatus s) {
  switch (s) {
    case CompletionStatus::Success:
      return "success";
    case CompletionStatus::UnsupportedRequest:
      return "Unsupported Request";
    case CompletionStatus::CompleterAbort:
      return "Completer Abort";
  }
  return "unknown completion status";
}

std::string Bdf::to_string() const {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02x:%02x.%x", bus, device, function);
  return buf;
}

}  // namespace iommu_sim
