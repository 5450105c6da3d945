#include "pcie/topology.h"

#include <algorithm>
#include <bit>
#include <cstdio>
#include <map>
#include <optional>
#include <set>

#include "pcie/acs.h"
#include "pcie/acs_quirks.h"
#include "pcie/iommu_groups.h"

namespace iommu_sim {

std::string_view kind_name(NodeKind k) {
  switch (k) {
    case NodeKind::RootPort:
      return "root port";
    case NodeKind::SwitchUpstream:
      return "switch upstream port";
    case NodeKind::SwitchDownstream:
      return "switch downstream port";
    case NodeKind::PciBridge:
      return "PCIe-to-PCI bridge";
    case NodeKind::Endpoint:
      return "endpoint";
    case NodeKind::RcIntegrated:
      return "RC integrated endpoint";
    case NodeKind::ConventionalPci:
      return "PCI device";
  }
  return "?";
}

int Topology::find(const std::string& name) const {
  const auto it = by_name.find(name);
  return it == by_name.end() ? -1 : it->second;
}

namespace {

constexpr std::uint64_t kWindowAlign = 1ull << 20;  // bridge memory windows: 1 MiB

std::uint64_t align_up(std::uint64_t v, std::uint64_t a) {
  return (v + a - 1) & ~(a - 1);
}

// One PCI device (a port, or all functions of an endpoint) while building.
struct Item {
  std::string name;
  std::string path;  // config path, for errors
  NodeKind kind;
  int parent = -1;            // item index of the bridge above; -1: root complex
  std::vector<int> children;  // items on this bridge's secondary bus
  int device = -1;
  int requested = -1;                // device number the config asks for; -1: the next free
  std::vector<std::uint8_t> fns{0};  // function numbers, ascending
  bool multifunction = false;        // shares its device number, or has several functions
  std::uint64_t bar_size = 0;
  bool has_acs = false;
  std::uint8_t acs_capability = 0, acs_control = 0;
  std::uint16_t vendor_id = 0, device_id = 0;
  std::string_view acs_quirk;
  std::uint32_t egress_vector = 0;
  bool rr_enforced = true;
  // Filled by enumeration.
  std::uint8_t bus = 0, secondary = 0, subordinate = 0;
  std::uint64_t window_base = 0, window_size = 0;
  std::vector<std::uint64_t> bar_base;  // per function
  std::optional<Bdf> spoof;
  AtsParams ats;
  SriovParams sriov;
  std::vector<std::uint64_t> vf_bar_base;  // per VF
  int node = -1;                           // the PF's node, once emitted
  LinkParams link;
  std::uint32_t tags = 32;
  double dma_latency_ns = 0.0;
};

class Builder {
 public:
  explicit Builder(const PcieParams& p) : p_(p) {}

  std::vector<ConfigError> run(Topology& out) {
    declare();
    if (!errors_.empty()) return errors_;
    link();
    if (!errors_.empty()) return errors_;
    number_devices();
    if (!errors_.empty()) return errors_;
    std::uint8_t last_bus = 0;
    for (int root : bus0_) {
      if (is_bridge(items_[root].kind)) assign_buses(root, last_bus);
    }
    if (!errors_.empty()) return errors_;
    std::uint64_t cursor = p_.mmio_base;
    for (int i : bus0_) place(i, cursor);
    if (!errors_.empty()) return errors_;
    Topology t;
    emit_bus(bus0_, -1, t);
    // VFs appear when the PF's driver enables them, after the bus scan, so
    // they are probed (and their groups numbered) last.
    for (const Item& it : items_) {
      if (it.sriov.vfs != 0) emit_vfs(it, t);
    }
    t.grouping = parse_grouping(p_.grouping);
    compute_iommu_groups(t, t.grouping);
    for (std::size_t i = 0; i < t.nodes.size(); ++i) {
      t.by_name.emplace(t.nodes[i].name, static_cast<int>(i));
    }
    out = std::move(t);
    return {};
  }

 private:
  void fail(std::string path, std::string reason) {
    errors_.push_back({std::move(path), std::move(reason)});
  }

