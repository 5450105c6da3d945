// The platform the invalidation and translator targets drive. SystemC
// elaborates once per process, so it is built once, on first use, by the
// product's builder (Platform, from a config load_config validated), in
// Timed mode: the invalidation engine runs as its own thread, device-TLB
// invalidations are answered by processes of their own, and DMAs that
// overlap in time merge walks and compete for walk engines, as in any run.
// Between two inputs it is brought back to one state, the way a driver
// re-initialises an IOMMU, so that no input's outcome depends on the inputs
// before it (libFuzzer reproduces a crash from one input alone).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>

#include "fuzz/fail.h"
#include "model/platform/platform.h"

namespace iommu_sim::fuzz {

class DmaInitiator;

// The platform's functions, in the order FuzzDma::function numbers them:
// nic0 (01:00.0) without ATS and gpu0 (02:00.0) with ATS, so a device TLB,
// each with a 1 MiB BAR in the MMIO window.
inline constexpr Bdf kFunctionBdf[] = {{1, 0, 0}, {2, 0, 0}};
inline constexpr const char* kFunctionName[] = {"nic0", "gpu0"};
inline constexpr unsigned kAtsFunction = 1;

// The harness's own invalidation queue (4 KiB of 128-bit descriptors) and,
// in its last dword, the status its wait descriptor writes; away from
// where the seeds put tables (table_image.h users: 256 MiB and up).
inline constexpr std::uint64_t kResetQueue = 0x7f000000;
inline constexpr std::uint64_t kResetStatus = kResetQueue + 0xffc;

// The platform's config (validated; what make_seeds needs to know of it
// too: where enumeration put the BARs).
PlatformConfig fuzz_platform_config();

struct FuzzDma {
  unsigned function = 0;  // index into kFunctionBdf
  std::uint64_t iova = 0;
  std::uint32_t size = 64;
  bool write = false;
  bool pasid_present = false;
  std::uint32_t pasid = 0;
  bool privileged = false;
  bool execute = false;
  // Issued this long after a DMA thread takes it up: when the next run
  // starts, for the first kDmaThreads.
  std::uint32_t start_ns = 0;
};

class FuzzPlatform {
 public:
  static FuzzPlatform& instance();

  Platform& platform() { return *platform_; }

  // Back to the state after a driver's init with `rtaddr` as root table:
  // memory all zero, fault records and queue errors cleared, the queue
  // re-enabled (Linux __dmar_enable_qi: QIE off, IQT 0, IQA, QIE on, which
  // resets IQH, VT-d spec 10.4.23), RTADDR latched by GCMD.SRTP with
  // translation on, then every context-cache, PASID-cache, IOTLB and
  // paging-structure-cache entry and every device TLB invalidated by
  // descriptors (VT-d spec 6.5: software invalidates globally after SRTP).
  void reset(std::uint64_t rtaddr);
  // Re-enables the queue at `iqa` with IQH = IQT = 0, as reset() does.
  void enable_queue(std::uint64_t iqa);

  // CPU stores to memory; a chunk not wholly below 2^memory.address_bits is
  // left out (the host cannot store there either).
  void write_memory(std::uint64_t address, std::span<const std::uint8_t> bytes);
  std::uint64_t read_register(std::uint64_t offset, unsigned size);
  void write_register(std::uint64_t offset, unsigned size, std::uint64_t value);

  // Issues `dma` from its function at the next run, in one of kDmaThreads
  // SystemC threads (a DMA beyond them waits for one to be free).
  void spawn(const FuzzDma& dma);
  // Runs the simulation until nothing is pending. Every DMA spawned must
  // have completed by then; one that has not is a hang, reported by abort.
  void run();

 private:
  // A thread per DMA would be simpler, but SystemC keeps every generated
  // process name for good: about 100 bytes a spawn, gigabytes over a long
  // fuzzing run. These threads live as long as the platform.
  static constexpr int kDmaThreads = 8;

  FuzzPlatform();
  void dma_thread();

  std::unique_ptr<Platform> platform_;
  std::unique_ptr<DmaInitiator> initiators_[2];
  std::uint64_t memory_limit_ = 0;
  std::deque<FuzzDma> waiting_;
  sc_core::sc_event dma_posted_;
  std::uint64_t spawned_ = 0, completed_ = 0;
  bool device_tlb_filled_ = true;  // the driver's init may have used it
  std::uint32_t reset_token_ = 0;
};

}  // namespace iommu_sim::fuzz
