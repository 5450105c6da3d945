// The NVMe device model and its driver against hand-built expectations:
// the command in the submission queue, the completion with its phase tag,
// the controller's view of the doorbells, PRP lists, byte counts on the
// memory, the DMA API calls, and the oracle over a whole run.
#include <gtest/gtest.h>

#include "model/kernel.h"
#include "tests/support/config_errors.h"
#include "tests/support/dma_probe.h"
#include "workloads/devices/nvme_format.h"

namespace iommu_sim {
namespace {

PlatformConfig nvme_config(const std::string& mode, std::uint32_t depth, std::uint64_t count,
                           std::uint32_t io_size = 4096) {
  PlatformConfig c = test::default_config_without_workloads();
  c.attach.clear();
  c.address_spaces.clear();
  c.host.dma_api = mode;
  c.devices = {DeviceModelParams{.name = "ssd",
                                 .device = "nic0",
                                 .queues = 1,
                                 .queue_depth = depth,
                                 .io_size = io_size,
                                 .count = count}};
  return c;
}

struct NvmeRun {
  std::unique_ptr<Platform> p;
  explicit NvmeRun(const PlatformConfig& c) {
    start_fresh_kernel();
    p = std::make_unique<Platform>(c);
    p->run();
  }
  std::uint64_t stat(const std::string& name) const { return p->stats().counter_value(name); }
  template <std::size_t N>
  std::array<std::uint8_t, N> read(std::uint64_t at) const {
    std::array<std::uint8_t, N> raw{};
    p->memory().store().read(at, raw);
    return raw;
  }
  nvme::Command command(std::uint32_t slot) const {
    return nvme::Command::decode(
        read<nvme::kSqeBytes>(p->nvme_driver(0).queue_memory(0).first + slot * nvme::kSqeBytes));
  }
  nvme::Completion completion(std::uint32_t slot) const {
    return nvme::Completion::decode(
        read<nvme::kCqeBytes>(p->nvme_driver(0).queue_memory(0).second + slot * nvme::kCqeBytes));
  }
};

TEST(Nvme, OneReadGoesThroughTheQueuesDoorbellsAndMappingsAsLinuxWouldDoIt) {
  const NvmeRun r(nvme_config("strict", 2, 1));
  // The command: a read of one block, CID 0, its buffer mapped after the
  // two queues (IOVAs from the top below 4 GiB: SQ, CQ, buffer).
  const nvme::Command c = r.command(0);
  EXPECT_EQ(c.opcode, nvme::kOpRead);
  EXPECT_EQ(c.cid, 0u);
  EXPECT_EQ(c.prp1, 0xFFFFD000u);
  EXPECT_EQ(c.prp2, 0u);
  EXPECT_EQ(c.nlb, 0u);
  // The completion: phase 1 on the first pass, the SQ head after it.
  const nvme::Completion e = r.completion(0);
  EXPECT_EQ(e.cid, 0u);
  EXPECT_TRUE(e.phase);
  EXPECT_EQ(e.sq_head, 1u);
  EXPECT_EQ(e.sq_id, 1u);
  EXPECT_EQ(e.status, 0u);
  // The doorbells the controller saw: tail 1, head 1.
  const auto q = r.p->nvme_controller(0).queue_state(1);
  EXPECT_EQ(q.sq_head, 1u);
  EXPECT_EQ(q.sq_tail, 1u);
  EXPECT_EQ(q.cq_tail, 1u);
  EXPECT_EQ(q.cq_head, 1u);
  EXPECT_EQ(r.stat("devices.ssd.ios"), 1u);
  EXPECT_EQ(r.stat("devices.ssd.interrupts"), 1u);
  EXPECT_EQ(r.stat("host.dma_api.maps"), 3u);  // SQ, CQ (coherent), the buffer
  EXPECT_EQ(r.stat("host.dma_api.unmaps"), 1u);
  EXPECT_EQ(r.stat("iommu.faults.recorded"), 0u);
}

TEST(Nvme, ThePhaseTagFlipsEachTimeTheCompletionQueueWraps) {
  const NvmeRun r(nvme_config("identity", 4, 10));
  // Ten completions in four slots: passes 1 (phase 1), 2 (phase 0) and
  // 3 (phase 1, slots 0 and 1 only).
  EXPECT_TRUE(r.completion(0).phase);
  EXPECT_TRUE(r.completion(1).phase);
  EXPECT_FALSE(r.completion(2).phase);
  EXPECT_FALSE(r.completion(3).phase);
  const auto q = r.p->nvme_controller(0).queue_state(1);
  EXPECT_EQ(q.sq_tail, 10u % 4);
  EXPECT_EQ(q.sq_head, 10u % 4);
  EXPECT_EQ(q.cq_tail, 10u % 4);
  EXPECT_EQ(q.cq_head, 10u % 4);
  EXPECT_TRUE(q.phase);  // flipped at 4 and at 8
  EXPECT_EQ(r.stat("devices.ssd.ios"), 10u);
  EXPECT_EQ(r.stat("devices.ssd.commands"), 10u);
}

TEST(Nvme, ABufferOfFourPagesHasAPrpListAndMovesExactlyItsBytes) {
  const NvmeRun r(nvme_config("identity", 2, 5, 16384));
  const nvme::Command c = r.command(0);
  EXPECT_EQ(c.nlb, 3u);
  // PRP2 points at the list of the three pages after PRP1's (identity:
  // bus addresses are physical).
  const auto list = r.read<24>(c.prp2);
  std::array<std::uint64_t, 3> entries{};
  std::memcpy(entries.data(), list.data(), 24);
  EXPECT_EQ(entries[0], c.prp1 + 4096);
  EXPECT_EQ(entries[1], c.prp1 + 8192);
  EXPECT_EQ(entries[2], c.prp1 + 12288);
  // Every byte written to memory: the data and the 16-byte completions.
  EXPECT_EQ(r.stat("memory.bytes_written"), 5u * (16384 + 16));
  EXPECT_EQ(r.stat("devices.ssd.bytes"), 5u * 16384);
}

TEST(Nvme, TheOracleSeesNoViolationInStrictOrLazyModeOverAWholeRun) {
  for (const std::string mode : {"strict", "lazy"}) {
    SCOPED_TRACE(mode);
    PlatformConfig c = nvme_config(mode, 16, 300);
    c.host.cpus = 2;
    c.devices[0].queues = 2;
    c.devices[0].write_fraction = 0.3;
    const NvmeRun r(c);
    EXPECT_EQ(r.stat("devices.ssd.ios"), 600u);
    EXPECT_EQ(r.stat("devices.ssd.errors"), 0u);
    EXPECT_EQ(r.p->oracle().violations(), 0u);
    // A device that uses its buffers only until their completion never
    // reaches into lazy mode's window.
    EXPECT_EQ(r.p->oracle().lazy_window_uses(), 0u);
    EXPECT_GT(r.stat("oracle.checked"), 600u);
  }
}

TEST(Nvme, BadDeviceModelsAreRefusedWithTheFieldAndTheReason) {
  auto errors_of = [](const PlatformConfig& c) { return validate(c); };
  PlatformConfig deep = nvme_config("strict", 64, 1);
  EXPECT_TRUE(test::has_error(errors_of(deep), "devices[0].queue_depth",
                              "64 is above the 32 read tags of nic0"));
  PlatformConfig unknown = nvme_config("strict", 4, 1);
  unknown.devices[0].device = "ssd9";
  EXPECT_TRUE(test::has_error(errors_of(unknown), "devices[0].device", "no endpoint named"));
  PlatformConfig attached = nvme_config("strict", 4, 1);
  attached.address_spaces = test::default_config_without_workloads().address_spaces;
  attached.attach = {AttachParams{"nic0", 1, "as0"}};
  EXPECT_TRUE(test::has_error(errors_of(attached), "devices[0].device", "owned by the kernel"));
  PlatformConfig many = nvme_config("strict", 4, 1);
  many.devices[0].queues = 3;
  EXPECT_TRUE(test::has_error(errors_of(many), "devices[0].queues", "host.cpus is 1"));
  PlatformConfig odd = nvme_config("strict", 4, 1, 6000);
  EXPECT_TRUE(test::has_error(errors_of(odd), "devices[0].io_size", "multiple of 4096"));
  // A ring of zero entries is refused by the loader, naming the field.
  nlohmann::json j = {{"devices", {{{"name", "ssd"}, {"device", "nic0"}, {"queue_depth", 0}}}}};
  PlatformConfig out;
  EXPECT_TRUE(test::has_error(load_config(j, out), "devices[0].queue_depth", ""));
}

}  // namespace
}  // namespace iommu_sim