  // A link is declared by the component below it (pcie/link_params.h).
  void check_port_link(const Item& it, const PortParams& port) {
    const LinkParams defaults;
    if (it.kind == NodeKind::RootPort || it.kind == NodeKind::SwitchDownstream) {
      if (port.link != defaults) {
        fail(it.path + ".link",
             "a " + port.kind +
                 " has no link of its own: declare the link on the endpoint or switch_upstream "
                 "port below it");
      }
      return;
    }
    if (port.link.mrrs != defaults.mrrs) {
      fail(it.path + ".link.mrrs", "only endpoints issue read requests; set it on the endpoint");
    }
    if (port.link.rcb != defaults.rcb) {
      fail(it.path + ".link.rcb",
           "the root complex's completions to an endpoint; set it on the endpoint");
    }
  }
  void parse_acs(Item& it, const std::string& cap, const std::string& ctl) {
    const auto c = acs::parse(cap);
    const auto e = acs::parse(ctl);
    if (!c) fail(it.path + ".acs_capability", "unknown ACS control in \"" + cap + "\"");
    if (!e) fail(it.path + ".acs_control", "unknown ACS control in \"" + ctl + "\"");
    if (!c || !e) return;
    it.has_acs = !cap.empty();
    it.acs_capability = *c;
    it.acs_control = *e;
    if (const std::uint8_t missing = *e & ~*c; missing != 0) {
      fail(it.path + ".acs_control",
           acs::to_string(missing) + " enabled on " + it.name +
               (it.has_acs ? ", which does not implement it" : ", which has no ACS capability"));
    }
  }

  // After the checks on the part's own ACS registers: Linux's quirk table,
  // if it knows the part, replaces them (pci_acs_enabled asks it first).
  void apply_quirk(Item& it, std::uint32_t vendor, std::uint32_t device) {
    if (device != 0 && vendor == 0) {
      fail(it.path + ".device_id", "is given without vendor_id");
      return;
    }
    it.vendor_id = static_cast<std::uint16_t>(vendor);
    it.device_id = static_cast<std::uint16_t>(device);
    const auto q = acs::find_quirk(it.vendor_id, it.device_id, it.kind,
                                   {it.has_acs, it.acs_capability, it.acs_control});
    if (!q) return;
    it.acs_quirk = q->linux_function;
    it.has_acs = q->acs.has_acs;
    it.acs_capability = q->acs.capability;
    it.acs_control = q->acs.control;
  }

  // "1c.4": device and function in hex, as lspci prints them.
  std::optional<std::pair<int, int>> parse_devfn(const std::string& path, const std::string& text) {
    unsigned dev = 0, fn = 0;
    char dot = 0, extra = 0;
    if (std::sscanf(text.c_str(), "%x%c%x%c", &dev, &dot, &fn, &extra) != 3 || dot != '.' ||
        dev > 31 || fn > 7 ||
        text.find_first_not_of("0123456789abcdefABCDEF.") != std::string::npos) {
      fail(path,
           "must be device.function in hex, device 00-1f and function 0-7 (got \"" + text + "\")");
      return std::nullopt;
    }
    return std::pair{static_cast<int>(dev), static_cast<int>(fn)};
  }

  // An endpoint's function numbers: "0,3", or from its devfn's function on.
  void set_functions(Item& it, const EndpointParams& ep, std::optional<int> first) {
    if (ep.function_numbers.empty()) {
      const int from = first.value_or(0);
      if (from + static_cast<int>(ep.functions) > 8) {
        fail(it.path + ".functions", std::to_string(ep.functions) + " functions from function " +
                                         std::to_string(from) + " pass function 7");
        return;
      }
      it.fns.clear();
      for (std::uint32_t f = 0; f < ep.functions; ++f) it.fns.push_back(from + f);
      return;
    }
    std::set<int> numbers;
    std::size_t at = 0;
    while (at <= ep.function_numbers.size()) {
      const std::size_t comma =
          std::min(ep.function_numbers.find(',', at), ep.function_numbers.size());
      const std::string one = ep.function_numbers.substr(at, comma - at);
      if (one.size() != 1 || one[0] < '0' || one[0] > '7' || !numbers.insert(one[0] - '0').second) {
        fail(it.path + ".function_numbers",
             "must list distinct functions 0-7 separated by commas (got \"" + ep.function_numbers +
                 "\")");
        return;
      }
      at = comma + 1;
    }
    if (ep.functions != 1 && ep.functions != numbers.size()) {
      fail(it.path + ".functions", "is " + std::to_string(ep.functions) +
                                       " but function_numbers lists " +
                                       std::to_string(numbers.size()));
      return;
    }
    if (first && *first != *numbers.begin()) {
      fail(it.path + ".devfn", "names function " + std::to_string(*first) +
                                   " but function_numbers starts at " +
                                   std::to_string(*numbers.begin()));
      return;
    }
    it.fns.assign(numbers.begin(), numbers.end());
  }

