#include "model/sparse_memory.h"

#include <algorithm>
#include <functional>
#include <string_view>

namespace iommu_sim {

const SparseMemory::Frame* SparseMemory::find_uncached(std::uint64_t frame_number) const {
  auto it = frames_.find(frame_number);
  // Absent frames are cached too (as null): reads of never-written memory
  // are common (DMA reads of fresh buffers).
  Slot& s = cache_[frame_number % kLookupSlots];
  s.number = frame_number;
  s.frame = it == frames_.end() ? nullptr : it->second.get();
  return s.frame;
}

SparseMemory::Frame& SparseMemory::obtain_uncached(std::uint64_t frame_number) {
  auto& frame = frames_[frame_number];
  if (!frame) frame = std::make_unique<Frame>();  // value-initialised: zeros
  // The slot may have cached the frame as absent: it is present now.
  cache_[frame_number % kLookupSlots] = Slot{frame_number, frame.get()};
  return *frame;
}

void SparseMemory::read_spanning(std::uint64_t addr, std::span<std::uint8_t> out) const {
  std::size_t done = 0;
  while (done < out.size()) {
    const std::uint64_t a = addr + done;
    const std::uint64_t offset = a & (kFrameSize - 1);
    const std::size_t chunk = std::min<std::size_t>(out.size() - done, kFrameSize - offset);
    if (const Frame* f = find(a >> kFrameShift)) {
      std::memcpy(out.data() + done, f->data() + offset, chunk);
    } else {
      std::memset(out.data() + done, 0, chunk);
    }
    done += chunk;
  }
}

void SparseMemory::write_spanning(std::uint64_t addr, std::span<const std::uint8_t> in) {
  std::size_t done = 0;
  while (done < in.size()) {
    const std::uint64_t a = addr + done;
    const std::uint64_t offset = a & (kFrameSize - 1);
    const std::size_t chunk = std::min<std::size_t>(in.size() - done, kFrameSize - offset);
    std::memcpy(obtain(a >> kFrameShift).data() + offset, in.data() + done, chunk);
    done += chunk;
  }
}

std::uint64_t SparseMemory::digest() const {
  std::uint64_t sum = 0;
  for (const auto& [number, frame] : frames_) {
    const std::string_view bytes(reinterpret_cast<const char*>(frame->data()), frame->size());
    // Sum of per-frame mixes: commutative, so unordered_map order is moot.
    sum += std::hash<std::string_view>{}(bytes)*0x9e3779b97f4a7c15ull ^ number;
  }
  return sum;
}

}  // namespace iommu_sim
