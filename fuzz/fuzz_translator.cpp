// libFuzzer target: the translation process (iommu/translator.*, VT-d spec
// 3.4.3) over table memory the input fills: root, context, PASID directory
// and table entries and first-level, second-level and nested paging
// entries, with loops, self-references and pointers into the MMIO window
// or beyond memory. The input's DMAs (layout below) then go from their
// functions through the fabric, the root complex and the IOMMU, gpu0's by
// PCIe ATS (Translation Request, then a translated request). Every DMA must
// end translated or faulted: a crash, a hang (fuzz_platform.h: a DMA still
// waiting when the simulation ran out of events), a sanitizer report or an
// uncaught exception is a bug.
//
// The input, little-endian fields front to back (input_bytes.h: past the
// end every field is zero; translator_input.h decodes it, and encodes the
// seeds make_seeds writes):
//
//   u64 rtaddr      written to RTADDR and latched by GCMD.SRTP (the root
//                   table, with RTADDR.TTM in bits 11:10; any value)
//   u8  count       (count & 3) + 1 DMA records follow, 16 bytes each:
//     u8  flags     bit 0 function (0 nic0 01:00.0, 1 gpu0 02:00.0 with
//                   ATS), bit 1 write, bit 2 PASID present, bit 3
//                   privileged, bit 4 execute
//     u8  start_ns  issued this long after the DMAs start: they overlap
//     u16 size      (size & 0x1ff) + 1 bytes (past a 4 KiB boundary the
//                   IOMMU refuses it as malformed)
//     u32 pasid     its low 20 bits (the PASID TLP prefix's width)
//     u64 iova
//   then memory chunks to the end of the input, each
//     u64 address   where the bytes go (left out unless wholly below
//                   2^memory.address_bits: the host cannot store there)
//     u16 length    at most 4096 and what is left of the input
//     length bytes
//
// Memory outside the chunks is zero; anything may point anywhere: into
// the chunks, at zero memory, into the MMIO window (the BARs), beyond
// memory, at itself.
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_platform.h"
#include "fuzz/translator_input.h"

using namespace iommu_sim::fuzz;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzPlatform& fp = FuzzPlatform::instance();
  const TranslatorInput input = TranslatorInput::decode({data, size});
  fp.reset(input.rtaddr);
  for (const MemoryChunk& c : input.chunks) fp.write_memory(c.address, c.bytes);
  for (const FuzzDma& d : input.dmas) fp.spawn(d);
  fp.run();
  return 0;
}