  void check_sriov(Item& it, const EndpointParams& ep) {
    const SriovParams& s = ep.sriov;
    if (s.vfs == 0) return;
    if (ep.kind != "pcie" || it.fns.size() != 1) {
      fail(it.path + ".sriov.vfs", "SR-IOV is modelled on a single-function PCIe endpoint");
      return;
    }
    if (s.vf_bar_size != 0 && (!std::has_single_bit(s.vf_bar_size) || s.vf_bar_size < 4096)) {
      fail(it.path + ".sriov.vf_bar_size", "must be 0 or a power of two of at least 4 KiB");
      return;
    }
    it.sriov = s;
    for (std::uint32_t v = 0; v < s.vfs; ++v) {
      claim_name(ep.name + ".vf" + std::to_string(v), it.path + ".sriov.vfs");
    }
  }

  // VF v's (0-based) routing ID: the PF's + First VF Offset + v x VF Stride.
  static std::uint32_t vf_rid(const Item& pf, std::uint32_t v) {
    const std::uint32_t pf_rid = (std::uint32_t{pf.bus} << 8) |
                                 (static_cast<std::uint32_t>(pf.device) << 3) | pf.fns.front();
    return pf_rid + pf.sriov.first_vf_offset + v * pf.sriov.vf_stride;
  }

  void claim_name(const std::string& name, const std::string& path) {
    if (name.empty()) {
      fail(path, "is required");
    } else if (!names_.insert(name).second) {
      fail(path, "duplicate name \"" + name + "\"");
    }
  }

