#include "scenario/steps_input.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <regex>
#include <set>

#include "model/hex.h"
#include "pcie/topology.h"
#include "scenario/actions.h"

namespace iommu_sim {

namespace {

struct StepList {
  std::vector<StepParams> steps;
  template <class V>
  void visit(V& v) {
    v.list(steps, {"steps", "the timeline", 1});
  }
};

// The address fields that may name an automatic map's IOVA.
constexpr std::string_view kAddressFields[] = {"iova", "src_iova", "addr"};

// The fields that refer to a name an earlier step defined, and the kinds
// of name each takes.
struct Reference {
  std::string_view field;
  std::vector<NameKind> kinds;
  std::string_view what;  // for the error
};
const std::vector<Reference>& references() {
  static const std::vector<Reference> table{
      {"context", {NameKind::Context}, "context"},
      {"ioas", {NameKind::Ioas}, "IOAS"},
      {"src_ioas", {NameKind::Ioas}, "IOAS"},
      {"hwpt", {NameKind::Hwpt}, "HWPT"},
      {"parent", {NameKind::Hwpt}, "HWPT"},
      {"table", {NameKind::Table}, "guest table"},
      {"to", {NameKind::Ioas, NameKind::Hwpt}, "IOAS or HWPT"},
  };
  return table;
}

// "buf" or "buf+0x1000"; nullopt for anything else (a number among them).
std::optional<AddressRef> address_ref(const std::string& text) {
  static const std::regex form(R"(([A-Za-z_][A-Za-z0-9_.-]*)(\+(.+))?)");
  std::smatch m;
  if (parse_u64(text) || !std::regex_match(text, m, form)) return std::nullopt;
  AddressRef ref{m[1].str(), 0};
  if (m[3].matched) {
    const auto offset = parse_u64(m[3].str());
    if (!offset) return std::nullopt;
    ref.offset = *offset;
  }
  return ref;
}

std::string string_field(const StepParams& s, std::string_view field) {
  if (field == "context") return s.context;
  if (field == "ioas") return s.ioas;
  if (field == "src_ioas") return s.src_ioas;
  if (field == "hwpt") return s.hwpt;
  if (field == "parent") return s.parent;
  if (field == "table") return s.table;
  if (field == "to") return s.to;
  if (field == "name") return s.name;
  return {};
}

// The errno a name stands for ("EPERM" -> 1), as glibc names them.
bool is_errno_name(const std::string& name) {
  for (int code = 1; code < 256; ++code) {
    const char* n = strerrorname_np(code);
    if (n != nullptr && name == n) return true;
  }
  return false;
}

std::string expect_error(Outcomes outcomes, const std::string& action, const std::string& expect) {
  switch (outcomes) {
    case Outcomes::Errno:
      if (expect == "ok" || expect == "any" || is_errno_name(expect)) return {};
      return "must be ok or an errno name such as EPERM, not \"" + expect + "\"";
    case Outcomes::Dma:
      if (expect == "ok" || expect == "any" || expect == "unsupported_request" ||
          expect == "completer_abort") {
        return {};
      }
      return "a dma ends ok, unsupported_request or completer_abort, not \"" + expect + "\"";
    case Outcomes::Compared:
      if (expect == "ok" || expect == "any") return {};
      return "a " + action + " step compares its list; expect must be ok (or any)";
  }
  return {};
}

}  // namespace

std::vector<StepParams> parse_steps(const nlohmann::json& steps, std::vector<ConfigError>& errors) {
  nlohmann::json loadable = steps;
  std::vector<std::map<std::string, AddressRef>> refs;
  if (loadable.is_array()) {
    refs.resize(loadable.size());
    for (std::size_t i = 0; i < loadable.size(); ++i) {
      if (!loadable[i].is_object()) continue;
      for (const auto field : kAddressFields) {
        auto it = loadable[i].find(field);
        if (it == loadable[i].end() || !it->is_string()) continue;
        if (auto ref = address_ref(it->get<std::string>())) {
          *it = hex(ref->offset);  // the loader checks the offset's range
          refs[i][std::string(field)] = std::move(*ref);
        }
      }
    }
  }
  StepList list;
  nlohmann::json wrapper = nlohmann::json::object();
  wrapper["steps"] = std::move(loadable);
  ConfigLoader(wrapper, "", errors).load(list);
  if (!steps.is_array() || steps.size() != list.steps.size()) return list.steps;
  for (std::size_t i = 0; i < list.steps.size(); ++i) {
    StepParams& s = list.steps[i];
    const nlohmann::json& raw = steps[i];
    s.refs = std::move(refs[i]);
    for (const auto& item : raw.items()) s.given.insert(item.key());
    const auto faults = raw.find("faults");
    if (faults == raw.end() || !faults->is_array()) continue;
    for (std::size_t k = 0; k < s.faults.size() && k < faults->size(); ++k) {
      if (!(*faults)[k].is_object()) continue;
      for (const auto& item : (*faults)[k].items()) s.faults[k].given.insert(item.key());
    }
  }
  return list.steps;
}

std::vector<ConfigError> check_steps(const std::vector<StepParams>& steps,
                                     const PlatformConfig& platform) {
  std::vector<ConfigError> errors;
  Topology topology;
  build_topology(platform.pcie, topology);
  std::set<std::string> functions;
  for (const TopoNode& n : topology.nodes) {
    if (!is_bridge(n.kind)) functions.insert(n.name);
  }
  std::map<std::string, NameKind> names;
  for (const auto& as : platform.address_spaces) names[as.name] = NameKind::Ioas;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const StepParams& s = steps[i];
    const std::string at = "steps[" + std::to_string(i) + "]";
    auto fail = [&](std::string_view field, const std::string& why) {
      std::string path = at;
      if (!field.empty()) path.append(".").append(field);
      errors.push_back({std::move(path), why});
    };
    const Action* action = find_action(s.action);
    if (action == nullptr) {
      std::string known;
      for (const Action& a : actions()) known.append(known.empty() ? "" : ", ").append(a.name);
      fail("do", s.given.contains("do") ? "must be one of " + known + " (got \"" + s.action + "\")"
                                        : std::string("is required"));
      continue;
    }
    for (const auto f : action->required) {
      if (!s.given.contains(std::string(f))) {
        fail(f, "is required by \"" + s.action + "\" steps");
      }
    }
    for (const std::string& key : s.given) {
      if (key == "do" || key == "at_ns" || key == "expect" || takes(*action, key)) continue;
      // Keys no action takes were reported by the loader as unknown.
      const bool known = std::any_of(actions().begin(), actions().end(),
                                     [&](const Action& a) { return takes(a, key); });
      if (known) fail(key, "is not used by \"" + s.action + "\" steps");
    }
    if (auto why = expect_error(action->outcomes, s.action, s.expect); !why.empty()) {
      fail("expect", why);
    }
    if (action->check != nullptr) action->check(s, fail);
    // Names: defined by an earlier step (or the platform), not twice.
    for (const Reference& r : references()) {
      if (r.field == action->defines_field || !s.given.contains(std::string(r.field))) continue;
      const std::string value = string_field(s, r.field);
      const auto it = names.find(value);
      if (it == names.end() ||
          std::find(r.kinds.begin(), r.kinds.end(), it->second) == r.kinds.end()) {
        fail(r.field,
             "no " + std::string(r.what) + " named \"" + value + "\" is created before this step");
      }
    }
    for (const auto& [field, ref] : s.refs) {
      const auto it = names.find(ref.name);
      if (it == names.end() || it->second != NameKind::Iova) {
        fail(field, "is neither a number nor the name of an IOVA an earlier map step chose (\"" +
                        ref.name + "\")");
      }
    }
    if (s.given.contains("device") && !functions.contains(s.device)) {
      fail("device", "the topology has no function named \"" + s.device + "\"");
    }
    if (action->defines != NameKind::None && s.given.contains(std::string(action->defines_field))) {
      const std::string value = string_field(s, action->defines_field);
      if (value.empty()) fail(action->defines_field, "must not be empty");
      if (!names.emplace(value, action->defines).second) {
        fail(action->defines_field, "the name \"" + value + "\" is used already");
      }
    }
  }
  return errors;
}

}  // namespace iommu_sim
