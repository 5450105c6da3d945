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
  // Frames are found through a direct-mapped lookup cache by frame number
  // (a slot may hold a frame as known absent, until it is written), then a
  // hash map. A page walk reads four to eight tables in as many frames,
  // then the data: a one-entry cache missed on nearly every read of a cold
  // walk (a hash lookup each). 512 slots (8 KiB) hold the tables of a
  // nested walk over 16 MiB beside the data frames that pass through
  // (bench/configs/functional_nested_cold_walk.json: 24 instructions per
  // translation fewer than 64 slots, scripts/instructions.sh).
  static constexpr std::size_t kLookupSlots = 512;

  // An access inside one frame (every DMA TLP and table read the model
  // makes: none crosses 4 KiB) takes the inline path; others are cut. An
  // empty one touches nothing: a write allocates no frame, and neither
  // passes its data pointer, which may be null, to memcpy (a zero-length
  // debug write, found by fuzz_translator).
  void read(std::uint64_t addr, std::span<std::uint8_t> out) const {
    const std::uint64_t offset = addr & (kFrameSize - 1);
    if (offset + out.size() > kFrameSize) [[unlikely]] {
      read_spanning(addr, out);
    } else {
      const Frame* f = find(addr >> kFrameShift);
      copy(out.data(), (f != nullptr ? f->data() : kZeros.data()) + offset, out.size());
    }
  }
  void write(std::uint64_t addr, std::span<const std::uint8_t> in) {
    const std::uint64_t offset = addr & (kFrameSize - 1);
    if (in.empty()) [[unlikely]] {
      return;
    } else if (offset + in.size() > kFrameSize) [[unlikely]] {
      write_spanning(addr, in);
    } else {
      copy(obtain(addr >> kFrameShift).data() + offset, in.data(), in.size());
    }
  }

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
  // What a frame never written reads as.
  static constexpr Frame kZeros{};
  // The sizes the model moves (table entries of 8 to 64 bytes, 64-byte
  // TLPs) as fixed-size copies the compiler inlines, in place of a library
  // call per access (scripts/instructions.sh: 117 instructions fewer per
  // cold nested walk, whose 28 table reads are all such sizes).
  static void copy(std::uint8_t* to, const std::uint8_t* from, std::size_t n) {
    switch (n) {
      case 8:
        std::memcpy(to, from, 8);
        return;
      case 16:
        std::memcpy(to, from, 16);
        return;
      case 32:
        std::memcpy(to, from, 32);
        return;
      case 64:
        std::memcpy(to, from, 64);
        return;
      case 0:
        return;
      default:
        std::memcpy(to, from, n);
        return;
    }
  }
  // The frame `frame_number`, or null if never written: from the lookup
  // cache, else from the map (and then cached).
  const Frame* find(std::uint64_t frame_number) const {
    const Slot& s = cache_[frame_number % kLookupSlots];
    if (s.number == frame_number) [[likely]]
      return s.frame;
    return find_uncached(frame_number);
  }
  Frame& obtain(std::uint64_t frame_number) {
    const Slot& s = cache_[frame_number % kLookupSlots];
    if (s.number == frame_number && s.frame != nullptr) [[likely]]
      return *s.frame;
    return obtain_uncached(frame_number);
  }
  const Frame* find_uncached(std::uint64_t frame_number) const;
  Frame& obtain_uncached(std::uint64_t frame_number);
  void read_spanning(std::uint64_t addr, std::span<std::uint8_t> out) const;
  void write_spanning(std::uint64_t addr, std::span<const std::uint8_t> in);

  std::unordered_map<std::uint64_t, std::unique_ptr<Frame>> frames_;
  struct Slot {
    std::uint64_t number = ~0ull;
    Frame* frame = nullptr;
  };
  mutable std::array<Slot, kLookupSlots> cache_{};  // by frame number % kLookupSlots
};

}  // namespace iommu_sim