  void declare() {
    for (std::size_t i = 0; i < p_.ports.size(); ++i) {
      const auto& port = p_.ports[i];
      Item it;
      it.name = port.name;
      it.path = "pcie.ports[" + std::to_string(i) + "]";
      it.kind = port.kind == "switch_upstream"   ? NodeKind::SwitchUpstream
                : port.kind == "downstream_port" ? NodeKind::SwitchDownstream
                : port.kind == "pci_bridge"      ? NodeKind::PciBridge
                                                 : NodeKind::RootPort;
      claim_name(it.name, it.path + ".name");
      parse_acs(it, port.acs_capability, port.acs_control);
      it.egress_vector = port.egress_vector;
      it.link = port.link;
      check_port_link(it, port);
      it.rr_enforced = port.bug != "acs_rr_not_enforced";
      if (!it.rr_enforced && it.kind != NodeKind::SwitchDownstream) {
        fail(it.path + ".bug", "acs_rr_not_enforced models a switch downstream port");
      } else if (!it.rr_enforced && (it.acs_control & acs::kRr) == 0) {
        fail(it.path + ".bug", "acs_rr_not_enforced needs rr in acs_control");
      }
      it.bar_size = port.bar_size;
      if (port.bar_size != 0 && it.kind != NodeKind::PciBridge) {
        fail(it.path + ".bar_size", "only a pci_bridge has a BAR of its own here");
      } else if (port.bar_size != 0 &&
                 (!std::has_single_bit(port.bar_size) || port.bar_size < 4096)) {
        fail(it.path + ".bar_size", "must be 0 or a power of two of at least 4 KiB");
      }
      if (it.egress_vector != 0 && (it.acs_control & acs::kEc) == 0) {
        fail(it.path + ".egress_vector", "is set but egress control (ec) is not enabled");
      }
      apply_quirk(it, port.vendor_id, port.device_id);
      if (!port.devfn.empty()) {
        if (const auto df = parse_devfn(it.path + ".devfn", port.devfn)) {
          it.requested = df->first;
          it.fns = {static_cast<std::uint8_t>(df->second)};
        }
      }
      items_.push_back(std::move(it));
      parents_.push_back(port.parent);
    }
    for (std::size_t i = 0; i < p_.endpoints.size(); ++i) {
      const auto& ep = p_.endpoints[i];
      Item it;
      it.name = ep.name;
      it.path = "pcie.endpoints[" + std::to_string(i) + "]";
      it.kind = ep.kind == "rc_integrated" ? NodeKind::RcIntegrated
                : ep.kind == "pci"         ? NodeKind::ConventionalPci
                                           : NodeKind::Endpoint;
      std::optional<int> first;
      if (!ep.devfn.empty()) {
        if (ep.device != 0) fail(it.path + ".devfn", "give devfn or device, not both");
        if (const auto df = parse_devfn(it.path + ".devfn", ep.devfn)) {
          it.requested = df->first;
          first = df->second;
        }
      } else if (ep.device != 0 || ep.kind == "pcie") {
        it.requested = static_cast<int>(ep.device);
      }
      set_functions(it, ep, first);
      it.bar_size = ep.bar_size;
      claim_name(it.name, it.path + ".name");
      if (it.fns.size() > 1) {
        for (const std::uint8_t f : it.fns) {
          claim_name(ep.name + "." + std::to_string(f), it.path + ".name");
        }
      }
      if (ep.bar_size != 0 && (!std::has_single_bit(ep.bar_size) || ep.bar_size < 4096)) {
        fail(it.path + ".bar_size", "must be 0 or a power of two of at least 4 KiB");
      }
      parse_acs(it, ep.acs_capability, ep.acs_control);
      apply_quirk(it, ep.vendor_id, ep.device_id);
      it.ats = ep.ats;
      it.link = ep.link;
      if (ep.kind != "pcie" &&
          (ep.link.gen != LinkParams{}.gen || ep.link.width != LinkParams{}.width)) {
        fail(it.path + ".link", "a " + ep.kind +
                                    " device has no PCIe link of its own (gen and width belong to "
                                    "its bridge's or the root complex's)");
      }
      it.tags = ep.tags;
      check_sriov(it, ep);
      it.dma_latency_ns = ep.dma_latency_ns;
      if (ep.ats.enabled && ep.kind == "pci") {
        fail(it.path + ".ats.enabled",
             "ATS is a PCIe capability; a conventional PCI device has none");
      }
      if (!ep.spoof_requester_id.empty()) {
        unsigned b = 0, d = 0, f = 0;
        char tail = 0;
        if (std::sscanf(ep.spoof_requester_id.c_str(), "%x:%x.%x%c", &b, &d, &f, &tail) != 3 ||
            b > 255 || d > 31 || f > 7) {
          fail(it.path + ".spoof_requester_id", "must be a BDF \"bb:dd.f\" (hex)");
        } else {
          it.spoof = Bdf{static_cast<std::uint8_t>(b), static_cast<std::uint8_t>(d),
                         static_cast<std::uint8_t>(f)};
        }
      }
      items_.push_back(std::move(it));
      parents_.push_back(ep.parent);
    }
  }

  // Resolves parents, adds a root port for each parentless PCIe endpoint,
  // and checks that every element hangs where its kind may.
  void link() {
    std::map<std::string, int> by_name;
    for (std::size_t i = 0; i < items_.size(); ++i) by_name[items_[i].name] = static_cast<int>(i);
    const std::size_t declared = items_.size();
    for (std::size_t i = 0; i < declared; ++i) {
      Item& it = items_[i];
      const std::string& parent = parents_[i];
      if (parent.empty()) {
        if (it.kind == NodeKind::Endpoint) {
          // A root port of its own, as a single endpoint per slot has.
          Item rp;
          rp.name = it.name + ".rp";
          rp.path = it.path;
          rp.kind = NodeKind::RootPort;
          items_.push_back(rp);
          const int rp_index = static_cast<int>(items_.size()) - 1;
          items_[i].parent = rp_index;
          items_[rp_index].children.push_back(static_cast<int>(i));
          bus0_.push_back(rp_index);
          continue;
        }
        if (it.kind == NodeKind::RootPort || it.kind == NodeKind::RcIntegrated) {
          bus0_.push_back(static_cast<int>(i));
          continue;
        }
        fail(it.path + ".parent", "a " + std::string(kind_name(it.kind)) + " needs a parent port");
        continue;
      }
      const auto found = by_name.find(parent);
      if (found == by_name.end() || found->second >= static_cast<int>(p_.ports.size())) {
        fail(it.path + ".parent", "no port named \"" + parent + "\"");
        continue;
      }
      const int pi = found->second;
      const NodeKind pk = items_[pi].kind;
      bool allowed = false;
      switch (it.kind) {
        case NodeKind::RootPort:
        case NodeKind::RcIntegrated:
          break;  // on the root complex: no parent
        case NodeKind::SwitchUpstream:
        case NodeKind::PciBridge:
        case NodeKind::Endpoint:
          allowed = pk == NodeKind::RootPort || pk == NodeKind::SwitchDownstream;
          break;
        case NodeKind::SwitchDownstream:
          allowed = pk == NodeKind::SwitchUpstream;
          break;
        case NodeKind::ConventionalPci:
          allowed = pk == NodeKind::PciBridge;
          break;
      }
      if (!allowed) {
        fail(it.path + ".parent", "a " + std::string(kind_name(it.kind)) + " cannot sit below " +
                                      parent + " (a " + std::string(kind_name(pk)) + ")");
        continue;
      }
      // PCIe Base spec 1.3: a link connects one port to one device.
      if ((pk == NodeKind::RootPort || pk == NodeKind::SwitchDownstream) &&
          !items_[pi].children.empty()) {
        fail(it.path + ".parent",
             parent + "'s link already carries " + items_[items_[pi].children.front()].name);
        continue;
      }
      it.parent = pi;
      items_[pi].children.push_back(static_cast<int>(i));
    }
    refuse_cycles();
  }

