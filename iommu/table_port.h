// The IOMMU's own memory accesses: page-walk reads, descriptor fetches and
// invalidation-wait status writes, all through one TLM initiator socket. In
// Timed mode every access waits for its memory latency before the caller
// sees the data, so each entry is read at the simulated time it would be.
#pragma once

#include <tlm_utils/simple_initiator_socket.h>
#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <systemc>
#include <tlm>
#include <vector>

#include "model/timing_mode.h"

namespace iommu_sim {

class TablePort {
 public:
  TablePort(tlm::tlm_initiator_socket<>& socket, TimingMode mode) : socket_(socket), mode_(mode) {}

  // Reads `out.size()` bytes at `addr`; false on a memory error response.
  bool read(std::uint64_t addr, std::span<std::uint8_t> out, sc_core::sc_time& delay) {
    return access(tlm::TLM_READ_COMMAND, addr, out.data(), out.size(), delay);
  }
  bool write(std::uint64_t addr, std::span<const std::uint8_t> in, sc_core::sc_time& delay) {
    return access(tlm::TLM_WRITE_COMMAND, addr, const_cast<std::uint8_t*>(in.data()), in.size(),
                  delay);
  }
  // Reads `out.size()` bytes at `addr` from a cache in front of memory:
  // the data is memory's (a debug read, the cache being coherent), the time
  // `latency`, and the memory channel is not used.
  bool read_cached(std::uint64_t addr, std::span<std::uint8_t> out, sc_core::sc_time latency,
                   sc_core::sc_time& delay);
  // Sets `bits` in the qword at `addr` as one locked read-modify-write:
  // the OR applies to the qword as it is when the write reaches memory, and
  // costs one timed write (the walk already paid for the read). Used for
  // Accessed/Dirty updates (VT-d spec 3.6.3, 3.7.3).
  bool atomic_or(std::uint64_t addr, std::uint64_t bits, sc_core::sc_time& delay);
  // Reads N little-endian qwords (an N*64-bit table entry).
  template <std::size_t N>
  bool read_qwords(std::uint64_t addr, std::array<std::uint64_t, N>& out, sc_core::sc_time& delay) {
    return read(addr, std::span(reinterpret_cast<std::uint8_t*>(out.data()), N * 8), delay);
  }

 private:
  // Inline: every table read of a walk passes here (a cold nested walk
  // makes 28), and a call layer per read cost about 25 instructions.
  bool access(tlm::tlm_command cmd, std::uint64_t addr, std::uint8_t* data, std::size_t len,
              sc_core::sc_time& delay) {
    bool ok = false;
    if (!idle_in_use_) [[likely]] {
      idle_in_use_ = true;
      ok = send(idle_, cmd, addr, data, len, delay);
      idle_in_use_ = false;
    } else {
      ok = send_pooled(cmd, addr, data, len, delay);
    }
    sync_to(mode_, delay);
    return ok;
  }
  // Sends `p` set up for the access; whether it succeeded.
  bool send(tlm::tlm_generic_payload& p, tlm::tlm_command cmd, std::uint64_t addr,
            std::uint8_t* data, std::size_t len, sc_core::sc_time& delay) {
    p.set_command(cmd);
    p.set_address(addr);
    p.set_data_ptr(data);
    p.set_data_length(static_cast<unsigned>(len));
    p.set_streaming_width(static_cast<unsigned>(len));
    p.set_byte_enable_ptr(nullptr);
    p.set_dmi_allowed(false);
    p.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    // The access reaches memory at the current time plus `delay`; in Timed
    // mode callers enter with a synchronised (zero) delay.
    socket_->b_transport(p, delay);
    return p.is_response_ok();
  }
  // The same with a payload of the pool (`idle_` is out on another access).
  bool send_pooled(tlm::tlm_command cmd, std::uint64_t addr, std::uint8_t* data, std::size_t len,
                   sc_core::sc_time& delay);

  tlm::tlm_initiator_socket<>& socket_;
  TimingMode mode_;
  // Payloads are reused: constructing one allocates its extension array.
  // `idle_` serves every access that finds it free, which is every access
  // when the memory answers without waiting (the platform's does); one
  // made while another waits inside the target (Timed mode, a target that
  // calls wait()) takes one from `free_`.
  tlm::tlm_generic_payload idle_;
  bool idle_in_use_ = false;
  std::vector<std::unique_ptr<tlm::tlm_generic_payload>> free_;
};

}  // namespace iommu_sim
