// The binary fuzz inputs (fuzz_invalidation, fuzz_translator) as a stream
// of little-endian fields: the reader takes them front to back, the seed
// generator writes them the same way. Past the input's end every field
// reads as zero, so any byte string is a valid input and libFuzzer's
// mutations never need to keep a length consistent.
#pragma once

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace iommu_sim::fuzz {

class InputReader {
 public:
  explicit InputReader(std::span<const std::uint8_t> data) : data_(data) {}

  bool empty() const { return pos_ >= data_.size(); }

  template <std::unsigned_integral T>
  T take() {
    T value = 0;
    for (unsigned i = 0; i < sizeof(T) && pos_ < data_.size(); ++i) {
      value |= static_cast<T>(static_cast<T>(data_[pos_++]) << (8 * i));
    }
    return value;
  }

  // Up to `n` bytes: fewer when the input ends first.
  std::span<const std::uint8_t> take_bytes(std::size_t n) {
    const std::size_t k = std::min(n, data_.size() - std::min(pos_, data_.size()));
    const auto bytes = data_.subspan(pos_, k);
    pos_ += k;
    return bytes;
  }

 private:
  std::span<const std::uint8_t> data_;
  std::size_t pos_ = 0;
};

class InputWriter {
 public:
  template <std::unsigned_integral T>
  void put(T value) {
    for (unsigned i = 0; i < sizeof(T); ++i) {
      bytes_.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
    }
  }
  void put_bytes(std::span<const std::uint8_t> data) {
    bytes_.insert(bytes_.end(), data.begin(), data.end());
  }
  const std::vector<std::uint8_t>& bytes() const { return bytes_; }

 private:
  std::vector<std::uint8_t> bytes_;
};

}  // namespace iommu_sim::fuzz
