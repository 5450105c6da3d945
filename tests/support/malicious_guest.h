// Test support: one run of a malicious guest against the platform
// (tests/sim/test_malicious_guest.cpp states the property it checks).
//
// The attacker: "guest_nic" attached as PASID 1 to a nested HWPT built from
// the config (address_spaces[].translation nested_hwpt) over 8 MiB of guest
// memory at GPA 0 (second level, 4 levels), its 4-level first-level table at
// GPA 0. The victim: "victim_nic" attached, in a context of its own, to a
// first-level IOAS mapping 256 KiB at IOVA 0x100000. Even seeds run without
// paging-structure caches, so every walk reads every level; seeds 2 and 3
// modulo 4 run with a host address width of 52 bits instead of 46.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace iommu_sim::test {

constexpr std::uint64_t kAttackerDmas = 1000;
constexpr std::uint64_t kVictimDmas = 250;  // each a write and a read back
constexpr std::uint64_t kGuestOps = 800;    // table writes and invalidations
// VT-d spec 3.8: a nested walk reads each first-level entry after a
// second-level walk of its table's address, then walks the output:
// fl x (sl + 1) + sl paging entries, 4 x 5 + 4 here.
constexpr std::uint64_t kWalkReadBound = 24;

struct AttackOutcome {
  bool finished = false;  // every thread got through its loop
  std::uint64_t attacker_dmas = 0, attacker_completed = 0, attacker_faulted = 0;
  // Completed attacker DMAs (and IOMMU A/D writes for it) that landed
  // outside its second-level mapping.
  std::uint64_t escapes = 0;
  std::string first_escape;
  // Neither completed nor faulted (or completed without the IOMMU).
  std::uint64_t unexpected_completions = 0;
  std::map<std::uint8_t, std::uint64_t> fault_reasons;  // of faulted attacker DMAs
  std::uint64_t faults_without_reason = 0;  // a faulted DMA with no single fault reported
  std::uint64_t victim_errors = 0, victim_faults = 0;
  std::string first_victim_error;
  std::uint64_t invalidations_ok = 0, wrong_invalidation_results = 0;
  std::string first_wrong_invalidation;
  std::uint64_t stale = 0, breaches = 0;  // oracle.violations.*
  std::string first_violation;
  std::uint64_t max_walk_reads = 0, victim_max_walk_reads = 0;  // paging entries per walk
  // DMAs (either tenant's) that walked more than once per invalidation
  // descriptor the IOMMU executed meanwhile (a walk restarts only after
  // one), and the most walks one DMA of each tenant took.
  std::uint64_t walks_beyond_invalidations = 0;
  std::uint64_t max_walks_per_dma = 0, victim_max_walks_per_dma = 0;
  // Frames of simulated memory first written during the attack, and what
  // the two tenants' memory and the invalidation queue's pages allow.
  std::uint64_t frames_grown = 0, frame_bound = 0;
  std::uint64_t faults_total = 0, faults_by_reason_sum = 0;  // iommu.faults.*
};

// One attack, everything drawn from `seed` (boost::random, the same on
// every standard library).
AttackOutcome run_attack(std::uint64_t seed);

}  // namespace iommu_sim::test
