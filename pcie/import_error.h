// What `iommu-sim topo --import` reports about an input it cannot read: the
// file, the line (1-based; an empty file's error is on line 1, where its
// content should start) and why, printed as compilers print theirs
// ("FILE:LINE: REASON"), so an editor can jump to the line.
#pragma once

#include <string>

namespace iommu_sim {

struct ImportError {
  std::string file;
  int line = 1;
  std::string reason;

  std::string to_string() const {
    std::string out = file;
    out.append(":").append(std::to_string(line)).append(": ").append(reason);
    return out;
  }
};

}  // namespace iommu_sim
