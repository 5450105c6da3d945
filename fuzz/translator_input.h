// fuzz_translator's input: decoded by the target, encoded by make_seeds.
// The layout is at the top of fuzz_translator.cpp.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "fuzz/fuzz_platform.h"
#include "fuzz/input_bytes.h"
#include "fuzz/table_image.h"

namespace iommu_sim::fuzz {

inline constexpr std::size_t kMaxChunkBytes = 4096;

struct TranslatorInput {
  std::uint64_t rtaddr = 0;
  std::vector<FuzzDma> dmas;  // 1 to 4
  std::vector<MemoryChunk> chunks;

  static TranslatorInput decode(std::span<const std::uint8_t> data) {
    InputReader in(data);
    TranslatorInput t;
    t.rtaddr = in.take<std::uint64_t>();
    const unsigned count = (in.take<std::uint8_t>() & 3u) + 1;
    for (unsigned i = 0; i < count; ++i) {
      const auto flags = in.take<std::uint8_t>();
      FuzzDma d;
      d.function = flags & 1u;
      d.write = (flags & 2u) != 0;
      d.pasid_present = (flags & 4u) != 0;
      d.privileged = (flags & 8u) != 0;
      d.execute = (flags & 16u) != 0;
      d.start_ns = in.take<std::uint8_t>();
      d.size = (in.take<std::uint16_t>() & 0x1ffu) + 1;
      d.pasid = in.take<std::uint32_t>() & 0xfffffu;
      d.iova = in.take<std::uint64_t>();
      t.dmas.push_back(d);
    }
    while (!in.empty()) {
      MemoryChunk c;
      c.address = in.take<std::uint64_t>();
      const auto bytes =
          in.take_bytes(std::min<std::size_t>(in.take<std::uint16_t>(), kMaxChunkBytes));
      c.bytes.assign(bytes.begin(), bytes.end());
      t.chunks.push_back(std::move(c));
    }
    return t;
  }

  std::vector<std::uint8_t> encode() const {
    InputWriter out;
    out.put(rtaddr);
    out.put(static_cast<std::uint8_t>(dmas.size() - 1));
    for (const FuzzDma& d : dmas) {
      out.put(static_cast<std::uint8_t>(d.function | (d.write ? 2u : 0u) |
                                        (d.pasid_present ? 4u : 0u) | (d.privileged ? 8u : 0u) |
                                        (d.execute ? 16u : 0u)));
      out.put(static_cast<std::uint8_t>(d.start_ns));
      out.put(static_cast<std::uint16_t>(d.size - 1));
      out.put(d.pasid);
      out.put(d.iova);
    }
    for (const MemoryChunk& c : chunks) {
      out.put(c.address);
      out.put(static_cast<std::uint16_t>(c.bytes.size()));
      out.put_bytes(c.bytes);
    }
    return out.bytes();
  }
};

}  // namespace iommu_sim::fuzz
