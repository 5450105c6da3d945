#include "pcie/lspci_import.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "model/config_loader.h"
#include "pcie/acs_fit.h"
#include "pcie/expected_groups.h"
#include "pcie/import_items.h"

namespace iommu_sim {

namespace {

std::string hex2(unsigned v) {
  char buf[4];
  std::snprintf(buf, sizeof buf, "%02x", v & 0xff);
  return buf;
}

std::string ids_text(std::uint16_t vendor, std::uint16_t device) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "[%04x:%04x]", vendor, device);
  return buf;
}

std::string joined(const std::vector<std::string>& names, const std::string& separator = " ") {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : separator) + n;
  return out;
}

// "pcie.ports[3].devfn" -> {true, 3}; nullopt for any other path.
std::optional<std::pair<bool, std::size_t>> entry_of(const std::string& path) {
  for (const auto& [prefix, port] :
       {std::pair{"pcie.ports[", true}, std::pair{"pcie.endpoints[", false}}) {
    const std::string_view p(prefix);
    if (!path.starts_with(p)) continue;
    std::size_t index = 0;
    std::size_t at = p.size();
    for (; at < path.size() && path[at] >= '0' && path[at] <= '9' && index < 1000000; ++at) {
      index = index * 10 + static_cast<std::size_t>(path[at] - '0');
    }
    if (at < path.size() && path[at] == ']') return std::pair{port, index};
  }
  return std::nullopt;
}

class Importer {
 public:
  Importer(const ListedTree& tree, const std::string& tree_file, const GroupListing* listing,
           ImportError& error)
      : tree_(tree), file_(tree_file), listing_(listing), error_(error) {}

  std::optional<ImportResult> run() {
    const bool lspci = tree_.dialect == TreeDialect::Lspci;
    choose_root();
    if (lspci) {
      classify();
    } else {
      kinds_.resize(tree_.devices.size());
      left_out_.assign(tree_.devices.size(), "");
      for (std::size_t d = 0; d < tree_.devices.size(); ++d) kinds_[d] = tree_.devices[d].kind;
    }
    if (!resolve_listing()) return std::nullopt;
    if (!(lspci ? lspci_items() : topo_items())) return std::nullopt;
    mark_multifunction();
    listed_groups();
    if (lspci) mark_chosen();
    choose_era();
    if (!verify()) return std::nullopt;
    return result();
  }

 private:
  bool fail(int line, std::string reason) {
    error_ = {file_, line, std::move(reason)};
    return false;
  }
  bool fail_listing(int line, std::string reason) {
    error_ = {listing_->file, line, std::move(reason)};
    return false;
  }

  // The first root bus numbered 00 (the lowest domain's), else the first.
  void choose_root() {
    root_ = 0;
    for (std::size_t r = 0; r < tree_.root_buses.size(); ++r) {
      const RootBus& b = tree_.root_buses[r];
      const RootBus& best = tree_.root_buses[root_];
      if (b.bus == 0 && (best.bus != 0 || b.domain < best.domain)) root_ = static_cast<int>(r);
    }
  }

  std::string bus_name(int root) const {
    char buf[24];
    std::snprintf(buf, sizeof buf, "%04x:%02x", tree_.root_buses[root].domain,
                  tree_.root_buses[root].bus);
    return buf;
  }

  bool has_bridge_below(std::size_t d) const {
    for (const ListedDevice& c : tree_.devices) {
      if (c.parent == static_cast<int>(d) && c.bridge) return true;
    }
    return false;
  }

