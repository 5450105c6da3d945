#include "fuzz/fuzz_platform.h"

#include <tlm_utils/simple_initiator_socket.h>

#include <vector>

#include "iommu/formats/vtd_invalidation.h"
#include "iommu/formats/vtd_registers.h"
#include "model/dma_payload.h"

namespace iommu_sim::fuzz {

namespace vtd = iommu::vtd;

// A function's DMA engine; the platform's DMA threads issue through it, so
// several of its requests can be in flight, as a device's are.
class DmaInitiator : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<DmaInitiator> socket;
  explicit DmaInitiator(const sc_core::sc_module_name& name) : sc_module(name), socket("socket") {}

  void issue(const FuzzDma& d) {
    PcieAttrs attrs;
    attrs.pasid_present = d.pasid_present;
    attrs.pasid = d.pasid;
    attrs.privileged = d.privileged;
    attrs.execute = d.execute;
    DmaPayload dma(d.iova, d.size, d.write, 0xab, attrs);
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    socket->b_transport(dma.payload(), delay);
    sc_core::wait(delay);
    // Translated (memory may still answer with an address error), or
    // blocked with a completion status saying why; an OK response with a
    // failed completion would be neither.
    if (dma.payload().is_response_ok() && dma.attrs().completion != CompletionStatus::Success) {
      fail("a DMA got an OK response with completion " +
           std::string(completion_name(dma.attrs().completion)));
    }
  }
};

// No LeakSanitizer in the targets that run SystemC: its threads are
// coroutines on stacks of their own, which LeakSanitizer cannot follow. Its
// tracer crashed on one, and at exit it took what only the stack of the
// libFuzzer driver pointed to for leaks. (ASAN_OPTIONS given at run time
// still override this.)
extern "C" const char* __asan_default_options() {
  return "detect_leaks=0";
}

PlatformConfig fuzz_platform_config() {
  // Timed, no workloads and nothing attached: the targets write the tables.
  // address_width 57 offers 5-level first-level and second-level tables.
  const auto j = nlohmann::json::parse(R"({
    "mode": "timed",
    "iommu": { "address_width": 57 },
    "pcie": { "endpoints": [ { "name": "nic0" }, { "name": "gpu0", "ats": { "enabled": true } } ] },
    "address_spaces": [],
    "attach": [],
    "workloads": []
  })");
  PlatformConfig config;
  const auto errors = load_config(j, config);
  if (!errors.empty()) fail("the fuzz platform's config: " + errors.front().to_string());
  return config;
}

FuzzPlatform& FuzzPlatform::instance() {
  // Never destroyed: SystemC's kernel outlives every module anyway.
  static auto* platform = new FuzzPlatform;
  return *platform;
}

FuzzPlatform::FuzzPlatform() {
  sc_core::sc_report_handler::set_actions("/IEEE_Std_1666/deprecated", sc_core::SC_DO_NOTHING);
  const PlatformConfig config = fuzz_platform_config();
  memory_limit_ = 1ull << config.memory.address_bits;
  platform_ = std::make_unique<Platform>(config);
  for (unsigned f = 0; f < 2; ++f) {
    const Endpoint& ep = platform_->endpoint(kFunctionName[f]);
    if (ep.bdf() != kFunctionBdf[f]) fail(std::string(kFunctionName[f]) + " is not at its BDF");
    initiators_[f] =
        std::make_unique<DmaInitiator>((std::string("fuzz_") + kFunctionName[f]).c_str());
    initiators_[f]->socket.bind(platform_->endpoint(kFunctionName[f]).dma_in);
  }
  for (int t = 0; t < kDmaThreads; ++t) {
    sc_core::sc_spawn([this] { dma_thread(); }, ("fuzz_dma_" + std::to_string(t)).c_str());
  }
  platform_->run();  // elaboration and the driver's init
}

void FuzzPlatform::enable_queue(std::uint64_t iqa) {
  auto& bus = platform_->host_bus();
  // GCMD's TE and QIE are levels: each write says both (VT-d spec 10.4.4).
  bus.mmio_write(vtd::kRegGcmd, 4, vtd::kGcmdTe);
  bus.mmio_write(vtd::kRegIqt, 8, 0);
  bus.mmio_write(vtd::kRegIqa, 8, iqa);
  bus.mmio_write(vtd::kRegGcmd, 4, vtd::kGcmdTe | vtd::kGcmdQie);
}

