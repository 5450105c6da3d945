// fuzz_invalidation's input: read by the target, written by make_seeds
// (InvalidationOps). The layout is at the top of fuzz_invalidation.cpp.
#pragma once

#include <cstdint>

#include "fuzz/input_bytes.h"
#include "iommu/formats/vtd_invalidation.h"
#include "iommu/formats/vtd_registers.h"

namespace iommu_sim::fuzz {

inline constexpr std::uint64_t kRing = 0x7f100000;
inline constexpr std::uint64_t kIova = 0x100000;
inline constexpr unsigned kPages = 64;
inline constexpr std::uint16_t kFirstLevelDid = 1;
inline constexpr std::uint16_t kSecondLevelDid = 2;

enum class Op : std::uint8_t { Descriptor = 0, Register = 1, Dma = 2, Run = 3 };

struct RegisterWrite {
  std::uint64_t offset;
  unsigned size;
};
// IQH is read-only to software: its writes are ignored.
inline constexpr RegisterWrite kRegisters[8] = {
    {iommu::vtd::kRegIqt, 8},    {iommu::vtd::kRegIqa, 8}, {iommu::vtd::kRegGcmd, 4},
    {iommu::vtd::kRegFsts, 4},   {iommu::vtd::kRegIcs, 4}, {iommu::vtd::kRegIqh, 8},
    {iommu::vtd::kRegRtaddr, 8}, {iommu::vtd::kRegIqt, 4}};
enum RegisterIndex : std::uint8_t { kIqt = 0, kIqa, kGcmd, kFsts, kIcs, kIqh, kRtaddr, kIqt32 };

// Writes operations in the layout above (make_seeds).
class InvalidationOps {
 public:
  void descriptor(std::uint16_t slot, const iommu::vtd::Descriptor& d) {
    out_.put(static_cast<std::uint8_t>(Op::Descriptor));
    out_.put(slot);
    out_.put(d[0]);
    out_.put(d[1]);
  }
  void write_register(RegisterIndex reg, std::uint64_t value) {
    out_.put(static_cast<std::uint8_t>(Op::Register));
    out_.put(static_cast<std::uint8_t>(reg));
    out_.put(value);
  }
  void dma(std::uint8_t flags, std::uint8_t page) {
    out_.put(static_cast<std::uint8_t>(Op::Dma));
    out_.put(flags);
    out_.put(page);
  }
  void run() { out_.put(static_cast<std::uint8_t>(Op::Run)); }
  const std::vector<std::uint8_t>& bytes() const { return out_.bytes(); }

 private:
  InputWriter out_;
};

}  // namespace iommu_sim::fuzz
