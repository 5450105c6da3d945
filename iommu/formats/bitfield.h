// Bit-field helpers shared by every format header. Bit numbers are those of
// the specifications: bit 0 is the least significant bit of a qword.
#pragma once

#include <cstdint>

namespace iommu::formats {

constexpr std::uint64_t mask(unsigned hi, unsigned lo) noexcept {
  return (hi >= 63 ? ~0ull : ((1ull << (hi + 1)) - 1)) & ~((1ull << lo) - 1);
}
constexpr std::uint64_t bits(std::uint64_t v, unsigned hi, unsigned lo) noexcept {
  return (v & mask(hi, lo)) >> lo;
}
constexpr bool bit(std::uint64_t v, unsigned n) noexcept {
  return (v >> n) & 1;
}
constexpr std::uint64_t set_bits(std::uint64_t v, unsigned hi, unsigned lo,
                                 std::uint64_t field) noexcept {
  return (v & ~mask(hi, lo)) | ((field << lo) & mask(hi, lo));
}
constexpr std::uint64_t set_bit(std::uint64_t v, unsigned n, bool on) noexcept {
  return on ? (v | (1ull << n)) : (v & ~(1ull << n));
}

}  // namespace iommu::formats
