// DirectTargetSocket: an initiator's call reaches the module's member,
// with the port the socket was made with; several initiators may bind one
// socket; nb_transport_fw completes at once; transport_dbg reaches the
// debug member or answers 0; DMI is refused.
#include <gtest/gtest.h>
#include <tlm_utils/simple_initiator_socket.h>

#include "model/direct_target_socket.h"
#include "model/kernel.h"

namespace iommu_sim {
namespace {

using sc_core::SC_NS;
using sc_core::sc_time;

class Target : public sc_core::sc_module {
  void transport(tlm::tlm_generic_payload& p, sc_time& delay) {
    ++calls;
    delay += sc_time(5, SC_NS);
    p.set_response_status(tlm::TLM_OK_RESPONSE);
  }
  unsigned debug(tlm::tlm_generic_payload& p) { return p.get_data_length(); }
  void ported(int port, tlm::tlm_generic_payload& p, sc_time&) {
    last_port = port;
    p.set_response_status(tlm::TLM_OK_RESPONSE);
  }

 public:
  DirectTargetSocket<Target, &Target::transport, &Target::debug> shared;
  DirectTargetSocket<Target, &Target::ported> port7;

  explicit Target(sc_core::sc_module_name name)
      : sc_module(name), shared("shared", this), port7("port7", this, 7) {}
  int calls = 0;
  int last_port = -1;
};

struct Initiator : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<Initiator> socket;
  explicit Initiator(sc_core::sc_module_name name) : sc_module(name), socket("socket") {}
};

void set_read(tlm::tlm_generic_payload& p, unsigned bytes, unsigned char* data) {
  p.set_command(tlm::TLM_READ_COMMAND);
  p.set_data_ptr(data);
  p.set_data_length(bytes);
  p.set_streaming_width(bytes);
  p.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
}

TEST(DirectTargetSocket, EveryBoundInitiatorReachesTheModuleOnEveryInterface) {
  start_fresh_kernel();
  Target target("target");
  Initiator a("a"), b("b"), c("c");
  a.socket.bind(target.shared);
  b.socket.bind(target.shared);
  c.socket.bind(target.port7);
  sc_core::sc_start(sc_core::SC_ZERO_TIME);  // elaboration resolves the bindings

  unsigned char data[8] = {};
  tlm::tlm_generic_payload p;
  set_read(p, 8, data);
  sc_time delay(1, SC_NS);
  a.socket->b_transport(p, delay);
  EXPECT_TRUE(p.is_response_ok());
  EXPECT_EQ(delay, sc_time(6, SC_NS));

  p.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  tlm::tlm_phase phase = tlm::BEGIN_REQ;
  EXPECT_EQ(b.socket->nb_transport_fw(p, phase, delay), tlm::TLM_COMPLETED);
  EXPECT_EQ(phase, tlm::BEGIN_RESP);
  EXPECT_TRUE(p.is_response_ok());
  EXPECT_EQ(delay, sc_time(11, SC_NS));
  EXPECT_EQ(target.calls, 2);

  EXPECT_EQ(b.socket->transport_dbg(p), 8u);
  tlm::tlm_dmi dmi;
  EXPECT_FALSE(a.socket->get_direct_mem_ptr(p, dmi));

  c.socket->b_transport(p, delay);
  EXPECT_EQ(target.last_port, 7);
  EXPECT_EQ(c.socket->transport_dbg(p), 0u);  // no debug member: nothing transferred
  EXPECT_EQ(target.calls, 2);
}

}  // namespace
}  // namespace iommu_sim
