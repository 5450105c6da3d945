// What a memory request costs on a PCIe link: how many TLPs it becomes and
// how many bytes they take on the wire, and how much of a link's raw rate
// is left for TLPs once ACK and flow-control DLLPs and SKIP ordered sets
// have had theirs. Counted as the PCIe Base specification does and as the
// pcie-bench authors' open model (pcie-bench/pcie-model, model/pcie.py)
// counts it; docs/model.md "Links" works examples by hand.
#pragma once

#include <bit>
#include <cstdint>

#include "pcie/link_params.h"

namespace iommu_sim::pcie_wire {

// Data-link and physical wrapping of every TLP: 2 B sequence number, 4 B
// LCRC and 2 B of start/end framing (PCIe Base spec 3.6.2, 4.2.2).
inline constexpr std::uint32_t kTlpWrapping = 8;
// TLP headers (PCIe Base spec 2.2.1, 2.2.4.1): three DW for memory requests
// to addresses below 4 GiB (which must use the 32-bit format) and for
// completions, four DW for 64-bit addresses. No ECRC digest.
inline constexpr std::uint32_t kHeader3Dw = 12;
inline constexpr std::uint32_t kHeader4Dw = 16;
// Data of a Translation Completion: one 8-byte translation (PCIe Base spec
// 10.2.3).
inline constexpr std::uint32_t kTranslationCompletionData = 8;

// The TLPs of one direction.
struct Tlps {
  std::uint32_t count = 0;
  std::uint64_t wire_bytes = 0;
  bool operator==(const Tlps&) const = default;
};

// One request's TLPs towards the root complex (up) and back (down).
struct Transfer {
  Tlps up, down;
  std::uint32_t read_requests = 0;  // tags it needs
  bool operator==(const Transfer&) const = default;
};

// Naturally aligned `block`-byte blocks that [addr, addr + len) touches;
// `block` is a power of two (MPS, MRRS and RCB all are), so shifts, not
// divisions, on the per-request path.
inline std::uint32_t blocks_touched(std::uint64_t addr, std::uint64_t len, std::uint32_t block) {
  if (len == 0) return 0;
  const int shift = std::countr_zero(block);
  return static_cast<std::uint32_t>(((addr + len - 1) >> shift) - (addr >> shift) + 1);
}
// Read requests (MRd TLPs, one tag each) of a read: one per MRRS-aligned
// block, as a DMA engine cuts a read so no request exceeds MRRS.
inline std::uint32_t read_requests(std::uint64_t addr, std::uint64_t len, std::uint32_t mrrs) {
  return blocks_touched(addr, len, mrrs);
}
inline std::uint32_t memory_header_bytes(std::uint64_t addr) {
  return addr >> 32 == 0 ? kHeader3Dw : kHeader4Dw;
}

// A DMA write: one MWr per MPS-aligned block it touches (a DMA engine cuts
// at MPS boundaries so no TLP exceeds MPS). Posted: nothing comes back.
inline Transfer write(std::uint64_t addr, std::uint32_t len, std::uint32_t mps) {
  Transfer t;
  t.up.count = blocks_touched(addr, len, mps);
  t.up.wire_bytes = std::uint64_t{t.up.count} * (kTlpWrapping + memory_header_bytes(addr)) + len;
  return t;
}
// A DMA read: one MRd per MRRS-aligned block (one tag each), and one CplD
// per RCB-aligned block of data (the root complex answers in RCB-sized
// completions, PCIe Base spec 2.3.1.1; pcie-model's rcb_chunks), which is
// never more than MPS because RCB <= MPS.
inline Transfer read(std::uint64_t addr, std::uint32_t len, std::uint32_t mrrs, std::uint32_t rcb) {
  Transfer t;
  t.read_requests = read_requests(addr, len, mrrs);
  t.up.count = t.read_requests;
  t.up.wire_bytes = std::uint64_t{t.up.count} * (kTlpWrapping + memory_header_bytes(addr));
  t.down.count = blocks_touched(addr, len, rcb);
  t.down.wire_bytes = std::uint64_t{t.down.count} * (kTlpWrapping + kHeader3Dw) + len;
  return t;
}
// An ATS Translation Request (a read of one translation, PCIe Base spec
// 10.2.2) and its one Translation Completion.
inline Transfer translation_request(std::uint64_t addr) {
  Transfer t;
  t.read_requests = 1;
  t.up = {1, kTlpWrapping + memory_header_bytes(addr)};
  t.down = {1, kTlpWrapping + kHeader3Dw + kTranslationCompletionData};
  return t;
}

// Raw rate of the link in Gb/s: GT/s x encoding efficiency x lanes.
double raw_gbps(const LinkParams& link);
// Share of the raw rate taken by one ACK and one UpdateFC DLLP (8 B each)
// per the spec's recommended ACK limit and FC update interval for the
// generation, width and MPS (PCIe Base spec rev 5.0 tables 3-7 to 3-9 and
// 2-46 to 2-48; the 8 GT/s values also serve 16 and 32 GT/s, as pcie-model
// does), plus one 4 B SKIP ordered set per 1538 symbols.
double dllp_overhead(const LinkParams& link, std::uint32_t mps);
// Rate left for TLPs, Gb/s.
double tlp_gbps(const LinkParams& link, std::uint32_t mps);

}  // namespace iommu_sim::pcie_wire
