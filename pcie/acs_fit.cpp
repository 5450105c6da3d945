#include "pcie/acs_fit.h"

#include <map>
#include <set>

#include "pcie/acs.h"

namespace iommu_sim {

namespace {

// Nothing converges slower than one setting per pass; a handful of passes
// is as many as a real machine needed, and bounds a crafted listing.
constexpr int kMaxPasses = 8;

struct Listing {
  std::map<std::string, int> group_of;  // node name -> listed group
  const std::vector<std::vector<std::string>>& groups;
};

// The devices of listed groups the topology does not reproduce; their
// number when `names` is null.
std::size_t unreproduced(const std::vector<ImportItem>& items, GroupingRules era,
                         const Listing& listing, std::vector<std::string>* names) {
  Topology t;
  std::size_t count = 0;
  const bool built = build_topology(pcie_params(items, era), t).empty();
  std::map<int, std::size_t> listed_in;  // computed group -> listed devices in it
  std::map<std::string, int> computed;
  if (built) {
    for (const TopoNode& n : t.nodes) {
      if (listing.group_of.contains(n.name)) {
        computed[n.name] = n.group;
        ++listed_in[n.group];
      }
    }
  }
  for (const auto& g : listing.groups) {
    bool same = built && !g.empty() && computed.contains(g.front());
    const int group = same ? computed[g.front()] : -1;
    for (const std::string& name : g)
      same = same && computed.contains(name) && computed[name] == group;
    if (same && listed_in[group] == g.size()) continue;
    count += g.size();
    if (names != nullptr) names->insert(names->end(), g.begin(), g.end());
  }
  return count;
}

bool together(const Listing& l, const std::string& a, const std::string& b) {
  const auto x = l.group_of.find(a);
  const auto y = l.group_of.find(b);
  return x != l.group_of.end() && y != l.group_of.end() && x->second == y->second;
}

bool any_together(const Listing& l, const std::vector<std::string>& a,
                  const std::vector<std::string>& b) {
  for (const std::string& x : a) {
    for (const std::string& y : b) {
      if (x != y && together(l, x, y)) return true;
    }
  }
  return false;
}

// The items that share the item's slot (the same bus and device number).
std::vector<int> slot_of(const std::vector<ImportItem>& items, int i) {
  std::vector<int> out;
  for (int j = 0; j < static_cast<int>(items.size()); ++j) {
    if (j != i && items[j].parent == items[i].parent && items[j].device == items[i].device) {
      out.push_back(j);
    }
  }
  return out;
}

// (has the capability, Linux takes SV, RR, CR and UF for enabled): all
// that the grouping rules ask of a device's ACS.
std::pair<bool, bool> meaning(const acs::Registers& r) {
  return {r.has_acs, acs::flags_enabled(r.has_acs, r.capability, r.control, acs::kIsolated)};
}

// Whether the grouping rules look at the item's ACS at all
// (pci_acs_enabled): root and downstream ports always, endpoints and
// upstream ports as functions of a multi-function device.
bool acs_matters(const ImportItem& it) {
  switch (it.kind) {
    case NodeKind::RootPort:
    case NodeKind::SwitchDownstream:
      return true;
    case NodeKind::Endpoint:
    case NodeKind::RcIntegrated:
    case NodeKind::SwitchUpstream:
      return it.multifunction;
    default:
      return false;
  }
}

// The first guess for one item, from its listed group (acs_fit.h).
void guess(std::vector<ImportItem>& items, int i, GroupingRules era, const Listing& l) {
  ImportItem& it = items[i];
  const bool legacy = era == GroupingRules::Legacy;
  std::vector<std::string> below;
  for (const ImportItem& c : items) {
    if (c.parent == i) below.insert(below.end(), c.nodes.begin(), c.nodes.end());
  }
  const bool joins = any_together(l, it.nodes, below);
  bool with_slot = it.nodes.size() > 1 && any_together(l, it.nodes, it.nodes);
  for (const int j : slot_of(items, i))
    with_slot = with_slot || any_together(l, it.nodes, items[j].nodes);
  switch (it.kind) {
    case NodeKind::RootPort:
      it.acs = joins ? (legacy ? AcsSetting::None : AcsSetting::Off)
                     : (!legacy && with_slot ? AcsSetting::None : AcsSetting::On);
      break;
    case NodeKind::SwitchDownstream: {
      if (legacy) {
        it.acs = joins ? AcsSetting::None : AcsSetting::On;
        break;
      }
      bool with_ports = false;
      for (int j = 0; j < static_cast<int>(items.size()); ++j) {
        with_ports = with_ports || (j != i && items[j].port && items[j].parent == it.parent &&
                                    any_together(l, it.nodes, items[j].nodes));
      }
      const bool with_upstream =
          it.parent >= 0 && any_together(l, it.nodes, items[it.parent].nodes);
      it.acs = with_upstream ? AcsSetting::None : with_ports ? AcsSetting::Off : AcsSetting::On;
      break;
    }
    case NodeKind::PciBridge:
      it.bar_size = !legacy && joins ? 4096 : 0;
      break;
    case NodeKind::Endpoint:
    case NodeKind::RcIntegrated:
    case NodeKind::SwitchUpstream:
      if (it.multifunction) it.acs = with_slot ? AcsSetting::None : AcsSetting::On;
      break;
    case NodeKind::ConventionalPci:
      break;
  }
  // Written IDs whose quirk says otherwise than the listing would undo
  // the guess: leave them out.
  it.ids_left_out = acs_matters(it) && it.vendor_id != 0 &&
                    meaning(effective_registers(it)) != meaning(own_registers(it));
}

// Where a quirk already gives what the registers would, the registers
// need not claim a capability the part may well not have.
void let_quirk_decide(ImportItem& it) {
  if (it.acs == AcsSetting::None || it.acs == AcsSetting::Stated || item_quirk(it).empty()) return;
  ImportItem bare = it;
  bare.acs = AcsSetting::None;
  if (!item_quirk(bare).empty() &&
      meaning(effective_registers(bare)) == meaning(effective_registers(it))) {
    it.acs = AcsSetting::None;
  }
}

// The settings tried for an item, the current one first.
std::vector<ImportItem> alternatives(const ImportItem& it) {
  std::vector<AcsSetting> acs{it.acs};
  std::vector<std::optional<std::uint64_t>> bars{it.bar_size};
  switch (it.kind) {
    case NodeKind::RootPort:
    case NodeKind::SwitchDownstream:
      acs = {AcsSetting::On, AcsSetting::Off, AcsSetting::None};
      break;
    case NodeKind::PciBridge:
      bars = {0, 4096};
      break;
    default:
      if (it.multifunction) acs = {AcsSetting::On, AcsSetting::None};
      break;
  }
  std::vector<bool> ids{false};
  if (it.vendor_id != 0 && acs_matters(it)) ids.push_back(true);
  std::vector<ImportItem> out;
  for (const AcsSetting a : acs) {
    for (const auto& bar : bars) {
      for (const bool left_out : ids) {
        ImportItem alt = it;
        alt.acs = a;
        alt.bar_size = bar;
        alt.ids_left_out = left_out;
        out.push_back(std::move(alt));
      }
    }
  }
  return out;
}

}  // namespace

std::size_t mismatched_devices(const std::vector<ImportItem>& items, GroupingRules era,
                               const std::vector<std::vector<std::string>>& listed) {
  Listing l{{}, listed};
  for (std::size_t g = 0; g < listed.size(); ++g) {
    for (const std::string& name : listed[g]) l.group_of[name] = static_cast<int>(g);
  }
  return unreproduced(items, era, l, nullptr);
}

std::size_t fit_acs(std::vector<ImportItem>& items, GroupingRules era,
                    const std::vector<std::vector<std::string>>& listed) {
  Listing l{{}, listed};
  for (std::size_t g = 0; g < listed.size(); ++g) {
    for (const std::string& name : listed[g]) l.group_of[name] = static_cast<int>(g);
  }
  for (int i = 0; i < static_cast<int>(items.size()); ++i) {
    if (items[i].chosen) guess(items, i, era, l);
  }
  std::map<std::string, int> item_of;  // node name -> item
  for (int i = 0; i < static_cast<int>(items.size()); ++i) {
    for (const std::string& n : items[i].nodes) item_of[n] = i;
  }
  std::vector<std::string> wrong;
  std::size_t score = unreproduced(items, era, l, &wrong);
  for (int pass = 0; pass < kMaxPasses && score != 0; ++pass) {
    // The ports above each device that differs, and the functions of
    // their slots: what decides its group.
    std::set<int> near;
    for (const std::string& name : wrong) {
      for (int i = item_of.contains(name) ? item_of[name] : -1; i >= 0; i = items[i].parent) {
        near.insert(i);
        for (const int j : slot_of(items, i)) near.insert(j);
      }
    }
    const std::size_t before = score;
    for (const int i : near) {
      if (!items[i].chosen) continue;
      const ImportItem kept = items[i];
      for (ImportItem& alt : alternatives(kept)) {
        const ImportItem current = items[i];
        items[i] = std::move(alt);
        if (const std::size_t s = unreproduced(items, era, l, nullptr); s < score) {
          score = s;
        } else {
          items[i] = current;
        }
      }
    }
    if (score == before) break;
    wrong.clear();
    score = unreproduced(items, era, l, &wrong);
  }
  for (ImportItem& it : items) {
    if (it.chosen) let_quirk_decide(it);
  }
  return score;
}

}  // namespace iommu_sim
