// fuzz_invalidation's seeds: every descriptor type at each granularity
// (VT-d spec 6.5.2.1-6.5.2.8), with DMAs before and after, and the queue's
// edge cases: an invalid descriptor and resuming after it, a tail beyond
// the queue or between 256-bit descriptors, 256-bit and larger queues, a
// device-TLB invalidation nobody answers (FSTS.ITE), a status write beyond
// memory, the queue turned off and on, translation turned off.
#include "fuzz/fuzz_platform.h"
#include "fuzz/seeds.h"
#include "iommu/formats/bitfield.h"

namespace iommu_sim::fuzz {

namespace {

namespace vtd = iommu::vtd;

constexpr std::uint8_t kNicFlag = 0, kGpuFlag = 1, kWriteFlag = 2, kPasidFlag = 4;
constexpr std::uint64_t kStatus = kRing + 0x800;  // a wait's status word, in the ring's page

vtd::Descriptor wait_writing(std::uint32_t data, std::uint64_t at = kStatus) {
  vtd::InvWaitDesc w{};
  w.sw = true;
  w.status_addr = at;
  w.status_data = data;
  return w.encode();
}

// DMAs that fill the caches, `descriptors` and a wait posted from slot 0,
// the tail moved past them, then the same DMAs again.
InvalidationOps around_dmas(const std::vector<vtd::Descriptor>& descriptors) {
  InvalidationOps ops;
  ops.dma(kNicFlag | kPasidFlag, 0);
  ops.dma(kNicFlag, 1);
  ops.dma(kGpuFlag | kPasidFlag, 2);
  ops.run();
  std::uint16_t slot = 0;
  for (const auto& d : descriptors) ops.descriptor(slot++, d);
  ops.descriptor(slot++, wait_writing(1));
  ops.write_register(kIqt, slot * 16ull);
  ops.dma(kNicFlag | kPasidFlag, 0);
  ops.dma(kNicFlag | kWriteFlag, 1);
  ops.dma(kGpuFlag | kPasidFlag, 2);
  ops.run();
  return ops;
}

const std::uint16_t kNicSid = kFunctionBdf[0].rid();
const std::uint16_t kGpuSid = kFunctionBdf[1].rid();

InvalidationOps context_cache() {
  using G = vtd::ContextCacheGranularity;
  return around_dmas(
      {vtd::ContextCacheInvDesc{.granularity = G::Device, .sid = kNicSid}.encode(),
       vtd::ContextCacheInvDesc{.granularity = G::Device, .sid = kGpuSid, .fm = 3}.encode(),
       vtd::ContextCacheInvDesc{.granularity = G::Domain, .did = 1}.encode(),
       vtd::ContextCacheInvDesc{.granularity = G::Global}.encode()});
}

InvalidationOps pasid_cache() {
  using G = vtd::PasidCacheGranularity;
  return around_dmas(
      {vtd::PasidCacheInvDesc{.granularity = G::Pasid, .did = kFirstLevelDid, .pasid = 1}.encode(),
       vtd::PasidCacheInvDesc{.granularity = G::Domain, .did = kSecondLevelDid}.encode(),
       vtd::PasidCacheInvDesc{.granularity = G::Global}.encode()});
}

InvalidationOps iotlb() {
  using G = vtd::IotlbGranularity;
  return around_dmas(
      {vtd::IotlbInvDesc{.granularity = G::Page, .did = kSecondLevelDid, .addr = kIova + 0x1000}
           .encode(),
       vtd::IotlbInvDesc{.granularity = G::Page,
                         .dw = true,
                         .dr = true,
                         .did = kFirstLevelDid,
                         .addr = kIova,
                         .ih = true,
                         .am = 4}
           .encode(),
       vtd::IotlbInvDesc{.granularity = G::Domain, .did = kFirstLevelDid}.encode(),
       vtd::IotlbInvDesc{.granularity = G::Global, .dw = true, .dr = true}.encode()});
}

InvalidationOps pasid_iotlb() {
  using G = vtd::PasidIotlbGranularity;
  return around_dmas(
      {vtd::PasidIotlbInvDesc{
           .granularity = G::Page, .did = kFirstLevelDid, .pasid = 1, .addr = kIova}
           .encode(),
       vtd::PasidIotlbInvDesc{.granularity = G::Page,
                              .did = kFirstLevelDid,
                              .pasid = 1,
                              .addr = kIova,
                              .ih = true,
                              .am = 6}
           .encode(),
       vtd::PasidIotlbInvDesc{.granularity = G::Pasid, .did = kFirstLevelDid, .pasid = 1}
           .encode()});
}

InvalidationOps device_tlb() {
  const auto [one_page, single] = vtd::ats_range_encode(kIova, 0);
  const auto [all_pages, sized] = vtd::ats_range_encode(kIova, 6);
  return around_dmas(
      {vtd::DeviceTlbInvDesc{.sid = kGpuSid, .addr = one_page, .s = single}.encode(),
       vtd::PasidDeviceTlbInvDesc{.sid = kGpuSid, .pasid = 1, .s = sized, .addr = all_pages}
           .encode(),
       vtd::PasidDeviceTlbInvDesc{.sid = kGpuSid, .g = true, .s = sized, .addr = all_pages}
           .encode(),
       vtd::Descriptor{vtd::kDescIec, 0}});
}

// Waits: status writes, IF (ICS.IWC, cleared by writing 1), fence.
InvalidationOps waits() {
  vtd::InvWaitDesc fence{};
  fence.iflag = true;
  fence.fn = true;
  InvalidationOps ops = around_dmas({wait_writing(7, kStatus + 4), fence.encode()});
  ops.write_register(kIcs, vtd::kIcsIwc);
  return ops;
}

// An invalid descriptor (type 0) stops the queue with FSTS.IQE; software
// puts a valid one in its place and clears IQE, and the queue goes on.
InvalidationOps invalid_then_resume() {
  InvalidationOps ops;
  ops.descriptor(0, {0, 0});
  ops.descriptor(1, wait_writing(2));
  ops.write_register(kIqt, 32);
  ops.descriptor(0, vtd::IotlbInvDesc{.granularity = vtd::IotlbGranularity::Global}.encode());
  ops.write_register(kFsts, vtd::kFstsIqe);
  return ops;
}

// A tail beyond the 4 KiB queue, then one written as 4 bytes.
InvalidationOps tail_beyond_queue() {
  InvalidationOps ops;
  ops.descriptor(0, wait_writing(3));
  ops.write_register(kIqt, 0x2000);
  ops.write_register(kFsts, vtd::kFstsIqe);
  ops.write_register(kIqt32, 16);
  return ops;
}

// Re-enabled as 256-bit descriptors (IQA.DW) over two pages (IQA.QS 1),
// then a tail between two descriptors.
InvalidationOps wide_queue() {
  InvalidationOps ops;
  ops.write_register(kGcmd, vtd::kGcmdTe);
  ops.write_register(kIqt, 0);
  ops.write_register(kIqa, kRing | vtd::kIqaDw256 | 1);
  ops.write_register(kGcmd, vtd::kGcmdTe | vtd::kGcmdQie);
  ops.descriptor(
      0, vtd::PasidCacheInvDesc{.granularity = vtd::PasidCacheGranularity::Global}.encode());
  ops.descriptor(1, wait_writing(4));
  ops.descriptor(200, wait_writing(5));
  ops.write_register(kIqt, 64);
  ops.write_register(kIqt, 80);
  return ops;
}

// A device-TLB invalidation to nic0, which has no device TLB: no answer
// comes (FSTS.ITE), the wait behind it does not complete; then cleared.
InvalidationOps unanswered_device_tlb() {
  InvalidationOps ops;
  ops.descriptor(0, vtd::DeviceTlbInvDesc{.sid = kNicSid, .addr = kIova}.encode());
  ops.descriptor(1, wait_writing(6));
  ops.write_register(kIqt, 32);
  ops.write_register(kFsts, vtd::kFstsIte);
  return ops;
}

InvalidationOps status_beyond_memory() {
  InvalidationOps ops;
  ops.descriptor(0, wait_writing(8, 1ull << 50));
  ops.write_register(kIqt, 16);
  return ops;
}

// The queue turned off with descriptors pending and on again (IQH back
// to 0), the root table moved (SRTP) to where nothing is, translation off.
InvalidationOps queue_and_translation_off() {
  InvalidationOps ops;
  ops.descriptor(0, vtd::IotlbInvDesc{.granularity = vtd::IotlbGranularity::Global}.encode());
  ops.descriptor(1, wait_writing(9));
  ops.write_register(kGcmd, vtd::kGcmdTe);
  ops.write_register(kIqt, 32);
  ops.write_register(kGcmd, vtd::kGcmdTe | vtd::kGcmdQie);
  ops.write_register(kRtaddr, 0x30000000 | vtd::kRtaddrScalableMode);
  ops.write_register(kGcmd, vtd::kGcmdTe | vtd::kGcmdQie | vtd::kGcmdSrtp);
  ops.dma(kNicFlag | kPasidFlag, 3);
  ops.run();
  ops.write_register(kGcmd, vtd::kGcmdQie);
  ops.dma(kNicFlag | kPasidFlag | kWriteFlag, 3);
  ops.run();
  return ops;
}

}  // namespace

std::vector<std::pair<std::string, InvalidationOps>> invalidation_seeds() {
  return {{"context_cache", context_cache()},
          {"pasid_cache", pasid_cache()},
          {"iotlb", iotlb()},
          {"pasid_iotlb", pasid_iotlb()},
          {"device_tlb", device_tlb()},
          {"waits", waits()},
          {"invalid_then_resume", invalid_then_resume()},
          {"tail_beyond_queue", tail_beyond_queue()},
          {"wide_queue", wide_queue()},
          {"unanswered_device_tlb", unanswered_device_tlb()},
          {"status_beyond_memory", status_beyond_memory()},
          {"queue_and_translation_off", queue_and_translation_off()}};
}

}  // namespace iommu_sim::fuzz
