#include "workloads/scenario_timeline.h"

#include "model/dma_payload.h"
#include "model/hex.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <optional>
#include <set>
#include <stdexcept>

namespace iommu_sim {

namespace {

struct ActionFields {
  std::vector<std::string_view> required, optional;
};

// Which fields each action takes; "do", "at_ns" and "expect" go with all.
const std::map<std::string_view, ActionFields>& action_fields() {
  static const std::map<std::string_view, ActionFields> table{
      {"open", {{"context"}, {}}},
      {"close", {{"context"}, {}}},
      {"bind", {{"context", "device", "label"}, {}}},
      {"ioas_alloc", {{"name"}, {"translation", "levels", "page_size"}}},
      {"ioas_destroy", {{"ioas"}, {}}},
      {"map", {{"ioas", "iova", "length"}, {"writable"}}},
      {"unmap", {{"ioas", "iova", "length"}, {}}},
      {"hwpt_alloc", {{"name", "context", "label", "ioas"}, {"nest_parent"}}},
      {"hwpt_alloc_nested", {{"name", "context", "label", "parent", "table"}, {}}},
      {"hwpt_destroy", {{"hwpt"}, {}}},
      {"attach", {{"context", "label", "to"}, {"pasid"}}},
      {"replace", {{"context", "label", "to"}, {"pasid"}}},
      {"detach", {{"context", "label"}, {"pasid"}}},
      {"invalidate", {{"context", "hwpt"}, {"label", "pasid", "addr", "npages", "leaf"}}},
      {"guest_table", {{"name", "ioas", "base"}, {"levels"}}},
      {"guest_map", {{"table", "iova", "gpa", "length"}, {"writable"}}},
      {"guest_unmap", {{"table", "iova", "length"}, {}}},
      {"dma", {{"device", "iova"}, {"pasid", "pasid_present", "write", "size"}}},
      {"faults", {{"context", "faults"}, {}}},
  };
  return table;
}

// The errno a name stands for ("EPERM" -> 1), as glibc names them.
std::optional<int> errno_code(const std::string& name) {
  for (int code = 1; code < 256; ++code) {
    const char* n = strerrorname_np(code);
    if (n != nullptr && name == n) return code;
  }
  return std::nullopt;
}

std::string describe(const Status& s) {
  if (s.ok()) return "ok";
  const char* name = strerrorname_np(s.code);
  return std::string(name != nullptr ? name : "E?") + ": " + s.message;
}

bool matches(const std::string& outcome, const std::string& expect) {
  return expect == "any" || outcome == expect || outcome.starts_with(expect + ":");
}

}  // namespace

std::vector<ConfigError> check_steps(const std::vector<StepParams>& steps,
                                     const nlohmann::json& raw_steps,
                                     const PlatformConfig& platform) {
  std::vector<ConfigError> errors;
  Topology topology;
  build_topology(platform.pcie, topology);
  std::set<std::string> functions;
  for (const TopoNode& n : topology.nodes) {
    if (!is_bridge(n.kind)) functions.insert(n.name);
  }
  std::set<std::string> contexts, ioases, hwpts, tables;
  for (const auto& as : platform.address_spaces) ioases.insert(as.name);
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const StepParams& s = steps[i];
    const nlohmann::json& raw = raw_steps[i];
    const std::string at = "steps[" + std::to_string(i) + "]";
    auto fail = [&](const std::string& field, const std::string& why) {
      std::string path = at;
      if (!field.empty()) path.append(".").append(field);
      errors.push_back({std::move(path), why});
    };
    const auto fields = action_fields().find(s.action);
    if (fields == action_fields().end()) {
      if (!raw.contains("do")) fail("do", "is required");
      continue;  // the loader named a bad value already
    }
    for (const auto& f : fields->second.required) {
      if (!raw.contains(f)) fail(std::string(f), "is required by \"" + s.action + "\" steps");
    }
    auto takes = [](const ActionFields& f, const std::string& key) {
      return std::find(f.required.begin(), f.required.end(), key) != f.required.end() ||
             std::find(f.optional.begin(), f.optional.end(), key) != f.optional.end();
    };
    for (const auto& item : raw.items()) {
      const std::string& key = item.key();
      if (key == "do" || key == "at_ns" || key == "expect" || takes(fields->second, key)) continue;
      // Keys no action takes were reported by the loader as unknown.
      const bool known = std::any_of(action_fields().begin(), action_fields().end(),
                                     [&](const auto& a) { return takes(a.second, key); });
      if (known) fail(key, "is not used by \"" + s.action + "\" steps");
    }
    // Expected outcomes the action can have.
    if (s.action == "dma") {
      if (s.expect != "ok" && s.expect != "unsupported_request" && s.expect != "completer_abort" &&
          s.expect != "any") {
        fail("expect",
             "a dma ends ok, unsupported_request or completer_abort, not \"" + s.expect + "\"");
      }
      if (s.iova % s.size != 0 || s.iova % 4096 + s.size > 4096) {
        fail("iova", "must be aligned to size and the request must not cross a 4 KiB page");
      }
    } else if (s.action == "faults") {
      if (s.expect != "ok" && s.expect != "any") {
        fail("expect", "a faults step compares its list; expect must be ok (or any)");
      }
      for (std::size_t k = 0; k < s.faults.size(); ++k) {
        const auto r = parse_u64(s.faults[k].reason);
        if (!r || *r > 0xff) {
          fail("faults[" + std::to_string(k) + "].reason",
               "must be a fault reason like \"0x71\", not \"" + s.faults[k].reason + "\"");
        }
      }
    } else if (s.expect != "ok" && s.expect != "any" && !errno_code(s.expect)) {
      fail("expect", "must be ok or an errno name such as EPERM, not \"" + s.expect + "\"");
    }
    // Names: defined by an earlier step (or the platform), not twice.
    auto need = [&](const std::string& field, const std::string& value,
                    const std::set<std::string>& known, const std::string& what) {
      if (raw.contains(field) && !known.contains(value)) {
        std::string why = "no ";
        why.append(what).append(" named \"").append(value).append("\" is created before this step");
        fail(field, why);
      }
    };
    if (s.action != "open") need("context", s.context, contexts, "context");
    need("ioas", s.ioas, ioases, "IOAS");
    need("hwpt", s.hwpt, hwpts, "HWPT");
    need("parent", s.parent, hwpts, "HWPT");
    need("table", s.table, tables, "guest table");
    if (raw.contains("to") && !ioases.contains(s.to) && !hwpts.contains(s.to)) {
      fail("to", "no IOAS or HWPT named \"" + s.to + "\" is created before this step");
    }
    if (raw.contains("device") && !functions.contains(s.device)) {
      fail("device", "the topology has no function named \"" + s.device + "\"");
    }
    auto define = [&](std::set<std::string>& into, const std::string& field,
                      const std::string& value) {
      if (value.empty()) fail(field, "must not be empty");
      const bool taken = contexts.contains(value) || ioases.contains(value) ||
                         hwpts.contains(value) || tables.contains(value);
      if (taken) fail(field, "the name \"" + value + "\" is used already");
      into.insert(value);
    };
    if (s.action == "open") define(contexts, "context", s.context);
    if (s.action == "ioas_alloc") define(ioases, "name", s.name);
    if (s.action == "hwpt_alloc" || s.action == "hwpt_alloc_nested") define(hwpts, "name", s.name);
    if (s.action == "guest_table") define(tables, "name", s.name);
  }
  return errors;
}