  // Ports whose parents lead back to themselves never reach the root complex:
  // enumeration, which starts there, would not see them at all.
  void refuse_cycles() {
    // 0: not looked at; 1: on the chain being followed; 2: settled.
    std::vector<std::uint8_t> state(items_.size(), 0);
    for (std::size_t i = 0; i < items_.size(); ++i) {
      std::vector<int> chain;
      int at = static_cast<int>(i);
      while (at >= 0 && state[at] == 0) {
        state[at] = 1;
        chain.push_back(at);
        at = items_[at].parent;
      }
      if (at >= 0 && state[at] == 1) {
        // Back on the chain: from `at` to the chain's end is a cycle.
        std::string names;
        for (auto c = std::find(chain.begin(), chain.end(), at); c != chain.end(); ++c) {
          names += items_[*c].name + " -> ";
        }
        fail(items_[at].path + ".parent", "forms a cycle: " + names + items_[at].name);
      }
      for (int c : chain) state[c] = 2;
    }
  }

  // Device numbers: those the config asks for first, then root ports 1..
  // on bus 0 (0 is the host bridge's), integrated endpoints 16.. there,
  // downstream ports and conventional devices 0.. on their bus; below a
  // root or downstream port the one device of the link is device 0 (PCIe
  // Base spec 7.3.1, ARI aside). Several items on one device number are
  // the functions of one multi-function device.
  void number_devices() {
    number_bus(bus0_, "bus 0", -1);
    for (std::size_t b = 0; b < items_.size(); ++b) {
      if (is_bridge(items_[b].kind)) number_bus(items_[b].children, items_[b].name + "'s bus", b);
    }
  }

  void number_bus(std::vector<int>& on_bus, const std::string& bus, std::size_t bridge) {
    const bool root = bridge == static_cast<std::size_t>(-1);
    const bool link = !root && (items_[bridge].kind == NodeKind::RootPort ||
                                items_[bridge].kind == NodeKind::SwitchDownstream);
    std::map<std::pair<int, int>, int> taken;  // (device, function) -> item
    std::set<int> devices;
    const auto claim = [&](int i) {
      Item& it = items_[i];
      for (const std::uint8_t f : it.fns) {
        const auto [at, fresh] = taken.emplace(std::pair{it.device, static_cast<int>(f)}, i);
        if (!fresh) {
          char where[8];
          std::snprintf(where, sizeof where, "%02x.%x", it.device, f);
          fail(it.path + ".devfn",
               std::string(where) + " on " + bus + " is " + items_[at->second].name + "'s already");
        }
      }
      devices.insert(it.device);
    };
    for (int i : on_bus) {
      Item& it = items_[i];
      if (it.requested < 0) continue;
      if (link && it.requested != 0) {
        fail(it.path + ".devfn", "below " + items_[bridge].name +
                                     " the link's device is device 00 (PCIe Base spec 7.3.1)");
      }
      it.device = it.requested;
      claim(i);
    }
    // Automatic numbers: on bus 0 root ports from 1 and integrated
    // endpoints from 16 (0 stays the host bridge's), elsewhere from 0.
    std::set<int> avoid = devices;
    if (root) avoid.insert(0);
    for (const bool integrated : {false, true}) {
      int next = root ? (integrated ? 16 : 1) : 0;
      for (int i : on_bus) {
        Item& it = items_[i];
        if (it.requested >= 0 || (it.kind == NodeKind::RcIntegrated) != integrated) continue;
        while (avoid.contains(next)) ++next;
        if (next > 31) {
          fail(it.path, bus + " has no device number left for it");
          continue;
        }
        it.device = next;
        avoid.insert(next);
        claim(i);
      }
    }
    std::map<int, int> per_device;
    for (int i : on_bus) ++per_device[items_[i].device];
    for (int i : on_bus) {
      Item& it = items_[i];
      it.multifunction = it.fns.size() > 1 || per_device[it.device] > 1;
    }
    // In device and function order: the order the bus is scanned in.
    std::sort(on_bus.begin(), on_bus.end(), [&](int a, int b) {
      return std::pair{items_[a].device, items_[a].fns.front()} <
             std::pair{items_[b].device, items_[b].fns.front()};
    });
  }