  // What each device of an lspci tree is, by where it sits (lspci_import.h).
  void classify() {
    kinds_.resize(tree_.devices.size());
    left_out_.assign(tree_.devices.size(), "");
    for (std::size_t d = 0; d < tree_.devices.size(); ++d) {
      const ListedDevice& dev = tree_.devices[d];
      std::string& why = left_out_[d];
      if (dev.root != root_) {
        why = "on root bus " + bus_name(dev.root) + " (one root bus, " + bus_name(root_) +
              ", is modelled)";
        continue;
      }
      if (dev.parent < 0) {
        kinds_[d] = dev.bridge ? NodeKind::RootPort : NodeKind::RcIntegrated;
        continue;
      }
      const ListedDevice& up = tree_.devices[dev.parent];
      if (!left_out_[dev.parent].empty()) {
        why = "below " + up.bdf.to_string() + ", which is left out";
        continue;
      }
      switch (*kinds_[dev.parent]) {
        case NodeKind::RootPort:
        case NodeKind::SwitchDownstream:
          if (dev.bdf.device != 0) {
            why = "device " + hex2(dev.bdf.device) + " on " + up.bdf.to_string() +
                  "'s link, which carries device 00 only: a virtual or ARI function";
          } else if (dev.bridge) {
            kinds_[d] = has_bridge_below(d) ? NodeKind::SwitchUpstream : NodeKind::PciBridge;
          } else {
            kinds_[d] = NodeKind::Endpoint;
          }
          break;
        case NodeKind::SwitchUpstream:
          if (dev.bridge) {
            kinds_[d] = NodeKind::SwitchDownstream;
          } else {
            why = "an endpoint on switch " + up.bdf.to_string() +
                  "'s internal bus, where the model has none";
          }
          break;
        default:  // a PCIe-to-PCI bridge
          if (dev.bridge) {
            why = "a bridge on a conventional PCI bus, which the model does not nest";
          } else {
            kinds_[d] = NodeKind::ConventionalPci;
          }
          break;
      }
    }
  }

  // Each listed member's device; IDs the tree lacks taken from the listing.
  bool resolve_listing() {
    listed_group_.assign(tree_.devices.size(), -1);
    const bool lspci = tree_.dialect == TreeDialect::Lspci;
    if (listing_ == nullptr) {
      if (!lspci) {
        for (std::size_t d = 0; d < tree_.devices.size(); ++d) {
          listed_group_[d] = tree_.devices[d].group;
        }
      }
      return true;
    }
    std::map<std::pair<std::uint32_t, std::uint16_t>, std::size_t> by_address;
    for (std::size_t d = 0; d < tree_.devices.size(); ++d) {
      by_address[{tree_.devices[d].domain, tree_.devices[d].bdf.rid()}] = d;
    }
    for (const ListedGroup& g : listing_->groups) {
      for (const ListedMember& m : g.members) {
        const auto found = by_address.find({lspci ? m.address.domain : 0, m.address.bdf.rid()});
        if (found == by_address.end()) {
          char where[24];
          std::snprintf(where, sizeof where, "%04x:%s", m.address.domain,
                        m.address.bdf.to_string().c_str());
          return fail_listing(m.line, std::string(where) + " is not in the tree in " + file_);
        }
        ListedDevice& dev = devices_for_ids(found->second);
        if (!m.name.empty() && !dev.name.empty() && m.name != dev.name) {
          return fail_listing(m.line, "names " + m.address.bdf.to_string() + " \"" + m.name +
                                          "\", which " + file_ + ":" + std::to_string(dev.line) +
                                          " calls \"" + dev.name + "\"");
        }
        if (m.vendor_id != 0) {
          if (dev.vendor_id != 0 &&
              (dev.vendor_id != m.vendor_id || dev.device_id != m.device_id)) {
            return fail_listing(m.line, "lists " + m.address.bdf.to_string() + " as " +
                                            ids_text(m.vendor_id, m.device_id) + ", " + file_ +
                                            ":" + std::to_string(dev.line) + " as " +
                                            ids_text(dev.vendor_id, dev.device_id));
          }
          dev.vendor_id = m.vendor_id;
          dev.device_id = m.device_id;
        }
        listed_group_[found->second] = g.number;
      }
    }
    return true;
  }

  // The tree's devices, with the IDs the listing adds (a copy: the parsed
  // tree stays as read).
  ListedDevice& devices_for_ids(std::size_t d) {
    if (devices_.empty()) devices_ = tree_.devices;
    return devices_[d];
  }
  const ListedDevice& device(std::size_t d) const {
    return devices_.empty() ? tree_.devices[d] : devices_[d];
  }

