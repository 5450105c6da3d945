// What stats.json is stamped with, so that a result can be traced to the
// simulator and the configuration that produced it: the version, the git
// commit the build was configured from, and a hash of the effective
// config (docs/running.md).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace iommu_sim {

// The project's version (CMake's PROJECT_VERSION).
std::string_view simulator_version();
// `git rev-parse HEAD` of the source tree when the build was configured,
// or "unknown" when it is not a git checkout.
std::string_view simulator_git_commit();

// FNV-1a, 64 bits: a stable hash (std::hash may differ between standard
// libraries and releases), here of the compact JSON dump of the config.
std::uint64_t fnv1a_64(std::string_view bytes);
// `hash` as 16 lowercase hex digits.
std::string hex64(std::uint64_t hash);

}  // namespace iommu_sim
