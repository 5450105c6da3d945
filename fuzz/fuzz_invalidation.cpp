// libFuzzer target: queued invalidation (iommu/invalidation_engine.*, VT-d
// spec 6.5.2) fed an arbitrary descriptor ring and arbitrary IQT, IQA,
// GCMD, FSTS, ICS, IQH and RTADDR values written through the IOMMU's
// registers as a driver writes them, with DMAs in flight and caches and a
// device TLB holding entries (the input's layout and the state every input
// starts from are below). Besides crashes, hangs and sanitizer reports, it
// checks what VT-d spec 6.5.2 promises once the queue is idle: an enabled
// queue that no error stopped (FSTS.IQE, FSTS.ITE) has fetched every
// descriptor, IQH = IQT.
//
// Every input starts from one state (start() below): translation tables
// mapping kPages 4 KiB pages at kIova for nic0's PASID 1
// (first-level, DID kFirstLevelDid), nic0's requests without PASID
// (RID_PASID 0: second-level, DID kSecondLevelDid) and gpu0's PASID 1
// (first-level, DID kFirstLevelDid, DTE set); four DMAs have filled the
// context, PASID, IOTLB and paging-structure caches and gpu0's device TLB;
// the queue is enabled and empty at kRing (IQA.QS 0: 4 KiB of 128-bit
// descriptors; IQH = IQT = 0).
//
// Then operations to the end of the input, little-endian (input_bytes.h;
// the constants are in invalidation_input.h), each an opcode byte (its low
// 2 bits) and its operands:
//   0 descriptor  u16 slot, u64 qw0, u64 qw1: written to memory where IQA,
//                 as it is now, puts descriptor `slot` (base + slot x 16,
//                 or x 32 with IQA.DW; of a 256-bit slot the low half)
//   1 register    u8 reg, u64 value: written as a driver writes it (reg % 8
//                 indexes kRegisters), then the simulation runs until
//                 nothing is pending
//   2 DMA         u8 flags, u8 page: bit 0 function (0 nic0, 1 gpu0), bit 1
//                 write, bit 2 PASID 1 (else none); at kIova + (page %
//                 kPages) x 4 KiB; issued when the simulation next runs,
//                 alongside the queue
//   3 run         until nothing is pending
// At the end the simulation runs once more.
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_platform.h"
#include "fuzz/invalidation_input.h"
#include "fuzz/table_image.h"
#include "iommu/formats/vtd_pasid.h"

using namespace iommu_sim;
using namespace iommu_sim::fuzz;
namespace vtd = iommu::vtd;

namespace {

// The tables of the starting state, in frames from 256 MiB.
TableImage starting_tables() {
  TableImage image(0x10000000);
  const std::uint64_t first_level = image.new_frame();
  const std::uint64_t second_level = image.new_frame();
  for (unsigned page = 0; page < kPages; ++page) {
    const std::uint64_t iova = kIova + page * 4096ull;
    const std::uint64_t memory = 0x20000000 + page * 4096ull;
    image.map_first_level(first_level, 4, iova, memory, 1, {});
    image.map_second_level(second_level, 4, iova, memory, 1, {});
  }
  const vtd::PasidEntry fl{.present = true,
                           .pgtt = static_cast<std::uint8_t>(vtd::Pgtt::FirstLevel),
                           .did = kFirstLevelDid,
                           .flptptr = first_level};
  const vtd::PasidEntry sl{.present = true,
                           .aw = 2,  // 4-level (VT-d spec 9.6)
                           .pgtt = static_cast<std::uint8_t>(vtd::Pgtt::SecondLevel),
                           .slptptr = second_level,
                           .did = kSecondLevelDid};
  image.set_pasid_entry(kFunctionBdf[0], 1, fl);
  image.set_pasid_entry(kFunctionBdf[0], 0, sl);
  image.set_pasid_entry(kFunctionBdf[1], 1, fl, true);
  return image;
}

void start(FuzzPlatform& fp) {
  static const TableImage image = starting_tables();
  fp.reset(image.root_table() | vtd::kRtaddrScalableMode);
  for (const MemoryChunk& c : image.chunks(4096)) fp.write_memory(c.address, c.bytes);
  fp.spawn({.function = 0, .iova = kIova, .pasid_present = true, .pasid = 1});
  fp.spawn({.function = 0, .iova = kIova + 4096, .write = true});
  fp.spawn({.function = 1, .iova = kIova, .pasid_present = true, .pasid = 1});
  fp.spawn({.function = 1, .iova = kIova + 8192, .pasid_present = true, .pasid = 1});
  fp.run();
  fp.enable_queue(kRing);
}

// Where descriptor `slot` of the queue IQA now describes lies.
std::uint64_t slot_address(FuzzPlatform& fp, std::uint16_t slot) {
  const std::uint64_t iqa = fp.read_register(vtd::kRegIqa, 8);
  const std::uint64_t width = (iqa & vtd::kIqaDw256) != 0 ? 32 : 16;
  return (iqa & ~0xfffull) + slot * width;
}

void check_idle_queue(FuzzPlatform& fp) {
  const auto gsts = static_cast<std::uint32_t>(fp.read_register(vtd::kRegGsts, 4));
  const auto fsts = static_cast<std::uint32_t>(fp.read_register(vtd::kRegFsts, 4));
  if ((gsts & vtd::kGstsQies) == 0 || (fsts & (vtd::kFstsIqe | vtd::kFstsIte)) != 0) return;
  const std::uint64_t head = fp.read_register(vtd::kRegIqh, 8);
  const std::uint64_t tail = fp.read_register(vtd::kRegIqt, 8);
  if (head != tail) {
    fail("the queue is enabled, stopped by no error and idle, yet IQH " + std::to_string(head) +
         " != IQT " + std::to_string(tail));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzPlatform& fp = FuzzPlatform::instance();
  start(fp);
  InputReader in({data, size});
  while (!in.empty()) {
    switch (static_cast<Op>(in.take<std::uint8_t>() & 3u)) {
      case Op::Descriptor: {
        const auto slot = in.take<std::uint16_t>();
        const std::array<std::uint64_t, 2> qw{in.take<std::uint64_t>(), in.take<std::uint64_t>()};
        fp.write_memory(slot_address(fp, slot),
                        std::span(reinterpret_cast<const std::uint8_t*>(qw.data()), 16));
        break;
      }
      case Op::Register: {
        const RegisterWrite& r = kRegisters[in.take<std::uint8_t>() % 8];
        fp.write_register(r.offset, r.size, in.take<std::uint64_t>());
        fp.run();
        break;
      }
      case Op::Dma: {
        const auto flags = in.take<std::uint8_t>();
        const auto page = in.take<std::uint8_t>();
        fp.spawn({.function = flags & 1u,
                  .iova = kIova + (page % kPages) * 4096ull,
                  .write = (flags & 2u) != 0,
                  .pasid_present = (flags & 4u) != 0,
                  .pasid = (flags & 4u) != 0 ? 1u : 0u});
        break;
      }
      case Op::Run:
        fp.run();
        break;
    }
  }
  fp.run();
  check_idle_queue(fp);
  return 0;
}