  ImportItem port_item(std::size_t d, const std::string& name) {
    const ListedDevice& dev = device(d);
    ImportItem it;
    it.port = true;
    it.kind = *kinds_[d];
    it.name = name;
    it.parent = dev.parent < 0 ? -1 : item_of_[dev.parent];
    it.line = dev.line;
    it.device = dev.bdf.device;
    it.functions = {dev.bdf.function};
    it.nodes = {name};
    it.vendor_id = dev.vendor_id;
    it.device_id = dev.device_id;
    return it;
  }

  void add(ImportItem it, const std::vector<std::size_t>& devices) {
    for (const std::size_t d : devices) item_of_[d] = static_cast<int>(items_.size());
    items_.push_back(std::move(it));
  }

  bool lspci_items() {
    item_of_.assign(tree_.devices.size(), -1);
    for (std::size_t d = 0; d < tree_.devices.size(); ++d) {
      if (!left_out_[d].empty() || item_of_[d] >= 0) continue;
      const ListedDevice& dev = device(d);
      if (dev.bridge) {
        add(port_item(d, dev.bdf.to_string()), {d});
        continue;
      }
      // A device's functions are one item, except on bus 0, where each
      // function is an item of its own: its IDs, and so Linux's quirks,
      // and its ACS are its own (several items on one device number are
      // one multi-function device, pcie/topology.cpp).
      std::vector<std::size_t> fns{d};
      if (dev.parent >= 0) {
        for (std::size_t e = d + 1; e < tree_.devices.size(); ++e) {
          const ListedDevice& other = device(e);
          if (other.parent == dev.parent && other.root == dev.root && !other.bridge &&
              other.bdf.bus == dev.bdf.bus && other.bdf.device == dev.bdf.device &&
              left_out_[e].empty()) {
            fns.push_back(e);
          }
        }
      }
      ImportItem it;
      it.kind = *kinds_[d];
      it.name =
          fns.size() == 1 ? dev.bdf.to_string() : hex2(dev.bdf.bus) + ":" + hex2(dev.bdf.device);
      it.parent = dev.parent < 0 ? -1 : item_of_[dev.parent];
      it.line = dev.line;
      it.device = dev.bdf.device;
      it.functions.clear();
      for (const std::size_t f : fns) {
        it.functions.push_back(device(f).bdf.function);
        it.nodes.push_back(device(f).bdf.to_string());
      }
      // A multi-function device takes its first function's IDs.
      it.vendor_id = dev.vendor_id;
      it.device_id = dev.device_id;
      if (dev.parent < 0 && dev.bdf.device == 0 && dev.bdf.function == 0) it.bar_size = 0;
      add(std::move(it), fns);
    }
    return true;
  }