ScenarioTimeline::ScenarioTimeline(sc_core::sc_module_name name, Platform& platform,
                                   std::vector<StepParams> steps)
    : sc_module(name), platform_(platform), steps_(std::move(steps)) {
  for (const StepParams& s : steps_) {
    if (s.action != "dma" || sockets_.contains(s.device)) continue;
    std::string socket_name = "dma_" + s.device;
    std::replace(socket_name.begin(), socket_name.end(), '.', '_');
    auto socket = std::make_unique<Socket>(socket_name.c_str());
    socket->bind(platform_.endpoint(s.device).dma_in);
    sockets_.emplace(s.device, std::move(socket));
  }
  sc_core::sc_spawn([this] { thread(); }, "timeline");
}

ScenarioTimeline::~ScenarioTimeline() = default;

void ScenarioTimeline::thread() {
  for (const auto& as : platform_.config().address_spaces) {
    objects_[as.name] = platform_.ioas(as.name);
  }
  for (const StepParams& s : steps_) {
    const sc_core::sc_time start(s.at_ns, sc_core::SC_NS);
    if (s.at_ns >= 0 && start > sc_core::sc_time_stamp()) {
      sc_core::wait(start - sc_core::sc_time_stamp());
    }
    StepOutcome o;
    o.at_ns = sc_core::sc_time_stamp().to_seconds() * 1e9;
    o.outcome = run_step(s, o.step);
    o.expected = s.expect;
    o.as_expected = matches(o.outcome, s.expect);
    outcomes_.push_back(std::move(o));
  }
}

