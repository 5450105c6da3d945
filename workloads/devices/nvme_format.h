// NVMe queue entries and doorbells, bit for bit (NVM Express Base
// Specification 2.0: 4.2 submission queue entry, 4.6 completion queue
// entry, 3.1.3.x doorbell registers; NVM Command Set spec 3.2.4 / 3.2.6
// Read and Write). Only the fields the model uses are decoded; the rest
// are written as zero, as a driver writes them for these commands.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>

namespace iommu_sim::nvme {

// The memory page size with CC.MPS = 0: what PRP entries point at.
constexpr std::uint64_t kPageBytes = 4096;
constexpr std::uint8_t kOpWrite = 0x01;
constexpr std::uint8_t kOpRead = 0x02;
constexpr std::uint32_t kSqeBytes = 64;
constexpr std::uint32_t kCqeBytes = 16;
// Status Code Type 0 (generic), Status Code 04h: Data Transfer Error.
constexpr std::uint16_t kStatusDataTransferError = 0x04;

// Doorbells with CAP.DSTRD = 0 (4-byte stride): SQ y tail at
// 1000h + (2y x 4), CQ y head at 1000h + ((2y + 1) x 4).
constexpr std::uint64_t sq_tail_doorbell(std::uint16_t qid) {
  return 0x1000 + 8ull * qid;
}
constexpr std::uint64_t cq_head_doorbell(std::uint16_t qid) {
  return 0x1000 + 8ull * qid + 4;
}

struct Command {
  std::uint8_t opcode = 0;  // CDW0 bits 7:0
  std::uint16_t cid = 0;    // CDW0 bits 31:16
  std::uint32_t nsid = 1;   // CDW1
  std::uint64_t prp1 = 0;   // CDW6-7 (DPTR)
  std::uint64_t prp2 = 0;   // CDW8-9
  std::uint64_t slba = 0;   // CDW10-11
  std::uint16_t nlb = 0;    // CDW12 bits 15:0, zero-based block count

  std::array<std::uint8_t, kSqeBytes> encode() const {
    std::array<std::uint32_t, 16> dw{};
    dw[0] = opcode | std::uint32_t{cid} << 16;  // FUSE 0, PSDT 00b: PRPs
    dw[1] = nsid;
    dw[6] = static_cast<std::uint32_t>(prp1);
    dw[7] = static_cast<std::uint32_t>(prp1 >> 32);
    dw[8] = static_cast<std::uint32_t>(prp2);
    dw[9] = static_cast<std::uint32_t>(prp2 >> 32);
    dw[10] = static_cast<std::uint32_t>(slba);
    dw[11] = static_cast<std::uint32_t>(slba >> 32);
    dw[12] = nlb;
    std::array<std::uint8_t, kSqeBytes> out{};
    std::memcpy(out.data(), dw.data(), kSqeBytes);  // little endian, as the host
    return out;
  }
  static Command decode(const std::array<std::uint8_t, kSqeBytes>& raw) {
    std::array<std::uint32_t, 16> dw{};
    std::memcpy(dw.data(), raw.data(), kSqeBytes);
    Command c;
    c.opcode = static_cast<std::uint8_t>(dw[0] & 0xff);
    c.cid = static_cast<std::uint16_t>(dw[0] >> 16);
    c.nsid = dw[1];
    c.prp1 = dw[6] | std::uint64_t{dw[7]} << 32;
    c.prp2 = dw[8] | std::uint64_t{dw[9]} << 32;
    c.slba = dw[10] | std::uint64_t{dw[11]} << 32;
    c.nlb = static_cast<std::uint16_t>(dw[12] & 0xffff);
    return c;
  }
};

struct Completion {
  std::uint16_t sq_head = 0;  // DW2 bits 15:0
  std::uint16_t sq_id = 0;    // DW2 bits 31:16
  std::uint16_t cid = 0;      // DW3 bits 15:0
  bool phase = false;         // DW3 bit 16
  std::uint16_t status = 0;   // DW3 bits 31:17 (SC in the low 8 bits)

  std::array<std::uint8_t, kCqeBytes> encode() const {
    std::array<std::uint32_t, 4> dw{};
    dw[2] = sq_head | std::uint32_t{sq_id} << 16;
    dw[3] = cid | std::uint32_t{phase} << 16 | std::uint32_t{status} << 17;
    std::array<std::uint8_t, kCqeBytes> out{};
    std::memcpy(out.data(), dw.data(), kCqeBytes);
    return out;
  }
  static Completion decode(const std::array<std::uint8_t, kCqeBytes>& raw) {
    std::array<std::uint32_t, 4> dw{};
    std::memcpy(dw.data(), raw.data(), kCqeBytes);
    Completion c;
    c.sq_head = static_cast<std::uint16_t>(dw[2] & 0xffff);
    c.sq_id = static_cast<std::uint16_t>(dw[2] >> 16);
    c.cid = static_cast<std::uint16_t>(dw[3] & 0xffff);
    c.phase = (dw[3] >> 16 & 1) != 0;
    c.status = static_cast<std::uint16_t>(dw[3] >> 17);
    return c;
  }
};

}  // namespace iommu_sim::nvme