  // Depth-first bus numbers, as firmware assigns them (PCI-to-PCI Bridge
  // spec 3.2.5.3: secondary, then the subtree, then subordinate).
  void assign_buses(int b, std::uint8_t& last) {
    Item& bridge = items_[b];
    if (last == 255) {
      fail(bridge.path, "bus numbers exhausted at " + bridge.name + " (256 buses)");
      return;
    }
    bridge.secondary = ++last;
    for (int c : bridge.children) {
      items_[c].bus = bridge.secondary;
      if (is_bridge(items_[c].kind)) assign_buses(c, last);
      if (items_[c].sriov.vfs != 0) vf_buses(items_[c], last);
      if (!errors_.empty()) return;
    }
    bridge.subordinate = last;
  }

  // The bus numbers a PF's VFs take past its own bus: the bridge above
  // covers them (Linux pci_iov_bus_range).
  void vf_buses(const Item& pf, std::uint8_t& last) {
    const std::uint32_t top = vf_rid(pf, pf.sriov.vfs - 1);
    if (top > 0xffff) {
      fail(pf.path + ".sriov.vfs", "VF routing IDs run past ff:1f.7");
      return;
    }
    last = std::max<std::uint8_t>(last, static_cast<std::uint8_t>(top >> 8));
  }

  // BARs naturally aligned, bridge windows 1 MiB aligned and covering
  // their subtree, all inside the MMIO window.
  void place(int i, std::uint64_t& cursor) {
    Item& it = items_[i];
    const std::uint64_t limit = p_.mmio_base + p_.mmio_size;
    if (is_bridge(it.kind)) {
      // The bridge's own BAR sits on its primary bus, outside its window.
      if (it.bar_size != 0) {
        const std::uint64_t bar = align_up(cursor, it.bar_size);
        if (bar + it.bar_size > limit) {
          if (errors_.empty()) {
            fail(it.path + ".bar_size", it.name + "'s BAR does not fit in the MMIO window");
          }
          return;
        }
        it.bar_base.push_back(bar);
        cursor = bar + it.bar_size;
      }
      const std::uint64_t base = align_up(cursor, kWindowAlign);
      std::uint64_t c = base;
      for (int child : it.children) place(child, c);
      const std::uint64_t end = align_up(c, kWindowAlign);
      if (end > base) {
        it.window_base = base;
        it.window_size = end - base;
        cursor = end;
      }
      return;
    }
    for (std::size_t f = 0; f < it.fns.size(); ++f) {
      if (it.bar_size == 0) {
        it.bar_base.push_back(0);
        continue;
      }
      const std::uint64_t base = align_up(cursor, it.bar_size);
      if (base + it.bar_size > limit || base < cursor) {
        if (errors_.empty()) {
          fail(it.path + ".bar_size",
               it.name + "'s BAR does not fit in the MMIO window (pcie.mmio_base " +
                   "+ pcie.mmio_size)");
        }
        it.bar_base.push_back(0);
        continue;
      }
      it.bar_base.push_back(base);
      cursor = base + it.bar_size;
    }
    // The VF BAR aperture: NumVFs BARs in a row, aligned to one (spec 9.3.3.14).
    if (it.sriov.vfs != 0 && it.sriov.vf_bar_size != 0) {
      std::uint64_t base = align_up(cursor, it.sriov.vf_bar_size);
      for (std::uint32_t v = 0; v < it.sriov.vfs; ++v, base += it.sriov.vf_bar_size) {
        it.vf_bar_base.push_back(base);
      }
      if (base > limit) {
        if (errors_.empty()) {
          fail(it.path + ".sriov.vf_bar_size",
               it.name + "'s VF BARs do not fit in the MMIO window");
        }
        return;
      }
      cursor = base;
    }
  }