void FuzzPlatform::reset(std::uint64_t rtaddr) {
  auto& bus = platform_->host_bus();
  platform_->memory().store() = SparseMemory{};
  platform_->driver().drain_faults();
  bus.mmio_write(vtd::kRegFsts, 4, vtd::kFstsIqe | vtd::kFstsIce | vtd::kFstsIte);
  bus.mmio_write(vtd::kRegIcs, 4, vtd::kIcsIwc);
  enable_queue(kResetQueue);
  bus.mmio_write(vtd::kRegRtaddr, 8, rtaddr);
  bus.mmio_write(vtd::kRegGcmd, 4, vtd::kGcmdTe | vtd::kGcmdQie | vtd::kGcmdSrtp);

  // The whole address range of every PASID (S set, ADDR bits 62:12 set:
  // VT-d spec 6.5.2.5 / 6.5.2.6).
  const std::uint64_t everything = iommu::formats::mask(62, 12);
  const std::uint16_t gpu = kFunctionBdf[kAtsFunction].rid();
  vtd::InvWaitDesc wait{};
  wait.sw = true;
  wait.status_addr = kResetStatus;
  wait.status_data = ++reset_token_;
  std::vector<vtd::Descriptor> descriptors{
      vtd::ContextCacheInvDesc{.granularity = vtd::ContextCacheGranularity::Global}.encode(),
      vtd::PasidCacheInvDesc{.granularity = vtd::PasidCacheGranularity::Global}.encode(),
      vtd::IotlbInvDesc{.granularity = vtd::IotlbGranularity::Global}.encode()};
  // Only when gpu0 sent DMAs can its device TLB hold anything: each
  // device-TLB invalidation is a process SystemC keeps a name of.
  if (device_tlb_filled_) {
    descriptors.push_back(
        vtd::DeviceTlbInvDesc{.sid = gpu, .addr = everything, .s = true}.encode());
    descriptors.push_back(
        vtd::PasidDeviceTlbInvDesc{.sid = gpu, .g = true, .s = true, .addr = everything}.encode());
    device_tlb_filled_ = false;
  }
  descriptors.push_back(wait.encode());
  for (std::size_t i = 0; i < descriptors.size(); ++i) {
    bus.write64(kResetQueue + 16 * i, descriptors[i][0]);
    bus.write64(kResetQueue + 16 * i + 8, descriptors[i][1]);
  }
  bus.mmio_write(vtd::kRegIqt, 8, 16 * descriptors.size());
  run();
  const auto fsts = static_cast<std::uint32_t>(bus.mmio_read(vtd::kRegFsts, 4));
  if (bus.read32(kResetStatus) != reset_token_ || (fsts & (vtd::kFstsIqe | vtd::kFstsIte)) != 0) {
    fail("the harness's invalidations did not complete (FSTS " + std::to_string(fsts) + ")");
  }
}

void FuzzPlatform::write_memory(std::uint64_t address, std::span<const std::uint8_t> bytes) {
  if (address >= memory_limit_ || bytes.size() > memory_limit_ - address) return;
  platform_->host_bus().write(address, bytes);
}

std::uint64_t FuzzPlatform::read_register(std::uint64_t offset, unsigned size) {
  return platform_->host_bus().mmio_read(offset, size);
}

void FuzzPlatform::write_register(std::uint64_t offset, unsigned size, std::uint64_t value) {
  platform_->host_bus().mmio_write(offset, size, value);
}

void FuzzPlatform::spawn(const FuzzDma& dma) {
  ++spawned_;
  device_tlb_filled_ = device_tlb_filled_ || dma.function == kAtsFunction;
  waiting_.push_back(dma);
  dma_posted_.notify(sc_core::SC_ZERO_TIME);
}

void FuzzPlatform::dma_thread() {
  for (;;) {
    while (waiting_.empty()) sc_core::wait(dma_posted_);
    const FuzzDma dma = waiting_.front();
    waiting_.pop_front();
    if (dma.start_ns != 0) sc_core::wait(sc_core::sc_time(dma.start_ns, sc_core::SC_NS));
    initiators_[dma.function]->issue(dma);
    ++completed_;
  }
}

void FuzzPlatform::run() {
  // An input may run with nothing pending (after a register write that
  // starts nothing); sc_start would only warn (W571) and return, and at
  // dozens of such runs per input the warnings would fill the disk.
  if (sc_core::sc_pending_activity()) platform_->run();
  if (completed_ != spawned_) {
    fail(std::to_string(spawned_ - completed_) + " DMA(s) never completed: the simulation " +
         "ran out of events with them waiting");
  }
}

}  // namespace iommu_sim::fuzz