  // A topo printout's items: its names, kinds, ACS bits and BARs as they
  // stand. Functions named <base>.<f> on one device number are one item
  // named <base>, and <pf>.vf<k> are <pf>'s virtual functions.
  bool topo_items() {
    item_of_.assign(tree_.devices.size(), -1);
    std::map<std::string, std::vector<std::size_t>> vfs;  // PF item name -> VF devices
    std::string base;  // of the last item, when its name is <base>.<function>
    for (std::size_t d = 0; d < tree_.devices.size(); ++d) {
      const ListedDevice& dev = device(d);
      if (dev.bridge) {
        ImportItem it = port_item(d, dev.name);
        it.acs = AcsSetting::Stated;
        it.acs_capability = dev.has_acs ? dev.acs_capability : 0;
        it.acs_control = dev.has_acs ? dev.acs_control : 0;
        it.egress_vector = dev.egress_vector;
        it.bar_size = dev.bar_size;
        unclaim_quirks_registers(it, dev);
        add(std::move(it), {d});
        base.clear();
        continue;
      }
      const std::size_t dot = dev.name.rfind('.');
      const std::string suffix = dot == std::string::npos ? "" : dev.name.substr(dot + 1);
      if (suffix.starts_with("vf") && suffix.size() > 2) {
        const std::string pf = dev.name.substr(0, dot);
        bool known = false;
        for (const ImportItem& it : items_) known = known || (!it.port && it.name == pf);
        if (known) {
          vfs[pf].push_back(d);
          continue;
        }
      }
      ImportItem it;
      it.kind = *kinds_[d];
      it.name = dev.name;
      it.parent = dev.parent < 0 ? -1 : item_of_[dev.parent];
      it.line = dev.line;
      it.device = dev.bdf.device;
      it.functions = {dev.bdf.function};
      it.nodes = {dev.name};
      it.vendor_id = dev.vendor_id;
      it.device_id = dev.device_id;
      it.acs = AcsSetting::Stated;
      it.acs_capability = dev.has_acs ? dev.acs_capability : 0;
      it.acs_control = dev.has_acs ? dev.acs_control : 0;
      it.bar_size = dev.bar_size;
      unclaim_quirks_registers(it, dev);
      const bool fn_named = suffix == std::to_string(dev.bdf.function);
      // Items of their own, one per function, print the same names; only
      // functions alike in all else are one item's.
      if (fn_named && !base.empty() && dev.name.substr(0, dot) == base &&
          same_but_function(items_.back(), it)) {
        ImportItem& prev = items_.back();
        prev.name = base;
        prev.functions.push_back(dev.bdf.function);
        prev.nodes.push_back(dev.name);
        item_of_[d] = static_cast<int>(items_.size()) - 1;
        continue;
      }
      base = fn_named ? dev.name.substr(0, dot) : "";
      add(std::move(it), {d});
    }
    for (const auto& [pf, list] : vfs) {
      if (!sriov(pf, list)) return false;
    }
    return true;
  }

  static bool same_but_function(const ImportItem& a, const ImportItem& b) {
    return !a.port && a.kind == b.kind && a.parent == b.parent && a.device == b.device &&
           a.vendor_id == b.vendor_id && a.device_id == b.device_id && a.acs == b.acs &&
           a.acs_capability == b.acs_capability && a.acs_control == b.acs_control &&
           a.bar_size == b.bar_size;
  }

  // A printout shows a quirk's answer, not the part's own registers; where
  // the quirk gives the same answer without them, the part is written
  // without a capability it need not have.
  static void unclaim_quirks_registers(ImportItem& it, const ListedDevice& dev) {
    if (!dev.acs_quirk) return;
    ImportItem bare = it;
    bare.acs = AcsSetting::None;
    const acs::Registers a = effective_registers(bare), b = effective_registers(it);
    if (!item_quirk(bare).empty() && a.has_acs == b.has_acs && a.capability == b.capability &&
        a.control == b.control) {
      it.acs = AcsSetting::None;
    }
  }

  // A PF's VFs, from their routing IDs: first_vf_offset and vf_stride
  // (PCIe Base spec 9.3.3.9, 9.3.3.10).
  bool sriov(const std::string& pf, const std::vector<std::size_t>& list) {
    int index = 0;
    while (items_[index].port || items_[index].name != pf) ++index;
    ImportItem& it = items_[index];
    const std::size_t pf_device = static_cast<std::size_t>(
        std::find(item_of_.begin(), item_of_.end(), index) - item_of_.begin());
    const int pf_rid = device(pf_device).bdf.rid();
    const int first = device(list.front()).bdf.rid();
    const int stride = list.size() > 1 ? device(list[1]).bdf.rid() - first : 1;
    for (std::size_t k = 0; k < list.size(); ++k) {
      const ListedDevice& vf = device(list[k]);
      if (vf.name != pf + ".vf" + std::to_string(k) ||
          vf.bdf.rid() != first + static_cast<int>(k) * stride || first <= pf_rid || stride <= 0 ||
          vf.bar_size != device(list.front()).bar_size || it.functions.size() != 1) {
        return fail(vf.line, vf.name + " is not " + pf + "'s virtual function " +
                                 std::to_string(k) +
                                 " as SR-IOV places them (one routing ID stride apart, in order, "
                                 "with equal BARs, of a single-function PF)");
      }
      item_of_[list[k]] = index;
      it.nodes.push_back(vf.name);
    }
    it.sriov.vfs = static_cast<std::uint32_t>(list.size());
    it.sriov.first_vf_offset = static_cast<std::uint32_t>(first - pf_rid);
    it.sriov.vf_stride = static_cast<std::uint32_t>(stride);
    it.sriov.vf_bar_size = device(list.front()).bar_size;
    return true;
  }

