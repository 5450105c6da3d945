#include "pcie/topology_report.h"

#include <cstdio>
#include <sstream>

#include "pcie/acs.h"
#include "pcie/iommu_groups.h"

namespace iommu_sim {

namespace {

std::string hex(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string bus2(unsigned b) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02x", b);
  return buf;
}

std::string describe(const TopoNode& n) {
  std::ostringstream os;
  os << n.bdf.to_string() << " " << n.name << " (" << kind_name(n.kind) << ")";
  if (is_bridge(n.kind)) {
    os << " bus " << bus2(n.secondary) << "-" << bus2(n.subordinate);
    if (n.window_size != 0) {
      os << " window " << hex(n.window_base) << "-" << hex(n.window_base + n.window_size - 1);
    }
    if (n.bar_size != 0) os << " BAR " << hex(n.bar_base) << "+" << hex(n.bar_size);
  } else {
    if (n.bar_size != 0) os << " BAR " << hex(n.bar_base) << "+" << hex(n.bar_size);
    if (!(n.requester_id == n.bdf)) os << " RID " << n.requester_id.to_string();
  }
  if (n.vendor_id != 0) {
    char ids[16];
    std::snprintf(ids, sizeof ids, " [%04x:%04x]", n.vendor_id, n.device_id);
    os << ids;
  }
  // A quirk decided what Linux takes for the part's ACS: say which, so a
  // group that differs from what the registers suggest is explained.
  if (!n.acs_quirk.empty()) os << " ACS by quirk " << n.acs_quirk << ":";
  if (n.has_acs) {
    os << " ACS cap " << acs::to_string(n.acs_capability) << " ctl "
       << acs::to_string(n.acs_control);
    if (n.egress_vector != 0) os << " egress " << hex(n.egress_vector);
  } else if (!n.acs_quirk.empty()) {
    os << " none";
  }
  os << " group " << n.group;
  return os.str();
}

void tree(const Topology& t, int bridge, const std::string& indent, std::ostringstream& os) {
  std::vector<int> children;
  for (std::size_t i = 0; i < t.nodes.size(); ++i) {
    if (t.nodes[i].bridge == bridge) children.push_back(static_cast<int>(i));
  }
  for (std::size_t k = 0; k < children.size(); ++k) {
    const bool last = k + 1 == children.size();
    const TopoNode& n = t.nodes[children[k]];
    os << indent << (last ? "\\-" : "+-") << describe(n) << "\n";
    if (is_bridge(n.kind)) tree(t, children[k], indent + (last ? "  " : "| "), os);
  }
}

}  // namespace

std::string topology_tree(const Topology& t) {
  std::ostringstream os;
  // The rules the groups follow, so that the printout says which kernel
  // era's groups it shows (and `topo --import` reads it back).
  os << "[0000:00] root complex (pcie.grouping "
     << (t.grouping == GroupingRules::Legacy ? "legacy" : "current") << ")\n";
  tree(t, -1, "", os);
  return os.str();
}

std::string iommu_groups_listing(const Topology& t) {
  std::ostringstream os;
  for (std::size_t g = 0; g < t.groups.size(); ++g) {
    os << "group " << g << ":";
    for (int i : t.groups[g])
      os << " 0000:" << t.nodes[i].bdf.to_string() << " (" << t.nodes[i].name << ")";
    os << "\n";
  }
  return os.str();
}

nlohmann::json topology_json(const Topology& t) {
  nlohmann::json out;
  out["groups"] = nlohmann::json::array();
  for (const auto& g : t.groups) {
    nlohmann::json members = nlohmann::json::array();
    for (int i : g) members.push_back(t.nodes[i].name);
    out["groups"].push_back(members);
  }
  for (const TopoNode& n : t.nodes) {
    nlohmann::json d{
        {"bdf", n.bdf.to_string()}, {"kind", std::string(kind_name(n.kind))}, {"group", n.group}};
    if (!is_bridge(n.kind)) d["requester_id"] = n.requester_id.to_string();
    if (!n.acs_quirk.empty()) d["acs_quirk"] = std::string(n.acs_quirk);
    out["devices"][n.name] = d;
  }
  return out;
}

}  // namespace iommu_sim
