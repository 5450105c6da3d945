// TablePort: accesses while another waits inside the target (a memory of
// one's own that calls wait(), Timed mode) each get a payload of their own
// and their own data back.
#include <gtest/gtest.h>

#include <cstring>

#include "iommu/table_port.h"
#include "model/direct_target_socket.h"
#include "model/kernel.h"

namespace iommu_sim {
namespace {

using sc_core::SC_NS;
using sc_core::sc_time;

// Answers a read with its address in every byte's qword, after waiting
// 10 ns inside b_transport (an approximately timed memory would).
class WaitingMemory : public sc_core::sc_module {
  void transport(tlm::tlm_generic_payload& p, sc_time&) {
    ++in_flight;
    max_in_flight = std::max(max_in_flight, in_flight);
    sc_core::wait(sc_time(10, SC_NS));
    const std::uint64_t value = p.get_address();
    std::memcpy(p.get_data_ptr(), &value, 8);
    p.set_response_status(tlm::TLM_OK_RESPONSE);
    --in_flight;
  }

 public:
  DirectTargetSocket<WaitingMemory, &WaitingMemory::transport> socket;
  explicit WaitingMemory(sc_core::sc_module_name name) : sc_module(name), socket("socket", this) {}
  int in_flight = 0, max_in_flight = 0;
};

struct NoBackward : tlm::tlm_bw_transport_if<> {
  tlm::tlm_sync_enum nb_transport_bw(tlm::tlm_generic_payload&, tlm::tlm_phase&,
                                     sc_time&) override {
    return tlm::TLM_COMPLETED;
  }
  void invalidate_direct_mem_ptr(sc_dt::uint64, sc_dt::uint64) override {}
};

// A TablePort's owner, as the IOMMU is: ports live in modules.
struct Walker : sc_core::sc_module {
  tlm::tlm_initiator_socket<> socket;
  NoBackward backward;
  TablePort port;
  explicit Walker(sc_core::sc_module_name name)
      : sc_module(name), socket("socket"), port(socket, TimingMode::Timed) {
    socket.bind(backward);
  }
};

TEST(TablePort, AccessesOverlappingInsideAWaitingTargetKeepTheirOwnPayloads) {
  start_fresh_kernel();
  WaitingMemory memory("memory");
  Walker walker("walker");
  walker.socket.bind(memory.socket);
  TablePort& port = walker.port;
  std::uint64_t got[3] = {};
  bool ok[3] = {};
  for (int i = 0; i < 3; ++i) {
    sc_core::sc_spawn([&, i] {
      sc_time delay = sc_core::SC_ZERO_TIME;
      std::array<std::uint64_t, 1> out{};
      ok[i] = port.read_qwords(0x1000ull * static_cast<unsigned>(i + 1), out, delay);
      got[i] = out[0];
    });
  }
  sc_core::sc_start();
  EXPECT_EQ(memory.max_in_flight, 3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(ok[i]);
    EXPECT_EQ(got[i], 0x1000ull * static_cast<unsigned>(i + 1)) << "read " << i;
  }
}

}  // namespace
}  // namespace iommu_sim