  void mark_multifunction() {
    for (ImportItem& it : items_) {
      it.multifunction = it.functions.size() > 1;
      for (const ImportItem& other : items_) {
        it.multifunction = it.multifunction || (&other != &it && other.parent == it.parent &&
                                                other.device == it.device);
      }
    }
  }

  // The items whose ACS the listing speaks to: those with a listed
  // function, the ports above one (the older rules look at the whole path
  // to the root), and the functions sharing a slot with one. The others
  // keep no ACS: a listing that leaves a device out says nothing about it.
  void mark_chosen() {
    std::set<std::string> listed;
    for (const auto& g : listed_) listed.insert(g.begin(), g.end());
    const auto any_listed = [&](const ImportItem& it) {
      return std::any_of(it.nodes.begin(), it.nodes.end(),
                         [&](const std::string& n) { return listed.contains(n); });
    };
    for (std::size_t i = 0; i < items_.size(); ++i) {
      if (!any_listed(items_[i])) continue;
      for (int up = static_cast<int>(i); up >= 0; up = items_[up].parent) items_[up].chosen = true;
      for (ImportItem& other : items_) {
        if (other.parent == items_[i].parent && other.device == items_[i].device) {
          other.chosen = true;
        }
      }
    }
  }

  // The listed groups of placed devices, by node name, in the listing's
  // order; which listed devices are left out, and which placed ones the
  // listing does not name.
  void listed_groups() {
    std::map<int, std::vector<std::string>> by_number;
    std::vector<std::pair<int, std::string>> order;
    for (std::size_t d = 0; d < tree_.devices.size(); ++d) {
      if (listed_group_[d] < 0) {
        if (left_out_[d].empty()) unlisted_.push_back(node_name(d));
        continue;
      }
      if (!left_out_[d].empty()) {
        listed_left_out_.push_back(device(d).bdf.to_string());
        continue;
      }
      by_number[listed_group_[d]].push_back(node_name(d));
    }
    // Groups in the listing's order; members in the tree's, whatever order
    // the listing gives them in (find prints them unsorted).
    if (listing_ != nullptr) {
      for (const ListedGroup& g : listing_->groups) {
        std::vector<std::string> names;
        for (std::size_t d = 0; d < tree_.devices.size(); ++d) {
          if (left_out_[d].empty() && listed_group_[d] == g.number) names.push_back(node_name(d));
        }
        if (!names.empty()) listed_.push_back(std::move(names));
      }
      return;
    }
    for (auto& [number, names] : by_number) listed_.push_back(std::move(names));
  }

  std::string node_name(std::size_t d) const {
    return tree_.dialect == TreeDialect::Topo ? device(d).name : device(d).bdf.to_string();
  }