std::string ScenarioTimeline::run_step(const StepParams& s, std::string& what) {
  IoasidManager& m = platform_.manager();
  // A name whose creating step failed resolves to an ID nothing has, so
  // the call fails with ENOENT as it would for a stale ID.
  auto ctx = [&] {
    auto it = contexts_.find(s.context);
    return it == contexts_.end() ? ContextId{0} : it->second;
  };
  auto object = [&](const std::string& n) {
    auto it = objects_.find(n);
    return it == objects_.end() ? IoasId{0} : it->second;
  };
  const std::string pasid = " pasid " + std::to_string(s.pasid);
  const std::string who = s.context + "/" + s.label;
  const std::string& a = s.action;
  if (a == "open") {
    what = "open " + s.context;
    contexts_[s.context] = m.open_context();
    return "ok";
  }
  if (a == "close") {
    what = "close " + s.context;
    return describe(m.close_context(ctx()));
  }
  if (a == "bind") {
    what = "bind " + s.device + " as " + who;
    return describe(m.bind(ctx(), s.device, s.label));
  }
  if (a == "ioas_alloc") {
    what = "ioas_alloc " + s.name + " (" + s.translation + ", " + std::to_string(s.levels) +
           " levels)";
    IoasOptions o;
    o.translation = s.translation == "second_level" ? IoasTranslation::SecondLevel
                                                    : IoasTranslation::FirstLevel;
    o.levels = s.levels;
    // A size that is not a power of two becomes shift 0, which
    // create_ioas refuses with EINVAL.
    o.max_page_shift = std::has_single_bit(s.page_size)
                           ? static_cast<std::uint8_t>(std::countr_zero(s.page_size))
                           : 0;
    const IoasCreated c = m.create_ioas(o);
    if (c.status.ok()) objects_[s.name] = c.id;
    return describe(c.status);
  }
  if (a == "ioas_destroy") {
    what = "ioas_destroy " + s.ioas;
    return describe(m.destroy_ioas(object(s.ioas)));
  }
  if (a == "map") {
    what = "map " + s.ioas + " " + hex(s.iova) + "+" + hex(s.length) + (s.writable ? " rw" : " ro");
    return describe(m.map(object(s.ioas), s.iova, s.length, s.writable));
  }
  if (a == "unmap") {
    what = "unmap " + s.ioas + " " + hex(s.iova) + "+" + hex(s.length);
    return describe(m.unmap(object(s.ioas), s.iova, s.length));
  }
  if (a == "hwpt_alloc") {
    what = "hwpt_alloc " + s.name + " on " + s.ioas + " for " + who +
           (s.nest_parent ? " (nest parent)" : "");
    const IoasCreated c = m.alloc_hwpt(ctx(), s.label, object(s.ioas), s.nest_parent);
    if (c.status.ok()) objects_[s.name] = c.id;
    return describe(c.status);
  }
  if (a == "hwpt_alloc_nested") {
    what = "hwpt_alloc_nested " + s.name + " on " + s.parent + " with " + s.table + " for " + who;
    auto t = tables_.find(s.table);
    if (t == tables_.end()) return "ENOENT: guest table " + s.table + " was not created";
    VtdStage1 stage1{.root_gpa = t->second->root(), .levels = t->second->levels()};
    const IoasCreated c = m.alloc_nested_hwpt(ctx(), s.label, object(s.parent), stage1);
    if (c.status.ok()) objects_[s.name] = c.id;
    return describe(c.status);
  }
  if (a == "hwpt_destroy") {
    what = "hwpt_destroy " + s.hwpt;
    return describe(m.destroy_hwpt(object(s.hwpt)));
  }
  if (a == "attach") {
    what = "attach " + who + pasid + " -> " + s.to;
    return describe(m.attach_device(ctx(), s.label, s.pasid, object(s.to)));
  }
  if (a == "replace") {
    what = "replace " + who + pasid + " -> " + s.to;
    return describe(m.replace_device(ctx(), s.label, s.pasid, object(s.to)));
  }
  if (a == "detach") {
    what = "detach " + who + pasid;
    return describe(m.detach_device(ctx(), s.label, s.pasid));
  }
  if (a == "invalidate") {
    UserInvalidation inv;
    inv.label = s.label;
    if (s.pasid_given) inv.pasid = s.pasid;
    inv.addr = s.addr;
    inv.npages = s.npages;
    inv.leaf = s.leaf;
    what =
        "invalidate " + s.hwpt + " " +
        (s.npages == ~0ull ? std::string("all") : hex(s.addr) + " x" + std::to_string(s.npages)) +
        (s.label.empty() ? "" : " label " + s.label) + (s.pasid_given ? pasid : "") +
        (s.leaf ? " leaf" : "");
    return describe(m.invalidate_hwpt(ctx(), object(s.hwpt), inv));
  }
  if (a == "dma") {
    what = std::string(s.write ? "dma write " : "dma read ") + s.device +
           (s.pasid_present ? pasid : " no pasid") + " " + hex(s.iova);
    return dma(s);
  }
  if (a == "faults") {
    what = "faults " + s.context;
    return read_faults(s);
  }
  if (a == "guest_table") {
    what = "guest_table " + s.name + " in " + s.ioas + " from gpa " + hex(s.base);
  } else {
    what = a + " " + s.table + " " + hex(s.iova) + "+" + hex(s.length) +
           (a == "guest_map" ? " -> gpa " + hex(s.gpa) : std::string());
  }
  return guest_table_op(s);
}

