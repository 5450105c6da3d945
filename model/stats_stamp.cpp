#include "model/stats_stamp.h"

#include <cstdio>

#include "iommu_sim_build_info.h"

namespace iommu_sim {

std::string_view simulator_version() {
  return IOMMU_SIM_VERSION;
}

std::string_view simulator_git_commit() {
  return IOMMU_SIM_GIT_COMMIT;
}

std::uint64_t fnv1a_64(std::string_view bytes) {
  // The offset basis and prime of FNV-1a 64 (Fowler, Noll, Vo; IETF draft
  // draft-eastlake-fnv).
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (const char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ull;
  }
  return h;
}

std::string hex64(std::uint64_t hash) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(hash));
  return buf;
}

}  // namespace iommu_sim