  // The era, and for an lspci tree with a listing the ACS, that reproduce
  // the most listed groups; on a tie legacy (lspci), since few kernels have
  // the 2025 rework yet, or current (a topo printout that does not say).
  void choose_era() {
    const bool lspci = tree_.dialect == TreeDialect::Lspci;
    if (!tree_.grouping.empty()) {
      era_ = parse_grouping(tree_.grouping);
      mismatched_ = listed_.empty() ? 0 : mismatched_devices(items_, era_, listed_);
      return;
    }
    if (listed_.empty()) {
      era_ = GroupingRules::Current;
      return;
    }
    const auto try_era = [&](GroupingRules era, std::vector<ImportItem>& items) {
      items = items_;
      return lspci ? fit_acs(items, era, listed_) : mismatched_devices(items, era, listed_);
    };
    std::vector<ImportItem> legacy, current;
    const std::size_t l = try_era(GroupingRules::Legacy, legacy);
    const std::size_t c = try_era(GroupingRules::Current, current);
    const bool pick_legacy = l < c || (l == c && lspci);
    era_ = pick_legacy ? GroupingRules::Legacy : GroupingRules::Current;
    items_ = pick_legacy ? std::move(legacy) : std::move(current);
    mismatched_ = pick_legacy ? l : c;
    other_mismatched_ = pick_legacy ? c : l;
  }

  // The skeleton must enumerate and load as `topo --config` loads it;
  // where it does not, the device's line says why.
  bool verify() {
    std::vector<int> port_items, endpoint_items;
    for (int i = 0; i < static_cast<int>(items_.size()); ++i) {
      (items_[i].port ? port_items : endpoint_items).push_back(i);
    }
    const auto fail_at = [&](const ConfigError& e) {
      // An error of no one entry (a list too long) is the tree's.
      int line = tree_.root_buses.empty() ? 1 : tree_.root_buses[root_].line;
      if (const auto entry = entry_of(e.path)) {
        const auto& list = entry->first ? port_items : endpoint_items;
        if (entry->second < list.size()) line = items_[list[entry->second]].line;
      }
      return fail(line, "cannot be modelled: " + e.to_string());
    };
    config_ = skeleton();
    std::vector<ConfigError> errors;
    PcieParams loaded;
    ConfigLoader(nlohmann::json::parse(config_["pcie"].dump()), "pcie", errors).load(loaded);
    if (errors.empty()) errors = build_topology(loaded, topology_);
    if (errors.empty()) {
      errors = check_expected_group_names(topology_,
                                          config_["expect_groups"].get<std::vector<std::string>>());
    }
    if (!errors.empty()) return fail_at(errors.front());
    comparison_ = compare_expected_groups(topology_, listed_);
    return true;
  }

  nlohmann::ordered_json skeleton() {
    nlohmann::ordered_json j;
    j["description"] = "";
    nlohmann::ordered_json groups = nlohmann::ordered_json::array();
    for (const auto& g : listed_) groups.push_back(joined(g));
    j["expect_groups"] = groups;
    nlohmann::ordered_json pcie;
    pcie["grouping"] = std::string(grouping_name(era_));
    nlohmann::ordered_json ports = nlohmann::ordered_json::array();
    nlohmann::ordered_json endpoints = nlohmann::ordered_json::array();
    for (const ImportItem& it : items_)
      (it.port ? ports : endpoints).push_back(item_json(it, items_));
    pcie["ports"] = ports;
    pcie["endpoints"] = endpoints;
    j["pcie"] = pcie;
    j["attach"] = nlohmann::ordered_json::array();
    j["workloads"] = nlohmann::ordered_json::array();
    return j;
  }

  std::optional<ImportResult> result() {
    ImportResult r;
    for (const ImportItem& it : items_) r.devices += it.nodes.size();
    for (const std::string& why : left_out_) r.left_out += why.empty() ? 0 : 1;
    r.grouping = grouping_name(era_);
    r.listed_groups = comparison_.listed;
    r.unreproduced = comparison_.differences;
    config_["description"] = describe(r);
    if (listed_.empty()) config_.erase("expect_groups");
    r.config = std::move(config_);
    return r;
  }

