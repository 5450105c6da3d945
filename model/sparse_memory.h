// Simulated physical memory: 4 KiB frames allocated on first write; reads of
// memory never written return zeros and allocate nothing. Host memory use is
// therefore the touched frames plus one hash-map node each.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <unordered_map>

namespace iommu_sim {

class SparseMemory {
 public:
  static constexpr unsigned kFrameShift = 12;
  static constexpr std::uint64_t kFrameSize = 1ull << kFrameShift;

  void read(std::uint64_t addr, std::span<std::uint8_t> out) const;
  void write(std::uint64_t addr, std::span<const std::uint8_t> in);

  std::uint64_t read64(std::uint64_t addr) const {
    std::uint64_t v = 0;
    read(addr, std::span(reinterpret_cast<std::uint8_t*>(&v), sizeof v));
    return v;
  }
  void write64(std::uint64_t addr, std::uint64_t v) {
    write(addr, std::span(reinterpret_cast<const std::uint8_t*>(&v), sizeof v));
  }
  std::size_t frames_allocated() const { return frames_.size(); }
  std::size_t bytes_allocated() const { return frames_.size() * kFrameSize; }
  // A digest of every written frame's number and contents, independent of
  // the order frames were written in: equal before and after a call means
  // (but for hash collisions) the call left memory as it was.
  std::uint64_t digest() const;

 private:
  using Frame = std::array<std::uint8_t, kFrameSize>;
  const Frame* find(std::uint64_t frame_number) const;
  Frame& obtain(std::uint64_t frame_number);

  std::unordered_map<std::uint64_t, std::unique_ptr<Frame>> frames_;
  // One-entry lookup cache (null: known absent): DMA streams and walks hit
  // the same frame often.
  mutable std::uint64_t cached_number_ = ~0ull;
  mutable Frame* cached_frame_ = nullptr;
};

}  // namespace iommu_sim
