// Every host-manager call returns a Status: an errno-like code and a message
// that names what was wrong. A failed call changes nothing.
#pragma once

#include <cerrno>
#include <string>

namespace iommu_sim {

struct Status {
  int code = 0;  // 0 or a positive errno value (EINVAL, ENOENT, EEXIST, ...)
  std::string message;

  bool ok() const { return code == 0; }
  static Status success() { return {}; }
  static Status error(int code, std::string message) { return {code, std::move(message)}; }
};

}  // namespace iommu_sim
