// A scenario's timeline: a SystemC thread that runs host calls, guest
// page-table changes, single DMAs and fault-queue reads at their simulated
// times on a built platform, next to the platform's own workloads, and
// records for every step what happened and whether it was what the
// scenario expected. Like a VMM or a test program, it drives the host
// software and the devices; hardware blocks know nothing of it.
#pragma once

#include <tlm_utils/simple_initiator_socket.h>
#include <map>
#include <memory>
#include <string>
#include <systemc>
#include <vector>

#include "model/config_loader.h"
#include "model/host/guest_page_table.h"
#include "model/platform/platform.h"
#include "workloads/scenario_step.h"

namespace iommu_sim {

struct StepOutcome {
  double at_ns = 0;     // simulated time the step started
  std::string step;     // what it did, e.g. "attach vmm/nic pasid 1 -> guest"
  std::string outcome;  // "ok", "EPERM: <message>", "unsupported_request", ...
  std::string expected;
  bool as_expected = false;
};

// Checks a timeline against the platform it will run on, before anything
// runs: the fields each action needs and no others, names created before
// they are used and not twice, devices the topology has, expected outcomes
// an action can have. Errors name the step ("steps[3].to").
std::vector<ConfigError> check_steps(const std::vector<StepParams>& steps,
                                     const nlohmann::json& raw_steps,
                                     const PlatformConfig& platform);

class ScenarioTimeline : public sc_core::sc_module {
 public:
  // `steps` must have passed check_steps for this platform's config.
  ScenarioTimeline(sc_core::sc_module_name name, Platform& platform, std::vector<StepParams> steps);
  ~ScenarioTimeline() override;

  const std::vector<StepOutcome>& outcomes() const { return outcomes_; }

 private:
  using Socket = tlm_utils::simple_initiator_socket<ScenarioTimeline>;
  void thread();
  std::string run_step(const StepParams& s, std::string& what);
  std::string dma(const StepParams& s);
  std::string read_faults(const StepParams& s);
  std::string guest_table_op(const StepParams& s);

  Platform& platform_;
  std::vector<StepParams> steps_;
  std::map<std::string, std::unique_ptr<Socket>> sockets_;  // by function name
  std::map<std::string, ContextId> contexts_;
  std::map<std::string, IoasId> objects_;  // IOASes and HWPTs
  std::map<std::string, std::unique_ptr<GuestPageTable>> tables_;
  std::vector<StepOutcome> outcomes_;
};

}  // namespace iommu_sim