  // Emits the nodes of one bus, then of each bridge's bus in turn: the
  // order Linux adds (and so probes) devices (pci_bus_add_devices).
  void emit_bus(const std::vector<int>& on_bus, int bridge_node, Topology& t) {
    std::vector<std::pair<int, int>> bridges;  // item, node
    for (int i : on_bus) {
      const Item& it = items_[i];
      const bool bridge = is_bridge(it.kind);
      for (std::size_t k = 0; k < it.fns.size(); ++k) {
        const std::uint8_t f = it.fns[k];
        TopoNode n;
        n.name = bridge || it.fns.size() == 1 ? it.name : it.name + "." + std::to_string(f);
        n.kind = it.kind;
        n.link = it.link;
        n.bridge = bridge_node;
        n.bdf = Bdf{it.bus, static_cast<std::uint8_t>(it.device), f};
        n.multifunction = it.multifunction;
        n.has_acs = it.has_acs;
        n.acs_capability = it.acs_capability;
        n.acs_control = it.acs_control;
        n.vendor_id = it.vendor_id;
        n.device_id = it.device_id;
        n.acs_quirk = it.acs_quirk;
        n.egress_vector = it.egress_vector;
        n.rr_enforced = it.rr_enforced;
        n.secondary = it.secondary;
        n.subordinate = it.subordinate;
        n.window_base = it.window_base;
        n.window_size = it.window_size;
        if (bridge && it.bar_size != 0) {
          n.bar_size = it.bar_size;
          n.bar_base = it.bar_base.front();
        }
        if (!bridge) {
          n.bar_size = it.bar_size;
          n.bar_base = it.bar_base[k];
          n.requester_id = n.bdf;
          // A PCIe-to-PCI bridge forwards conventional requests with its
          // secondary bus and devfn 0 (Linux pci_for_each_dma_alias).
          if (it.kind == NodeKind::ConventionalPci) {
            n.requester_id = Bdf{items_[it.parent].secondary, 0, 0};
          }
          n.wire_id = it.spoof.value_or(n.requester_id);
          n.ats = it.ats;
          n.tags = it.tags;
          n.dma_latency_ns = it.dma_latency_ns;
        }
        if (it.sriov.vfs != 0) items_[i].node = static_cast<int>(t.nodes.size());
        t.nodes.push_back(std::move(n));
        if (bridge) bridges.emplace_back(i, static_cast<int>(t.nodes.size()) - 1);
      }
    }
    for (const auto& [item, node] : bridges) emit_bus(items_[item].children, node, t);
  }

  void emit_vfs(const Item& pf, Topology& t) {
    const TopoNode parent = t.nodes[pf.node];
    for (std::uint32_t v = 0; v < pf.sriov.vfs; ++v) {
      TopoNode n;
      n.name = pf.name + ".vf" + std::to_string(v);
      n.kind = NodeKind::Endpoint;
      n.bridge = parent.bridge;
      n.physfn = pf.node;
      n.bdf = Bdf::from_rid(static_cast<std::uint16_t>(vf_rid(pf, v)));
      n.requester_id = n.bdf;
      n.wire_id = n.bdf;
      n.bar_size = pf.sriov.vf_bar_size;
      n.bar_base = pf.sriov.vf_bar_size != 0 ? pf.vf_bar_base[v] : 0;
      n.ats = parent.ats;
      n.tags = parent.tags;
      n.link = parent.link;
      n.dma_latency_ns = parent.dma_latency_ns;
      t.nodes.push_back(std::move(n));
    }
  }

  const PcieParams& p_;
  std::vector<Item> items_;
  std::vector<std::string> parents_;
  std::vector<int> bus0_;
  std::set<std::string> names_;
  std::vector<ConfigError> errors_;
};

}  // namespace

std::vector<ConfigError> build_topology(const PcieParams& p, Topology& out) {
  return Builder(p).run(out);
}

}  // namespace iommu_sim
