// A loosely timed TLM-2.0 target socket whose forward calls go straight to
// a member function of its module: the initiator's b_transport is one
// virtual call into an adaptor that calls the member, inlined. tlm_utils'
// simple_target_socket adds a functor call and a test for a non-blocking
// callback, and its multi_passthrough_target_socket a virtual thunk and a
// static trampoline: each DMA crosses five targets, and those layers were
// about 190 of the functional hit path's 1 386 instructions per DMA at
// c796cc8 (callgrind, scripts/instructions.sh).
//
// Any number of initiators may bind (a memory with several masters); none
// is told apart, so a target that needs to know which binding a request
// came in on has one socket per binding (PcieFabric's function ports).
// nb_transport_fw is served as a b_transport that completes at once (the
// TLM-2.0 base protocol lets a target return TLM_COMPLETED from the first
// nb_transport_fw call), and DMI is refused: every access goes through the
// target so its counters and timing see it.
#pragma once

#include <systemc>
#include <tlm>
#include <type_traits>

namespace iommu_sim {

// What a DirectTargetSocket is, as initiators bind to it.
using TargetSocket =
    tlm::tlm_target_socket<32, tlm::tlm_base_protocol_types, 0, sc_core::SC_ZERO_OR_MORE_BOUND>;

namespace detail {
// Whether a transport member takes the port first (a pattern on its type,
// so that it works while Module is still incomplete: sockets are members).
template <class F>
struct TakesPort : std::false_type {};
template <class M>
struct TakesPort<void (M::*)(int, tlm::tlm_generic_payload&, sc_core::sc_time&)> : std::true_type {
};
}  // namespace detail

// `Transport` is Module's `void (tlm_generic_payload&, sc_time&)`, or
// `void (int, tlm_generic_payload&, sc_time&)` to be called with the
// `port` the socket was made with; `Debug`, if given, its transport_dbg.
template <class Module, auto Transport, auto Debug = nullptr>
class DirectTargetSocket final : public TargetSocket {
 public:
  DirectTargetSocket(const char* name, Module* module, int port = 0)
      : TargetSocket(name), forward_(module, port) {
    bind(forward_);
  }

 private:
  static constexpr bool kIndexed = detail::TakesPort<decltype(Transport)>::value;
  struct Forward final : tlm::tlm_fw_transport_if<> {
    Forward(Module* m, int p) : module(m), port(p) {}
    void b_transport(tlm::tlm_generic_payload& p, sc_core::sc_time& delay) override {
      if constexpr (kIndexed) {
        (module->*Transport)(port, p, delay);
      } else {
        (module->*Transport)(p, delay);
      }
    }
    tlm::tlm_sync_enum nb_transport_fw(tlm::tlm_generic_payload& p, tlm::tlm_phase& phase,
                                       sc_core::sc_time& delay) override {
      b_transport(p, delay);
      phase = tlm::BEGIN_RESP;
      return tlm::TLM_COMPLETED;
    }
    bool get_direct_mem_ptr(tlm::tlm_generic_payload&, tlm::tlm_dmi&) override { return false; }
    unsigned transport_dbg(tlm::tlm_generic_payload& p) override {
      if constexpr (Debug != nullptr) {
        return (module->*Debug)(p);
      } else {
        return 0;
      }
    }
    Module* module;
    int port;
  };
  Forward forward_;
};

}  // namespace iommu_sim
