#include "pcie/import_items.h"

#include <cstdio>

#include "pcie/acs.h"

namespace iommu_sim {

namespace {

// The config's spelling of a set of controls: "sv,rr,cr,uf".
std::string config_controls(std::uint8_t bits) {
  std::string out;
  for (const auto& [bit, name] :
       {std::pair{acs::kSv, "sv"}, std::pair{acs::kTb, "tb"}, std::pair{acs::kRr, "rr"},
        std::pair{acs::kCr, "cr"}, std::pair{acs::kUf, "uf"}, std::pair{acs::kEc, "ec"},
        std::pair{acs::kDt, "dt"}}) {
    if ((bits & bit) == 0) continue;
    if (!out.empty()) out += ',';
    out += name;
  }
  return out;
}

std::string config_kind(const ImportItem& item) {
  switch (item.kind) {
    case NodeKind::RootPort:
      return "root_port";
    case NodeKind::SwitchUpstream:
      return "switch_upstream";
    case NodeKind::SwitchDownstream:
      return "downstream_port";
    case NodeKind::PciBridge:
      return "pci_bridge";
    case NodeKind::RcIntegrated:
      return "rc_integrated";
    case NodeKind::ConventionalPci:
      return "pci";
    case NodeKind::Endpoint:
      break;
  }
  return "pcie";
}

std::string hex4(std::uint16_t v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%04x", v);
  return buf;
}

std::string devfn(const ImportItem& item) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02x.%x", item.device, item.functions.front());
  return buf;
}

std::string function_numbers(const ImportItem& item) {
  std::string out;
  for (const std::uint8_t f : item.functions) {
    if (!out.empty()) out += ',';
    out += static_cast<char>('0' + f);
  }
  return out;
}

// Sizes as the shipped configs write them: "16KiB", "256MiB".
nlohmann::ordered_json size_json(std::uint64_t bytes) {
  constexpr std::pair<std::uint64_t, const char*> kUnits[] = {
      {1ull << 40, "TiB"}, {1ull << 30, "GiB"}, {1ull << 20, "MiB"}, {1ull << 10, "KiB"}};
  for (const auto& [unit, name] : kUnits) {
    if (bytes != 0 && bytes % unit == 0) return std::to_string(bytes / unit) + name;
  }
  return bytes;
}

}  // namespace

acs::Registers own_registers(const ImportItem& item) {
  switch (item.acs) {
    case AcsSetting::None:
      return {};
    case AcsSetting::On:
      return {true, acs::kIsolated, acs::kIsolated};
    case AcsSetting::Off:
      return {true, acs::kIsolated, 0};
    case AcsSetting::Stated:
      break;
  }
  return {item.acs_capability != 0, item.acs_capability, item.acs_control};
}

acs::Registers effective_registers(const ImportItem& item) {
  const acs::Registers own = own_registers(item);
  if (item.ids_left_out) return own;
  const auto q = acs::find_quirk(item.vendor_id, item.device_id, item.kind, own);
  return q ? q->acs : own;
}

std::string_view item_quirk(const ImportItem& item) {
  if (item.ids_left_out) return {};
  const auto q = acs::find_quirk(item.vendor_id, item.device_id, item.kind, own_registers(item));
  return q ? q->linux_function : std::string_view{};
}

std::string_view grouping_name(GroupingRules era) {
  return era == GroupingRules::Legacy ? "legacy" : "current";
}

PcieParams pcie_params(const std::vector<ImportItem>& items, GroupingRules era) {
  PcieParams p;
  p.grouping = grouping_name(era);
  p.endpoints.clear();
  for (const ImportItem& it : items) {
    const acs::Registers own = own_registers(it);
    const std::string cap = own.has_acs ? config_controls(own.capability) : "";
    const std::string ctl = own.has_acs ? config_controls(own.control) : "";
    const std::string parent = it.parent < 0 ? "" : items[it.parent].name;
    const std::uint32_t vendor = it.ids_left_out ? 0 : it.vendor_id;
    const std::uint32_t device = it.ids_left_out ? 0 : it.device_id;
    if (it.port) {
      PortParams port{.name = it.name,
                      .kind = config_kind(it),
                      .parent = parent,
                      .acs_capability = cap,
                      .acs_control = ctl,
                      .vendor_id = vendor,
                      .device_id = device,
                      .devfn = devfn(it),
                      .egress_vector = it.egress_vector,
                      .bar_size = it.bar_size.value_or(0)};
      p.ports.push_back(std::move(port));
      continue;
    }
    EndpointParams ep{.name = it.name, .kind = config_kind(it), .parent = parent};
    ep.devfn = devfn(it);
    if (it.functions.size() > 1) ep.function_numbers = function_numbers(it);
    ep.acs_capability = cap;
    ep.acs_control = ctl;
    ep.vendor_id = vendor;
    ep.device_id = device;
    if (it.bar_size) ep.bar_size = *it.bar_size;
    ep.sriov = it.sriov;
    p.endpoints.push_back(std::move(ep));
  }
  return p;
}

nlohmann::ordered_json item_json(const ImportItem& item, const std::vector<ImportItem>& items) {
  nlohmann::ordered_json j;
  j["name"] = item.name;
  j["kind"] = config_kind(item);
  if (item.parent >= 0) j["parent"] = items[item.parent].name;
  j["devfn"] = devfn(item);
  if (item.functions.size() > 1) j["function_numbers"] = function_numbers(item);
  if (item.vendor_id != 0 && !item.ids_left_out) {
    j["vendor_id"] = hex4(item.vendor_id);
    j["device_id"] = hex4(item.device_id);
  }
  if (const acs::Registers own = own_registers(item); own.has_acs) {
    j["acs_capability"] = config_controls(own.capability);
    j["acs_control"] = config_controls(own.control);
  }
  if (item.egress_vector != 0) j["egress_vector"] = item.egress_vector;
  if (item.bar_size && (!item.port || *item.bar_size != 0))
    j["bar_size"] = size_json(*item.bar_size);
  if (item.sriov.vfs != 0) {
    nlohmann::ordered_json s;
    s["vfs"] = item.sriov.vfs;
    s["first_vf_offset"] = item.sriov.first_vf_offset;
    s["vf_stride"] = item.sriov.vf_stride;
    s["vf_bar_size"] = size_json(item.sriov.vf_bar_size);
    j["sriov"] = s;
  }
  return j;
}

}  // namespace iommu_sim
