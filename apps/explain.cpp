#include "apps/explain.h"

#include <tlm_utils/simple_initiator_socket.h>

#include <algorithm>
#include <cstdio>
#include <systemc>
#include <tlm>

#include "model/dma_payload.h"
#include "model/hex.h"
#include "model/kernel.h"
#include "model/platform/platform.h"

namespace iommu_sim {

namespace {

class Recorder : public trace::Sink {
 public:
  void event(const trace::Event& e) override { events.push_back(e); }
  std::vector<trace::Event> events;
};

// Issues the one DMA, as a device's DMA engine would, from its own thread.
class Initiator : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<Initiator> socket;
  explicit Initiator(const sc_core::sc_module_name& name) : sc_module(name), socket("socket") {}

  void issue(const ExplainRequest& r, Explanation& out, Recorder& recorder) {
    PcieAttrs a;
    a.pasid_present = r.pasid.has_value();
    a.pasid = r.pasid.value_or(0);
    a.privileged = r.privileged;
    a.execute = r.execute;
    DmaPayload dma(r.address, r.size, r.write, 0xab, a);
    tlm::tlm_generic_payload& p = dma.payload();
    const PcieAttrs& attrs = dma.attrs();
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    out.issued_ps = sc_core::sc_time_stamp().value();
    {
      const trace::Subscription watching(recorder, trace::kAll);
      socket->b_transport(p, delay);
      out.completed_ps = (sc_core::sc_time_stamp() + delay).value();
    }
    wait(delay);
    out.ok = p.is_response_ok();
    out.completion = completion_name(attrs.completion);
  }
};

std::uint64_t field(const trace::Event& e, std::string_view name, std::uint64_t otherwise) {
  for (const auto& [n, v] : e.fields) {
    if (n == name) return v;
  }
  return otherwise;
}

// The rights a walk has accumulated: first-level R/W and U/S ANDed and XD
// ORed over the levels (VT-d spec 3.6.2), second-level R, W and X ANDed
// (3.7.2), starting from what a paging-structure-cache hit cached.
class Rights {
 public:
  std::string after(const trace::Event& e) {
    if (e.what == "walk.begin") {
      fl_ = {true, true, false};
      return {};
    }
    if (e.what == "fl_psc.probe" && field(e, "hit_level", 0) != 0) {
      fl_ = {field(e, "rw", 1) != 0, field(e, "us", 1) != 0, field(e, "xd", 0) != 0};
      return {};
    }
    if (e.what == "sl_psc.probe") {
      sl_ = {true, true, true};
      if (field(e, "hit_level", 0) != 0) {
        sl_ = {field(e, "r", 1) != 0, field(e, "w", 1) != 0, field(e, "x", 1) != 0};
      }
      return {};
    }
    if (e.what == "fl.read") {
      fl_.rw = fl_.rw && field(e, "rw", 0) != 0;
      fl_.us = fl_.us && field(e, "us", 0) != 0;
      fl_.xd = fl_.xd || field(e, "xd", 0) != 0;
      return "first-level rights so far: R/W=" + std::to_string(fl_.rw) +
             " U/S=" + std::to_string(fl_.us) + " XD=" + std::to_string(fl_.xd);
    }
    if (e.what == "sl.read") {
      sl_.r = sl_.r && field(e, "r", 0) != 0;
      sl_.w = sl_.w && field(e, "w", 0) != 0;
      sl_.x = sl_.x && field(e, "x", 0) != 0;
      return "second-level rights so far: R=" + std::to_string(sl_.r) +
             " W=" + std::to_string(sl_.w) + " X=" + std::to_string(sl_.x);
    }
    return {};
  }

 private:
  struct {
    bool rw = true, us = true, xd = false;
  } fl_;
  struct {
    bool r = true, w = true, x = true;
  } sl_;
};

std::string describe(const ExplainRequest& r) {
  std::string s = r.device + ": " + (r.write ? "write " : "read ") + std::to_string(r.size) +
                  " B at " + hex(r.address) +
                  (r.pasid ? ", PASID " + std::to_string(*r.pasid) : ", no PASID");
  if (r.privileged) s += ", privileged";
  if (r.execute) s += ", execute";
  return s;
}

}  // namespace

