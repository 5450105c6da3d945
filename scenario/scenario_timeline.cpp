#include "scenario/scenario_timeline.h"

#include <algorithm>

#include "scenario/actions.h"

namespace iommu_sim {

namespace {

bool matches(const std::string& outcome, const std::string& expect) {
  return expect == "any" || outcome == expect || outcome.starts_with(expect + ":");
}

}  // namespace

ScenarioTimeline::ScenarioTimeline(sc_core::sc_module_name name, Platform& platform,
                                   std::vector<StepParams> steps)
    : sc_module(name),
      steps_(std::move(steps)),
      runner_(platform,
              [this](const std::string& device, tlm::tlm_generic_payload& p,
                     sc_core::sc_time& delay) { (*sockets_.at(device))->b_transport(p, delay); }) {
  for (const StepParams& s : steps_) {
    if (s.action != "dma" || sockets_.contains(s.device)) continue;
    std::string socket_name = "dma_" + s.device;
    std::replace(socket_name.begin(), socket_name.end(), '.', '_');
    auto socket = std::make_unique<Socket>(socket_name.c_str());
    socket->bind(platform.endpoint(s.device).dma_in);
    sockets_.emplace(s.device, std::move(socket));
  }
  sc_core::sc_spawn([this] { thread(); }, "timeline");
}

ScenarioTimeline::~ScenarioTimeline() = default;

void ScenarioTimeline::thread() {
  runner_.name_platform_objects();
  for (const StepParams& s : steps_) {
    const sc_core::sc_time start(s.at_ns, sc_core::SC_NS);
    if (s.at_ns >= 0 && start > sc_core::sc_time_stamp()) {
      sc_core::wait(start - sc_core::sc_time_stamp());
    }
    StepOutcome o;
    o.at_ns = sc_core::sc_time_stamp().to_seconds() * 1e9;
    o.outcome = find_action(s.action)->run(runner_, runner_.resolved(s), o.step);
    o.expected = s.expect;
    o.as_expected = matches(o.outcome, s.expect);
    outcomes_.push_back(std::move(o));
  }
}

}  // namespace iommu_sim