  // What the import read and what it decided, for the config's description.
  std::string describe(const ImportResult& r) const {
    const bool lspci = tree_.dialect == TreeDialect::Lspci;
    std::string d = "Imported by iommu-sim topo --import from " + file_ +
                    (lspci ? " (lspci -tv)" : " (iommu-sim topo)");
    if (listing_ != nullptr) d += " and the IOMMU group listing " + listing_->file;
    d += ": " + std::to_string(r.devices) + " functions and ports.";
    if (!lspci) {
      d += " Names, kinds, ACS, BARs and grouping as printed.";
    } else {
      d += " Guessed, as lspci -tv does not show it: bridges on bus 00 are root ports, a bridge "
           "whose bus holds bridges is a switch's upstream port and those bridges its downstream "
           "ports, any other bridge below a port is a PCIe-to-PCI bridge; devices on bus 00 are "
           "root-complex integrated endpoints, 00:00.0 the host bridge (no BAR); links and BARs "
           "have the default sizes; a multi-function device has its first function's IDs.";
      d += acs_decisions();
    }
    if (!listed_.empty()) {
      d += " pcie.grouping " + r.grouping + " computes " +
           std::to_string(comparison_.reproduced()) + " of the " +
           std::to_string(comparison_.listed) + " listed groups as listed";
      if (tree_.grouping.empty()) {
        const std::string other = era_ == GroupingRules::Legacy ? "current" : "legacy";
        d += other_mismatched_ == mismatched_
                 ? " (" + other +
                       " as many; legacy is taken on a tie, since kernels before the "
                       "2025 rework formed the groups people list)"
                 : " (" + other + " fewer)";
      }
      d += ".";
      for (const std::string& diff : comparison_.differences) d += " Not reproduced: " + diff + ".";
      if (!unlisted_.empty()) {
        d += " Not in the listing, so not compared: " + joined(unlisted_) +
             ". A port or device whose ACS the listing does not decide has none.";
      }
      if (!listed_left_out_.empty()) {
        d += " Listed but left out: " + joined(listed_left_out_) + ".";
      }
    }
    std::vector<std::string> out;
    for (std::size_t k = 0; k < tree_.devices.size(); ++k) {
      if (!left_out_[k].empty())
        out.push_back(device(k).bdf.to_string() + " (" + left_out_[k] + ")");
    }
    if (!out.empty()) d += " Left out: " + joined(out, "; ") + ".";
    if (lspci) d += bus_numbers();
    return d;
  }

  std::string acs_decisions() const {
    std::map<std::string, std::vector<std::string>> by;
    for (const ImportItem& it : items_) {
      if (!it.chosen) continue;
      const bool decides =
          it.port ? (it.kind == NodeKind::RootPort || it.kind == NodeKind::SwitchDownstream)
                  : it.multifunction;
      if (it.ids_left_out)
        by["IDs left out, their Linux quirk contradicting the listing"].push_back(it.name);
      if (it.kind == NodeKind::PciBridge && it.bar_size.value_or(0) != 0) {
        by["a BAR of its own (so in its bus's group)"].push_back(it.name);
      }
      if (!decides) continue;
      if (const std::string_view q = item_quirk(it); !q.empty()) {
        by["ACS by Linux's quirk " + std::string(q)].push_back(it.name);
        continue;
      }
      switch (it.acs) {
        case AcsSetting::On:
          by["ACS on"].push_back(it.name);
          break;
        case AcsSetting::Off:
          by["an ACS capability with SV, RR, CR, UF off"].push_back(it.name);
          break;
        default:
          by["no ACS"].push_back(it.name);
          break;
      }
    }
    if (listing_ == nullptr) {
      return " Without a group listing ACS is unknown: none is set (add acs_capability and "
             "acs_control where the machine has it).";
    }
    std::string d = " ACS as the listed groups ask under pcie.grouping " +
                    std::string(grouping_name(era_)) + ":";
    bool first = true;
    for (const auto& [what, names] : by) {
      d += std::string(first ? " " : "; ") + what + ": " + joined(names);
      first = false;
    }
    return d + (first ? " nothing to decide." : ".");
  }

  // The simulator numbers buses depth first without gaps; firmware may
  // leave some (hot-plug reserves).
  std::string bus_numbers() const {
    std::size_t moved = 0;
    for (const TopoNode& n : topology_.nodes) {
      const auto listed = parse_pci_address(n.name);
      if (listed && !(listed->bdf == n.bdf)) ++moved;
    }
    if (moved == 0) return "";
    return " Buses are numbered depth first without gaps here: " + std::to_string(moved) +
           " devices sit on other bus numbers than listed (their names keep the listed BDFs).";
  }