Explanation explain(PlatformConfig config, const ExplainRequest& request) {
  Explanation out;
  out.request = request;
  if (!request.warm) {
    // Cold: nothing but this DMA touches the caches.
    config.workloads.clear();
    config.devices.clear();
  }
  start_fresh_kernel();
  sc_core::sc_report_handler::set_actions("/IEEE_Std_1666/deprecated", sc_core::SC_DO_NOTHING);
  Platform platform(config);
  std::vector<std::string> functions;
  for (const TopoNode& n : platform.topology().nodes) {
    if (!is_bridge(n.kind)) functions.push_back(n.name);
  }
  std::string listed;
  for (const std::string& f : functions) listed += (listed.empty() ? "" : ", ") + f;
  if (out.request.device.empty()) {
    if (functions.size() != 1) {
      out.error = "--device: needed, the platform has " + std::to_string(functions.size()) +
                  " functions (" + listed + ")";
      return out;
    }
    out.request.device = functions.front();
  }
  if (std::find(functions.begin(), functions.end(), out.request.device) == functions.end()) {
    out.error =
        "--device: no function named \"" + out.request.device + "\" (functions: " + listed + ")";
    return out;
  }
  if (out.request.pasid_from_attach) {
    for (const auto& a : config.attach) {
      if (a.device == out.request.device) {
        out.request.pasid = a.pasid;
        break;
      }
    }
  }
  Initiator initiator("explain");
  initiator.socket.bind(platform.endpoint(out.request.device).dma_in);
  if (request.warm) platform.run();
  Recorder recorder;
  sc_core::sc_spawn([&] { initiator.issue(out.request, out, recorder); }, "explain_dma");
  platform.run();
  std::uint64_t previous = out.issued_ps;
  Rights rights;
  for (const trace::Event& e : recorder.events) {
    ExplainStep s;
    s.time_ps = e.time_ps;
    s.delta_ps = static_cast<std::int64_t>(e.time_ps) - static_cast<std::int64_t>(previous);
    previous = e.time_ps;
    s.category = e.category;
    s.what = std::string(e.what);
    s.text = e.text;
    for (const auto& [n, v] : e.fields) s.fields.emplace_back(std::string(n), v);
    s.note = rights.after(e);
    out.steps.push_back(std::move(s));
  }
  return out;
}

void print_explanation(std::ostream& os, const Explanation& e) {
  os << "explain " << describe(e.request) << " ("
     << (e.request.warm ? "caches warmed by the config's workloads" : "caches cold") << ")\n\n";
  os << "      at (ns)      step (ns)  category  event\n";
  for (const ExplainStep& s : e.steps) {
    char head[64];
    std::snprintf(head, sizeof head, "%12.3f  %+12.3f  %-8s  ",
                  static_cast<double>(s.time_ps - e.issued_ps) / 1000.0,
                  static_cast<double>(s.delta_ps) / 1000.0,
                  std::string(trace::category_name(s.category)).c_str());
    os << head << s.text << "\n";
    if (!s.note.empty()) os << std::string(42, ' ') << "-> " << s.note << "\n";
  }
  os << "\nresult: " << e.completion << ", latency " << trace::ns(e.latency_ps())
     << " ns: the sum of the steps above\n";
}

nlohmann::json explanation_json(const Explanation& e) {
  nlohmann::json j;
  const ExplainRequest& r = e.request;
  j["request"] = {{"device", r.device}, {"address", r.address},       {"write", r.write},
                  {"size", r.size},     {"privileged", r.privileged}, {"execute", r.execute},
                  {"warm", r.warm}};
  j["request"]["pasid"] = r.pasid ? nlohmann::json(*r.pasid) : nlohmann::json(nullptr);
  j["result"] = {{"ok", e.ok}, {"completion", e.completion}};
  j["issued_ps"] = e.issued_ps;
  j["latency_ps"] = e.latency_ps();
  nlohmann::json steps = nlohmann::json::array();
  for (const ExplainStep& s : e.steps) {
    nlohmann::json fields = nlohmann::json::object();
    for (const auto& [n, v] : s.fields) fields[n] = v;
    steps.push_back({{"time_ps", s.time_ps - e.issued_ps},
                     {"delta_ps", s.delta_ps},
                     {"category", trace::category_name(s.category)},
                     {"event", s.what},
                     {"text", s.text},
                     {"fields", fields}});
    if (!s.note.empty()) steps.back()["note"] = s.note;
  }
  j["steps"] = steps;
  return j;
}

}  // namespace iommu_sim
