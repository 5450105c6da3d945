#include "model/platform/platform_trace.h"

#include <algorithm>
#include <cstring>

namespace iommu_sim {

TraceTargets trace_targets(const PlatformConfig& config) {
  Topology topology;
  build_topology(config.pcie, topology);  // validate() built it without errors
  TraceTargets targets;
  for (const TopoNode& n : topology.nodes) {
    if (!is_bridge(n.kind)) targets.devices.insert(n.name);
  }
  for (const AttachParams& a : config.attach) targets.attached.emplace(a.device, a.pasid);
  return targets;
}

std::vector<std::string> trace_functions(const Platform& platform) {
  std::vector<std::string> names;
  for (const TopoNode& n : platform.topology().nodes) {
    if (!is_bridge(n.kind)) names.push_back(n.name);
  }
  return names;
}

void record_dmas(Platform& platform, TraceRecorder& recorder) {
  const std::vector<std::string> names = trace_functions(platform);
  for (std::size_t i = 0; i < names.size(); ++i) {
    platform.endpoint(names[i]).set_issue_observer(&recorder, static_cast<std::uint16_t>(i));
  }
}

PlatformReplay::PlatformReplay(Platform& platform, std::unique_ptr<TraceReader> reader,
                               const TraceSummary& summary, TraceTiming timing)
    : platform_(platform) {
  std::vector<DeviceReplayer*> by_index(summary.devices.size(), nullptr);
  for (std::size_t i = 0; i < summary.devices.size(); ++i) {
    if (summary.per_device[i] == 0) continue;
    const std::string& name = summary.devices[i];
    std::string module = "replay_" + name;
    std::replace(module.begin(), module.end(), '.', '_');  // '.' separates SystemC names
    const std::uint32_t tags = platform.topology().nodes[platform.topology().find(name)].tags;
    devices_.push_back(
        std::make_unique<DeviceReplayer>(module.c_str(), name, tags, platform.stats()));
    devices_.back()->socket.bind(platform.endpoint(name).dma_in);
    by_index[i] = devices_.back().get();
  }
  replayer_ = std::make_unique<TraceReplayer>("replay", std::move(reader), timing,
                                              std::move(by_index), *this, platform.stats());
}

std::string PlatformReplay::apply(const TraceRecord& r, const std::string& device) {
  if (platform_.config().host.dma_remapping == "off") {
    return "host.dma_remapping is off: there are no address spaces";
  }
  const std::uint32_t pasid = r.pasid_present ? r.pasid : 0;
  const auto& attach = platform_.config().attach;
  // scan_trace made sure the (device, PASID) is attached.
  const auto a = std::find_if(attach.begin(), attach.end(), [&](const AttachParams& p) {
    return p.device == device && p.pasid == pasid;
  });
  const IoasId ioas = platform_.ioas(a->ioas);
  IoasidManager& m = platform_.manager();
  const Status s = r.op == TraceOp::Map ? m.map(ioas, r.address, r.size, true)
                                        : m.unmap(ioas, r.address, r.size);
  if (s.ok()) return {};
  const char* name = strerrorname_np(s.code);
  return std::string(name != nullptr ? name : "E?") + ": " + s.message;
}

}  // namespace iommu_sim