std::string ScenarioTimeline::dma(const StepParams& s) {
  PcieAttrs a;
  a.pasid_present = s.pasid_present;
  a.pasid = s.pasid;
  DmaPayload dma(s.iova, s.size, s.write, 0x5a, a);
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  (*sockets_.at(s.device))->b_transport(dma.payload(), delay);
  sc_core::wait(delay);
  switch (dma.attrs().completion) {
    case CompletionStatus::Success:
      return "ok";
    case CompletionStatus::UnsupportedRequest:
      return "unsupported_request";
    case CompletionStatus::CompleterAbort:
      return "completer_abort";
  }
  return "unknown completion";
}

std::string ScenarioTimeline::read_faults(const StepParams& s) {
  auto it = contexts_.find(s.context);
  const auto faults = platform_.manager().read_faults(it == contexts_.end() ? 0 : it->second);
  std::string got;
  bool same = faults.size() == s.faults.size();
  for (std::size_t i = 0; i < faults.size(); ++i) {
    const auto& f = faults[i];
    got += (i ? ", " : "") + f.label + " " + hex(f.reason) + " at " + hex(f.page);
    if (i < s.faults.size()) {
      const FaultExpectParams& e = s.faults[i];
      same = same && e.label == f.label && parse_u64(e.reason) == f.reason &&
             (e.any_address || e.address == f.page);
    }
  }
  if (same) return "ok";
  std::string want;
  for (const FaultExpectParams& e : s.faults) {
    want += (want.empty() ? "" : ", ") + e.label + " " + e.reason +
            (e.any_address ? std::string() : " at " + hex(e.address));
  }
  return "EFAULT: read [" + got + "], expected [" + want + "]";
}

std::string ScenarioTimeline::guest_table_op(const StepParams& s) {
  constexpr std::uint64_t kPage = 4096;
  try {
    if (s.action == "guest_table") {
      if (s.levels != 4 && s.levels != 5) return "EINVAL: a first-level table has 4 or 5 levels";
      if (s.base % kPage != 0) return "EINVAL: base must be 4 KiB aligned";
      tables_[s.name] = std::make_unique<GuestPageTable>(
          platform_.host_bus(), platform_.manager(),
          objects_.count(s.ioas) ? objects_.at(s.ioas) : 0, s.base, s.levels);
      return "ok";
    }
    auto t = tables_.find(s.table);
    if (t == tables_.end()) return "ENOENT: guest table " + s.table + " was not created";
    if (s.iova % kPage || s.gpa % kPage || s.length % kPage || s.length == 0) {
      return "EINVAL: iova, gpa and length must be non-zero multiples of 4 KiB";
    }
    for (std::uint64_t off = 0; off < s.length; off += kPage) {
      if (s.action == "guest_map") {
        t->second->map(s.iova + off, s.gpa + off, 12, s.writable);
      } else {
        t->second->unmap(s.iova + off);
      }
    }
    return "ok";
  } catch (const std::out_of_range& e) {
    return std::string("EFAULT: ") + e.what();
  }
}

}  // namespace iommu_sim
