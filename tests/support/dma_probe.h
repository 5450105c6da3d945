// Test support: a DMA initiator a test drives request by request from a
// script thread, and a helper that builds a platform on a fresh kernel.
#pragma once

#include <tlm_utils/simple_initiator_socket.h>
#include <cstring>
#include <functional>
#include <memory>
#include <systemc>
#include <tlm>
#include <vector>

#include "model/kernel.h"
#include "model/platform/platform.h"

namespace iommu_sim::test {

struct DmaResult {
  bool ok = false;
  CompletionStatus completion = CompletionStatus::Success;
  sc_core::sc_time latency;  // issue to completion
  std::vector<std::uint8_t> data;
};

inline constexpr std::uint64_t kMiB = 1 << 20;

// A recognisable 64-bit pattern tests write into memory and read back by DMA.
inline constexpr std::uint64_t kMarker = 0x5ca1ab1e0ddba11ull;

// The first 8 bytes a DMA read returned, little-endian; 0 if it read fewer.
inline std::uint64_t first_word(const DmaResult& r) {
  std::uint64_t v = 0;
  if (r.data.size() >= 8) std::memcpy(&v, r.data.data(), 8);
  return v;
}

struct DmaRequest {
  std::uint64_t address = 0;
  bool write = false;
  std::uint32_t size = 64;
  bool pasid_present = true;
  std::uint32_t pasid = 1;
  bool privileged = false;
  bool execute = false;
  std::uint8_t fill = 0xab;  // write data
  AddressType at = AddressType::Untranslated;
};

class DmaProbe : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<DmaProbe> socket;
  explicit DmaProbe(sc_core::sc_module_name name) : sc_module(name), socket("socket") {}
  // Issues one request and waits for it (call from a SystemC thread).
  DmaResult issue(const DmaRequest& r);
};

// A platform with no workloads plus one probe per function.
class TestBench {
 public:
  explicit TestBench(PlatformConfig config);
  Platform& platform() { return *platform_; }
  // The probe driving function `function` (an endpoint's name, or
  // <name>.<n> for a function of a multi-function device).
  DmaProbe& probe(const std::string& function) { return *probes_.at(function); }
  // Runs `script` in a SystemC thread, then the simulation to its end;
  // fails the test if the oracle saw a violation, unless allowed.
  void run(std::function<void()> script);
  void allow_violations() { allow_violations_ = true; }

 private:
  std::unique_ptr<Platform> platform_;
  std::map<std::string, std::unique_ptr<DmaProbe>> probes_;
  bool allow_violations_ = false;
};

// Starts `count` 4 KiB writes from `function` to `address` at once, each in
// a thread of its own, so they queue at memory (call from a SystemC
// thread). `last_done` becomes the time the last of them finished.
void spawn_page_writes(TestBench& tb, const std::string& function, std::uint64_t address, int count,
                       sc_core::sc_time& last_done);

// The issue's default platform without workloads: one endpoint "nic0"
// (bus 1), IOAS "as0" with 1 MiB at 0x100000 attached as PASID 1; links
// add only their latency (pcie.link_model = latency).
PlatformConfig default_config_without_workloads();

// That platform with two IOMMU groups and nothing attached: "nic", two
// functions without ACS (nic.0, nic.1: one group), and "ssd" alone.
PlatformConfig two_groups_config_without_attachments();

// Replaces the devices of `c` with rp0 (ACS on) - switch sw - downstream
// ports d0 and d1 (ACS capability `cap`, control `ctl`), "gpu" below d0 and
// "nic" below d1, and attaches nic to as0 as PASID 1.
void place_behind_switch(PlatformConfig& c, const std::string& cap, const std::string& ctl);

// The platform the timing tests compute latencies for by hand: memory
// 80 ns + 16 GB/s (62.5 ps per byte, so every transfer time is a whole
// number of picoseconds), links 100 ns, root complex 20 ns, lookup 3 ns.
PlatformConfig timing_config_without_workloads();
// One memory read of `bytes` on that platform, unloaded.
sc_core::sc_time read_time(unsigned bytes);

// Replaces the address spaces with a guest: "gpa", a second-level IOAS
// (`sl` levels) whose 64 MiB at GPA 0 is the guest's memory, and "guest", a
// nested `fl`-level IOAS on it mapping 1 MiB at 0x100000, attached to nic0
// as PASID 1.
void make_nested(PlatformConfig& c, unsigned fl = 4, unsigned sl = 4);

// Turns off every first- and second-level paging-structure cache (and so
// their lookup latency): a walk then reads every level.
void disable_paging_structure_caches(PlatformConfig& c);

}  // namespace iommu_sim::test