  const ListedTree& tree_;
  const std::string& file_;
  const GroupListing* listing_;
  ImportError& error_;
  std::vector<ListedDevice> devices_;  // the tree's, once the listing adds IDs
  int root_ = 0;
  std::vector<std::optional<NodeKind>> kinds_;
  std::vector<std::string> left_out_;  // why, per device; empty: placed
  std::vector<int> listed_group_;      // per device; -1: not listed
  std::vector<int> item_of_;           // per device
  std::vector<ImportItem> items_;
  std::vector<std::vector<std::string>> listed_;
  std::vector<std::string> unlisted_, listed_left_out_;
  GroupingRules era_ = GroupingRules::Current;
  std::size_t mismatched_ = 0, other_mismatched_ = 0;
  nlohmann::ordered_json config_;
  Topology topology_;
  GroupComparison comparison_;
};

// One compact entry per line: { "name": "00:1c.0", "kind": "root_port" }.
std::string compact(const nlohmann::ordered_json& j) {
  if (!j.is_object()) return j.dump();
  std::string out = "{ ";
  bool first = true;
  for (const auto& [key, value] : j.items()) {
    out += (first ? "" : ", ") + nlohmann::ordered_json(key).dump() + ": " + compact(value);
    first = false;
  }
  return out + " }";
}

}  // namespace

std::optional<ImportResult> import_topology(std::string_view tree_text,
                                            const std::string& tree_file,
                                            const std::optional<std::string>& groups_text,
                                            const std::string& groups_file, ImportError& error) {
  const std::vector<std::string> lines = listing_lines(tree_text);
  const auto tree = parse_device_tree(lines, tree_file, error);
  if (!tree) return std::nullopt;
  std::optional<GroupListing> listing;
  std::size_t rest = tree->end;
  while (rest < lines.size() && lines[rest].empty()) ++rest;
  if (rest < lines.size()) {
    if (groups_text) {
      error = {tree_file, static_cast<int>(rest) + 1,
               "a group listing follows the tree here, and --groups gives " + groups_file +
                   " as well: give one"};
      return std::nullopt;
    }
    listing = parse_group_listing(lines, rest, tree_file, error);
    if (!listing) return std::nullopt;
  } else if (groups_text) {
    listing = parse_group_listing(listing_lines(*groups_text), 0, groups_file, error);
    if (!listing) return std::nullopt;
  }
  return Importer(*tree, tree_file, listing ? &*listing : nullptr, error).run();
}

std::string skeleton_text(const nlohmann::ordered_json& config) {
  std::string out = "{\n";
  bool first_key = true;
  for (const auto& [key, value] : config.items()) {
    out += std::string(first_key ? "" : ",\n") + "  " + nlohmann::ordered_json(key).dump() + ": ";
    first_key = false;
    if (key == "pcie") {
      out += "{\n";
      bool first = true;
      for (const auto& [k, v] : value.items()) {
        out += std::string(first ? "" : ",\n") + "    " + nlohmann::ordered_json(k).dump() + ": ";
        first = false;
        if (!v.is_array() || v.empty()) {
          out += v.dump();
          continue;
        }
        out += "[\n";
        for (std::size_t i = 0; i < v.size(); ++i) {
          out += "      " + compact(v[i]) + (i + 1 < v.size() ? ",\n" : "\n");
        }
        out += "    ]";
      }
      out += "\n  }";
    } else if (value.is_array() && !value.empty()) {
      out += "[\n";
      for (std::size_t i = 0; i < value.size(); ++i) {
        out += "    " + compact(value[i]) + (i + 1 < value.size() ? ",\n" : "\n");
      }
      out += "  ]";
    } else {
      out += value.dump();
    }
  }
  return out + "\n}\n";
}

}  // namespace iommu_sim
