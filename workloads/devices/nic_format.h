// NIC descriptors and doorbells, bit for bit: the legacy receive and
// transmit descriptors of the Intel 82599 (82599 datasheet 7.1.5, legacy
// receive descriptor; 7.2.3, legacy transmit descriptor; the same 16-byte
// layouts as the 8254x family's), and the 82599's receive and transmit
// descriptor tail registers RDT[n] and TDT[n] (datasheet 8.2.3, register
// descriptions). Both descriptors are one format for the driver's write
// and the device's write-back: the device fills in length and status.
// Only the fields the model uses are decoded; the rest are zero.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>

namespace iommu_sim::nic {

constexpr std::uint32_t kDescBytes = 16;

// Byte offsets in a descriptor (little endian). Receive: buffer address
// 63:0, length 79:64, fragment checksum 95:80, status 103:96, errors
// 111:104, VLAN tag 127:112. Transmit: buffer address 63:0, length 79:64,
// CSO 87:80, CMD 95:88, STA 99:96 (bits 103:100 reserved), CSS 111:104,
// VLAN 127:112.
constexpr std::size_t kAddressAt = 0;
constexpr std::size_t kLengthAt = 8;
constexpr std::size_t kRxStatusAt = 12;
constexpr std::size_t kRxErrorsAt = 13;
constexpr std::size_t kTxCmdAt = 11;
constexpr std::size_t kTxStatusAt = 12;

// Receive status (RDESC.STATUS): descriptor done, end of packet.
constexpr std::uint8_t kRxStatusDd = 1u << 0;
constexpr std::uint8_t kRxStatusEop = 1u << 1;
// Receive errors (RDESC.ERRORS): RXE, here "the packet's DMA failed".
constexpr std::uint8_t kRxErrorRxe = 1u << 7;
// Transmit command (TDESC.CMD): end of packet, insert FCS, report status.
constexpr std::uint8_t kTxCmdEop = 1u << 0;
constexpr std::uint8_t kTxCmdIfcs = 1u << 1;
constexpr std::uint8_t kTxCmdRs = 1u << 3;
// Transmit status (TDESC.STA): descriptor done.
constexpr std::uint8_t kTxStatusDd = 1u << 0;

// Tail registers of queue n (n < 64): RDT at 01018h + 40h x n, TDT at
// 06018h + 40h x n.
constexpr std::uint64_t rx_tail_register(std::uint32_t queue) {
  return 0x01018 + 0x40ull * queue;
}
constexpr std::uint64_t tx_tail_register(std::uint32_t queue) {
  return 0x06018 + 0x40ull * queue;
}

// One descriptor of either ring: `status` and `errors` are the receive
// STATUS and ERRORS bytes or the transmit STA byte (errors unused); `cmd`
// is transmit only.
struct Descriptor {
  std::uint64_t address = 0;
  std::uint16_t length = 0;
  std::uint8_t cmd = 0;
  std::uint8_t status = 0;
  std::uint8_t errors = 0;

  std::array<std::uint8_t, kDescBytes> encode_rx() const {
    std::array<std::uint8_t, kDescBytes> out{};
    put_common(out);
    out[kRxStatusAt] = status;
    out[kRxErrorsAt] = errors;
    return out;
  }
  static Descriptor decode_rx(const std::array<std::uint8_t, kDescBytes>& raw) {
    Descriptor d = get_common(raw);
    d.status = raw[kRxStatusAt];
    d.errors = raw[kRxErrorsAt];
    return d;
  }
  std::array<std::uint8_t, kDescBytes> encode_tx() const {
    std::array<std::uint8_t, kDescBytes> out{};
    put_common(out);
    out[kTxCmdAt] = cmd;
    out[kTxStatusAt] = status & 0x0f;  // STA is bits 99:96
    return out;
  }
  static Descriptor decode_tx(const std::array<std::uint8_t, kDescBytes>& raw) {
    Descriptor d = get_common(raw);
    d.cmd = raw[kTxCmdAt];
    d.status = raw[kTxStatusAt] & 0x0f;
    return d;
  }

 private:
  void put_common(std::array<std::uint8_t, kDescBytes>& out) const {
    std::memcpy(out.data() + kAddressAt, &address, 8);  // little endian, as the host
    std::memcpy(out.data() + kLengthAt, &length, 2);
  }
  static Descriptor get_common(const std::array<std::uint8_t, kDescBytes>& raw) {
    Descriptor d;
    std::memcpy(&d.address, raw.data() + kAddressAt, 8);
    std::memcpy(&d.length, raw.data() + kLengthAt, 2);
    return d;
  }
};

}  // namespace iommu_sim::nic
