// A scenario's timeline: a SystemC thread that runs the steps at their
// simulated times on a built platform, next to the platform's own
// workloads, and records for every step what happened and whether it was
// what the scenario expected. Like a VMM or a test program, it drives the
// host software and the devices; hardware blocks know nothing of it.
#pragma once

#include <tlm_utils/simple_initiator_socket.h>
#include <map>
#include <memory>
#include <string>
#include <systemc>
#include <vector>

#include "model/platform/platform.h"
#include "scenario/step_params.h"
#include "scenario/step_runner.h"

namespace iommu_sim {

struct StepOutcome {
  double at_ns = 0;     // simulated time the step started
  std::string step;     // what it did, e.g. "attach vmm/nic pasid 1 -> guest"
  std::string outcome;  // "ok", "EPERM: <message>", "unsupported_request", ...
  std::string expected;
  bool as_expected = false;
};

class ScenarioTimeline : public sc_core::sc_module {
 public:
  // `steps` must have passed check_steps for this platform's config.
  ScenarioTimeline(sc_core::sc_module_name name, Platform& platform, std::vector<StepParams> steps);
  ~ScenarioTimeline() override;

  const std::vector<StepOutcome>& outcomes() const { return outcomes_; }

 private:
  using Socket = tlm_utils::simple_initiator_socket<ScenarioTimeline>;
  void thread();

  std::vector<StepParams> steps_;
  std::map<std::string, std::unique_ptr<Socket>> sockets_;  // by function name
  StepRunner runner_;
  std::vector<StepOutcome> outcomes_;
};

}  // namespace iommu_sim
