// Enumeration (bus numbers, device numbers, windows, BARs, requester IDs)
// and IOMMU groups on hand-built topologies, each group written out, one
// per rule of Linux's pci_device_group / pci_bus_isolated; and every kind
// of bad topology refused with the element named.
#include <gtest/gtest.h>

#include <algorithm>

#include "model/config_loader.h"
#include "model/platform/platform_config.h"
#include "pcie/topology.h"
#include "pcie/topology_report.h"

namespace iommu_sim {
namespace {

using nlohmann::json;

const std::string kIso = "sv,rr,cr,uf";

PortParams port(std::string name, std::string kind, std::string parent = "", std::string cap = "",
                std::string ctl = "") {
  return {.name = std::move(name),
          .kind = std::move(kind),
          .parent = std::move(parent),
          .acs_capability = std::move(cap),
          .acs_control = std::move(ctl)};
}
EndpointParams ep(std::string name, std::string parent, std::uint32_t functions = 1) {
  return {.name = std::move(name), .parent = std::move(parent), .functions = functions};
}

Topology build(const PcieParams& p) {
  Topology t;
  const auto errors = build_topology(p, t);
  EXPECT_TRUE(errors.empty()) << errors.front().to_string();
  return t;
}

// Groups as sorted lists of names, sorted by their first member.
std::vector<std::vector<std::string>> groups(const Topology& t) {
  std::vector<std::vector<std::string>> out;
  for (const auto& g : t.groups) {
    std::vector<std::string> names;
    for (int i : g) names.push_back(t.nodes[i].name);
    std::sort(names.begin(), names.end());
    out.push_back(names);
  }
  std::sort(out.begin(), out.end());
  return out;
}
using Groups = std::vector<std::vector<std::string>>;

// A root port with ACS on, a switch below it with two downstream ports
// configured by `dsp_cap`/`dsp_ctl`, an endpoint on each.
PcieParams one_switch(const std::string& dsp_cap, const std::string& dsp_ctl) {
  PcieParams p;
  p.ports = {port("rp0", "root_port", "", kIso, kIso), port("sw", "switch_upstream", "rp0"),
             port("d0", "downstream_port", "sw", dsp_cap, dsp_ctl),
             port("d1", "downstream_port", "sw", dsp_cap, dsp_ctl)};
  p.endpoints = {ep("gpu", "d0"), ep("nic", "d1")};
  return p;
}

TEST(Topology, EnumeratesDepthFirstWithWindowsAroundTheirBars) {
  PcieParams p = one_switch(kIso, kIso);
  p.endpoints[0].bar_size = 16ull << 20;
  p.ports.push_back(port("rp1", "root_port"));
  p.endpoints.push_back(ep("nvme", "rp1"));
  const Topology t = build(p);
  auto at = [&](const char* n) { return t.nodes.at(t.find(n)); };
  EXPECT_EQ(at("rp0").bdf.to_string(), "00:01.0");
  EXPECT_EQ(at("rp1").bdf.to_string(), "00:02.0");
  EXPECT_EQ(at("rp0").secondary, 1);
  EXPECT_EQ(at("rp0").subordinate, 4);
  EXPECT_EQ(at("sw").bdf.to_string(), "01:00.0");
  EXPECT_EQ(at("sw").secondary, 2);
  EXPECT_EQ(at("d0").bdf.to_string(), "02:00.0");
  EXPECT_EQ(at("d1").bdf.to_string(), "02:01.0");
  EXPECT_EQ(at("gpu").bdf.to_string(), "03:00.0");
  EXPECT_EQ(at("nic").bdf.to_string(), "04:00.0");
  EXPECT_EQ(at("rp1").secondary, 5);
  EXPECT_EQ(at("nvme").bdf.to_string(), "05:00.0");
  // BARs naturally aligned from 0xC0000000; windows 1 MiB granular.
  EXPECT_EQ(at("gpu").bar_base, 0xC0000000u);
  EXPECT_EQ(at("nic").bar_base, 0xC1000000u);
  EXPECT_EQ(at("d0").window_base, 0xC0000000u);
  EXPECT_EQ(at("d0").window_size, 16u << 20);
  EXPECT_EQ(at("rp0").window_size, 17u << 20);
  EXPECT_EQ(at("nvme").bar_base, 0xC1100000u);
  // Probe order: bus 0's devices first, then each bridge's bus in turn.
  EXPECT_EQ(t.nodes[0].name, "rp0");
  EXPECT_EQ(t.nodes[1].name, "rp1");
}

TEST(Groups, SwitchWhoseDownstreamPortsLackAcsIsOneGroupWithItsUpstreamPort) {
  // pcie_switch_isolated: a DSP without the ACS capability leaves the USP
  // unshielded too (PCIE_NON_ISOLATED): everything from the USP down.
  EXPECT_EQ(groups(build(one_switch("", ""))), (Groups{{"d0", "d1", "gpu", "nic", "sw"}, {"rp0"}}));
}

TEST(Groups, DownstreamPortsWithAcsTurnedOffShareAGroupApartFromTheUpstreamPort) {
  // The capability is there but not enabled: PCIE_SWITCH_DSP_NON_ISOLATED,
  // the DSPs (and all below them) share a group, the USP keeps its own.
  EXPECT_EQ(groups(build(one_switch(kIso, "sv"))),
            (Groups{{"d0", "d1", "gpu", "nic"}, {"rp0"}, {"sw"}}));
}

TEST(Groups, AcsOnEveryPortGivesEveryFunctionItsOwnGroup) {
  EXPECT_EQ(groups(build(one_switch(kIso, kIso))),
            (Groups{{"d0"}, {"d1"}, {"gpu"}, {"nic"}, {"rp0"}, {"sw"}}));
}

TEST(Groups, ControlsADeviceDoesNotImplementCountAsOn) {
  // pci_acs_flags_enabled masks the required controls with the capability:
  // a DSP implementing only SV and RR, both on, isolates.
  EXPECT_EQ(groups(build(one_switch("sv,rr", "sv,rr"))),
            (Groups{{"d0"}, {"d1"}, {"gpu"}, {"nic"}, {"rp0"}, {"sw"}}));
}

TEST(Groups, RootPortWithAcsOffTakesItsDeviceInNoAcsCapabilityDoesNot) {
  // A root port link is point to point; with the ACS capability present but
  // off, requests may loop back to the port: PCIE_NON_ISOLATED.
  PcieParams p;
  p.ports = {port("rp0", "root_port", "", kIso, ""), port("rp1", "root_port")};
  p.endpoints = {ep("a", "rp0"), ep("b", "rp1")};
  EXPECT_EQ(groups(build(p)), (Groups{{"a", "rp0"}, {"b"}, {"rp1"}}));
}

// Two multi-function endpoints below isolating root ports: "plain" (three
// functions) without ACS, "acs" (two) with every control on.
PcieParams two_multifunction_devices() {
  PcieParams p;
  p.ports = {port("rp0", "root_port", "", kIso, kIso), port("rp1", "root_port", "", kIso, kIso)};
  p.endpoints = {ep("plain", "rp0", 3), ep("acs", "rp1", 2)};
  p.endpoints[1].acs_capability = kIso;
  p.endpoints[1].acs_control = kIso;
  return p;
}
const Groups kMultifunctionGroups{
    {"acs.0"}, {"acs.1"}, {"plain.0", "plain.1", "plain.2"}, {"rp0"}, {"rp1"}};

TEST(Groups, MultiFunctionDeviceWithoutAcsIsOneGroupWithAcsOnePerFunction) {
  EXPECT_EQ(groups(build(two_multifunction_devices())), kMultifunctionGroups);
}

TEST(Groups, ConventionalDevicesBehindABridgeShareTheBridgesAliasAndAGroup) {
  PcieParams p;
  p.ports = {port("rp0", "root_port", "", kIso, kIso), port("br", "pci_bridge", "rp0")};
  p.endpoints = {{.name = "a", .kind = "pci", .parent = "br", .device = 3},
                 {.name = "b", .kind = "pci", .parent = "br"}};
  const Topology t = build(p);
  EXPECT_EQ(groups(t), (Groups{{"a", "b"}, {"br"}, {"rp0"}}));
  // Both appear on the wire as (the bridge's secondary bus, 00.0).
  const auto& a = t.nodes.at(t.find("a"));
  const auto& b = t.nodes.at(t.find("b"));
  EXPECT_EQ(a.bdf.to_string(), "02:03.0");
  EXPECT_EQ(b.bdf.to_string(), "02:00.0");
  EXPECT_EQ(a.requester_id.to_string(), "02:00.0");
  EXPECT_EQ(b.requester_id.to_string(), "02:00.0");
}

TEST(Groups, ABridgeWithMmioJoinsTheGroupOfTheDevicesBehindIt) {
  // A bridge with a BAR can be reached from its conventional bus
  // (PCI_BRIDGE_NON_ISOLATED): bus and bridge are one group.
  PcieParams p;
  p.ports = {port("rp0", "root_port", "", kIso, kIso), port("br", "pci_bridge", "rp0")};
  p.ports[1].bar_size = 4096;
  p.endpoints = {{.name = "a", .kind = "pci", .parent = "br"},
                 {.name = "b", .kind = "pci", .parent = "br"}};
  const Topology t = build(p);
  EXPECT_EQ(groups(t), (Groups{{"a", "b", "br"}, {"rp0"}}));
  // Its BAR sits on the root port's bus, before the bridge's window.
  EXPECT_EQ(t.nodes.at(t.find("br")).bar_base, 0xC0000000u);
  EXPECT_EQ(t.nodes.at(t.find("br")).window_base, 0xC0100000u);
  PcieParams wrong = p;
  wrong.ports[0].bar_size = 4096;
  Topology out;
  const auto errors = build_topology(wrong, out);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].path, "pcie.ports[0].bar_size");
}

TEST(Groups, EverythingBelowANonIsolatedBusJoinsItsGroup) {
  // A second switch below a DSP of an ACS-less switch: its ports and
  // devices, fully ACS-enabled, still join (pci_hierarchy_group).
  PcieParams p = one_switch("", "");
  p.endpoints.pop_back();
  p.ports.push_back(port("sw2", "switch_upstream", "d1"));
  p.ports.push_back(port("e0", "downstream_port", "sw2", kIso, kIso));
  p.endpoints.push_back(ep("ssd", "e0"));
  EXPECT_EQ(groups(build(p)), (Groups{{"d0", "d1", "e0", "gpu", "ssd", "sw", "sw2"}, {"rp0"}}));
}

// The rules before Linux's 2025 rework (pcie.grouping = legacy): the
// upward walk joins a device to the group of the first bridge above it
// whose path to the root lacks the ACS controls.
PcieParams legacy(PcieParams p) {
  p.grouping = "legacy";
  return p;
}

TEST(LegacyGroups, EachDownstreamPortOfAnAcslessSwitchIsAGroupWithWhatIsBelowIt) {
  // gpu and nic can reach each other through the switch without the IOMMU,
  // yet sit in two groups: the breach the rework closed.
  const Groups split{{"d0", "gpu"}, {"d1", "nic"}, {"rp0"}, {"sw"}};
  EXPECT_EQ(groups(build(legacy(one_switch("", "")))), split);
  EXPECT_EQ(groups(build(legacy(one_switch(kIso, "sv")))), split);
  EXPECT_EQ(groups(build(legacy(one_switch(kIso, kIso)))),
            (Groups{{"d0"}, {"d1"}, {"gpu"}, {"nic"}, {"rp0"}, {"sw"}}));
}

TEST(LegacyGroups, EverythingBelowARootPortWithoutAcsJoinsItsGroup) {
  // Without the ACS capability the port fails pci_acs_path_enabled: its
  // device, and a fully isolating switch below another such port, join it
  // (the current rules call a root port's link isolated).
  PcieParams p;
  p.ports = {port("rp0", "root_port"), port("rp1", "root_port"),
             port("sw", "switch_upstream", "rp1"), port("e0", "downstream_port", "sw", kIso, kIso)};
  p.endpoints = {ep("a", "rp0"), ep("ssd", "e0")};
  EXPECT_EQ(groups(build(legacy(p))), (Groups{{"a", "rp0"}, {"e0", "rp1", "ssd", "sw"}}));
  EXPECT_EQ(groups(build(p)), (Groups{{"a"}, {"e0"}, {"rp0"}, {"rp1"}, {"ssd"}, {"sw"}}));
}

TEST(LegacyGroups, APcieToPciBridgeAndItsBusAreOneGroupWithOrWithoutMmio) {
  // pci_for_each_dma_alias: conventional devices reach the IOMMU with the
  // bridge's alias, and the bridge has its group already.
  PcieParams p;
  p.ports = {port("rp0", "root_port", "", kIso, kIso), port("br", "pci_bridge", "rp0")};
  p.endpoints = {{.name = "a", .kind = "pci", .parent = "br"},
                 {.name = "b", .kind = "pci", .parent = "br"}};
  EXPECT_EQ(groups(build(legacy(p))), (Groups{{"a", "b", "br"}, {"rp0"}}));
}

TEST(LegacyGroups, MultiFunctionDevicesAreGroupedAsToday) {
  EXPECT_EQ(groups(build(legacy(two_multifunction_devices()))), kMultifunctionGroups);
}

// Linux's device-specific ACS quirks (drivers/pci/quirks.c), selected by
// the parts' vendor and device IDs; each against the same part without IDs.
PortParams with_ids(PortParams p, std::uint32_t vendor, std::uint32_t device) {
  p.vendor_id = vendor;
  p.device_id = device;
  return p;
}

TEST(AcsQuirks, IntelPchRootPortsIsolateWithoutTheCapability) {
  // pci_quirk_intel_pch_acs: Cougar Point root ports 0x1c10 and 0x1c12.
  // Under the older rules a port without ACS takes its device in; the
  // quirk gives each device its own group.
  PcieParams p;
  p.ports = {with_ids(port("rp0", "root_port"), 0x8086, 0x1c10),
             with_ids(port("rp1", "root_port"), 0x8086, 0x1c12)};
  p.endpoints = {ep("a", "rp0"), ep("b", "rp1")};
  const Topology t = build(legacy(p));
  EXPECT_EQ(groups(t), (Groups{{"a"}, {"b"}, {"rp0"}, {"rp1"}}));
  EXPECT_NE(topology_tree(t).find("rp0 (root port) bus 01-01 window c0000000-c00fffff [8086:1c10] "
                                  "ACS by quirk pci_quirk_intel_pch_acs: ACS cap SV RR CR UF ctl "
                                  "SV RR CR UF group 0"),
            std::string::npos)
      << topology_tree(t);
  // Another Intel root port (not in Intel's list) gets no quirk.
  p.ports[1].device_id = 0x1c20;
  EXPECT_EQ(groups(build(legacy(p))), (Groups{{"a"}, {"b", "rp1"}, {"rp0"}}));
}

TEST(AcsQuirks, SunrisePointRootPortsHaveTheirControlsEnabledByLinux) {
  // pci_quirk_intel_spt_pch_acs: the control register sits at the wrong
  // offset, and Linux's enable quirk turns on what the capability has. A
  // port with the capability and the controls off otherwise takes its
  // device into its group (current rules: PCIE_NON_ISOLATED).
  PcieParams p;
  p.ports = {with_ids(port("rp0", "root_port", "", kIso, ""), 0x8086, 0xa110)};
  p.endpoints = {ep("a", "rp0")};
  EXPECT_EQ(groups(build(p)), (Groups{{"a"}, {"rp0"}}));
  p.ports[0].device_id = 0xa120;
  EXPECT_EQ(groups(build(p)), (Groups{{"a", "rp0"}}));
}

TEST(AcsQuirks, ListedMultiFunctionEndpointsKeepTheirFunctionsApart) {
  // pci_quirk_mf_endpoint_acs: an Intel 82599 (0x10fb) without ACS.
  PcieParams p;
  p.ports = {port("rp0", "root_port", "", kIso, kIso)};
  p.endpoints = {ep("nic", "rp0", 2)};
  EXPECT_EQ(groups(build(p)), (Groups{{"nic.0", "nic.1"}, {"rp0"}}));
  p.endpoints[0].vendor_id = 0x8086;
  p.endpoints[0].device_id = 0x10fb;
  EXPECT_EQ(groups(build(p)), (Groups{{"nic.0"}, {"nic.1"}, {"rp0"}}));
}

TEST(AcsQuirks, IntelIntegratedEndpointsAreIsolatedOthersAreNot) {
  // pci_quirk_rciep_acs: any Intel RCiEP (VT-d spec 3.16: peer to peer
  // only with translated addresses).
  PcieParams p;
  p.endpoints = {{.name = "qat", .kind = "rc_integrated", .functions = 2, .device = 20}};
  EXPECT_EQ(groups(build(p)), (Groups{{"qat.0", "qat.1"}}));
  p.endpoints[0].vendor_id = 0x8086;
  p.endpoints[0].device_id = 0x37c8;
  EXPECT_EQ(groups(build(p)), (Groups{{"qat.0"}, {"qat.1"}}));
}

TEST(AcsQuirks, RootPortsThatNeverRoutePeerToPeer) {
  // Cavium ThunderX2 (0xaf84), Ampere (0xe005), Annapurna Labs (0x0031):
  // isolating root ports without an ACS capability.
  for (const auto& [vendor, device] : std::vector<std::pair<std::uint32_t, std::uint32_t>>{
           {0x177d, 0xaf84}, {0x1def, 0xe005}, {0x1c36, 0x0031}}) {
    PcieParams p;
    p.ports = {with_ids(port("rp0", "root_port"), vendor, device)};
    p.endpoints = {ep("a", "rp0")};
    EXPECT_EQ(groups(build(legacy(p))), (Groups{{"a"}, {"rp0"}})) << std::hex << vendor;
  }
  // A ThunderX2 device that is not a root port: no quirk.
  PcieParams p;
  p.ports = {port("rp0", "root_port", "", kIso, kIso)};
  p.endpoints = {ep("nic", "rp0", 2)};
  p.endpoints[0].vendor_id = 0x177d;
  p.endpoints[0].device_id = 0xaf84;
  EXPECT_EQ(groups(build(p)), (Groups{{"nic.0", "nic.1"}, {"rp0"}}));
}

TEST(AcsQuirks, UnlistedZhaoxinPortsCountAsWithoutControls) {
  // pci_quirk_zhaoxin_pcie_ports_acs answers 0 for a port not in its list:
  // Linux counts no control even where the port enables them all, so the
  // switch is not isolated.
  PcieParams p = one_switch(kIso, kIso);
  EXPECT_EQ(groups(build(p)), (Groups{{"d0"}, {"d1"}, {"gpu"}, {"nic"}, {"rp0"}, {"sw"}}));
  p.ports[2] = with_ids(p.ports[2], 0x1d17, 0x0800);
  p.ports[3] = with_ids(p.ports[3], 0x1d17, 0x0800);
  EXPECT_EQ(groups(build(p)), (Groups{{"d0", "d1", "gpu", "nic", "sw"}, {"rp0"}}));
  // A listed one (0x0710) isolates without the capability.
  p = one_switch("", "");
  p.ports[2] = with_ids(p.ports[2], 0x1d17, 0x0710);
  p.ports[3] = with_ids(p.ports[3], 0x1d17, 0x0710);
  EXPECT_EQ(groups(build(p)), (Groups{{"d0"}, {"d1"}, {"gpu"}, {"nic"}, {"rp0"}, {"sw"}}));
}

TEST(AcsQuirks, TheAmdSouthbridgeQuirkNeedsAnAmdIommu) {
  // pci_quirk_amd_sb_acs applies only where ACPI has an IVRS table; beside
  // this VT-d IOMMU the FCH bridge's functions stay one group.
  PcieParams p;
  p.endpoints = {{.name = "fch", .kind = "rc_integrated", .functions = 2, .device = 20}};
  p.endpoints[0].vendor_id = 0x1022;
  p.endpoints[0].device_id = 0x780f;
  EXPECT_EQ(groups(build(p)), (Groups{{"fch.0", "fch.1"}}));
}

TEST(AcsQuirks, ADeviceIdNeedsAVendorId) {
  PcieParams p;
  p.ports = {port("rp0", "root_port")};
  p.ports[0].device_id = 0x1c10;
  p.endpoints = {ep("a", "rp0")};
  Topology t;
  const auto errors = build_topology(p, t);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].path, "pcie.ports[0].device_id");
  EXPECT_EQ(errors[0].reason, "is given without vendor_id");
}

// Placement as lspci shows it (devfn, function_numbers): a desktop with a
// host bridge at 00:00.0, two PCH root ports that are functions 0 and 4 of
// device 1c, and the ME at 00:16.0 and 00:16.3.
PcieParams pch_desktop() {
  PcieParams p;
  PortParams rp0 = port("rp0", "root_port"), rp1 = port("rp1", "root_port");
  rp0.devfn = "1c.0";
  rp1.devfn = "1c.4";
  p.ports = {rp0, rp1};
  p.endpoints = {
      {.name = "host", .kind = "rc_integrated", .bar_size = 0, .devfn = "00.0"},
      {.name = "mei", .kind = "rc_integrated", .devfn = "16.0", .function_numbers = "0,3"},
      ep("nic", "rp0"),
      ep("wifi", "rp1")};
  return p;
}

std::string bdf_of(const Topology& t, const std::string& name) {
  return t.nodes.at(t.find(name)).bdf.to_string();
}

TEST(Placement, DevicesAndFunctionsWhereLspciShowsThem) {
  const Topology t = build(pch_desktop());
  EXPECT_EQ(bdf_of(t, "host"), "00:00.0");
  EXPECT_EQ(bdf_of(t, "rp0"), "00:1c.0");
  EXPECT_EQ(bdf_of(t, "rp1"), "00:1c.4");
  EXPECT_EQ(bdf_of(t, "mei.0"), "00:16.0");
  EXPECT_EQ(bdf_of(t, "mei.3"), "00:16.3");
  EXPECT_EQ(bdf_of(t, "nic"), "01:00.0");
  EXPECT_EQ(bdf_of(t, "wifi"), "02:00.0");
  EXPECT_EQ(t.nodes.at(t.find("mei.3")).requester_id.to_string(), "00:16.3");
  // Two root ports of one device without ACS are one group, as Linux's
  // get_pci_function_alias_group makes them; their links are isolated.
  EXPECT_EQ(groups(t), (Groups{{"host"}, {"mei.0", "mei.3"}, {"nic"}, {"rp0", "rp1"}, {"wifi"}}));
  // Kernels before the rework take each device into its port's group.
  EXPECT_EQ(groups(build(legacy(pch_desktop()))),
            (Groups{{"host"}, {"mei.0", "mei.3"}, {"nic", "rp0", "rp1", "wifi"}}));
}

TEST(Placement, ThePchQuirkSplitsMultiFunctionRootPorts) {
  // The case pci_quirk_intel_pch_acs exists for: Cougar Point root ports
  // 00:1c.0 (0x1c10) and 00:1c.4 (0x1c18).
  PcieParams p = pch_desktop();
  p.ports[0] = with_ids(p.ports[0], 0x8086, 0x1c10);
  p.ports[1] = with_ids(p.ports[1], 0x8086, 0x1c18);
  const Groups split{{"host"}, {"mei.0", "mei.3"}, {"nic"}, {"rp0"}, {"rp1"}, {"wifi"}};
  EXPECT_EQ(groups(build(p)), split);
  EXPECT_EQ(groups(build(legacy(p))), split);
}

TEST(Placement, SwitchDownstreamPortsNumberedAsTheVendorDoes) {
  PcieParams p = one_switch(kIso, kIso);
  p.ports[2].devfn = "08.0";
  p.ports[3].devfn = "0a.0";
  const Topology t = build(p);
  EXPECT_EQ(bdf_of(t, "d0"), "02:08.0");
  EXPECT_EQ(bdf_of(t, "d1"), "02:0a.0");
  EXPECT_EQ(bdf_of(t, "gpu"), "03:00.0");
}

// The one error a placement mistake gives.
ConfigError placement_error(const PcieParams& p) {
  Topology t;
  const auto errors = build_topology(p, t);
  EXPECT_EQ(errors.size(), 1u);
  return errors.empty() ? ConfigError{} : errors.front();
}

TEST(Placement, EachMistakeNamesTheField) {
  PcieParams p = pch_desktop();
  p.ports[1].devfn = "1c.0";
  EXPECT_EQ(placement_error(p).to_string(), "pcie.ports[1].devfn: 1c.0 on bus 0 is rp0's already");
  for (const std::string bad : {"1g.0", "20.0", "1c.8", "1c", "1c.0x"}) {
    p = pch_desktop();
    p.ports[0].devfn = bad;
    EXPECT_EQ(placement_error(p).to_string(),
              "pcie.ports[0].devfn: must be device.function in hex, device 00-1f and function 0-7 "
              "(got \"" +
                  bad + "\")");
  }
  p = pch_desktop();
  p.endpoints[2].devfn = "01.0";
  EXPECT_EQ(placement_error(p).to_string(),
            "pcie.endpoints[2].devfn: below rp0 the link's device is device 00 (PCIe Base spec "
            "7.3.1)");
  p = pch_desktop();
  p.endpoints[1].function_numbers = "0,0";
  EXPECT_EQ(placement_error(p).to_string(),
            "pcie.endpoints[1].function_numbers: must list distinct functions 0-7 separated by "
            "commas (got \"0,0\")");
  p = pch_desktop();
  p.endpoints[1].functions = 3;
  EXPECT_EQ(placement_error(p).to_string(),
            "pcie.endpoints[1].functions: is 3 but function_numbers lists 2");
  p = pch_desktop();
  p.endpoints[1].devfn = "16.1";
  EXPECT_EQ(placement_error(p).to_string(),
            "pcie.endpoints[1].devfn: names function 1 but function_numbers starts at 0");
  p = pch_desktop();
  p.endpoints[0].device = 3;
  EXPECT_EQ(placement_error(p).to_string(),
            "pcie.endpoints[0].devfn: give devfn or device, not both");
  p = pch_desktop();
  p.endpoints[3].devfn = "00.6";
  p.endpoints[3].functions = 3;
  EXPECT_EQ(placement_error(p).to_string(),
            "pcie.endpoints[3].functions: 3 functions from function 6 pass function 7");
}

// SR-IOV: a NIC laid out as an Intel 82599 (First VF Offset 0x80, VF
// Stride 2) below an isolating root port, and 256 VFs of a ConnectX-style
// NIC (offset 1, stride 1) below a root port without ACS.
PcieParams sriov_nics() {
  PcieParams p;
  p.ports = {port("rp0", "root_port", "", kIso, kIso), port("rp1", "root_port"),
             port("rp2", "root_port", "", kIso, kIso)};
  EndpointParams nic = ep("nic", "rp0");
  nic.sriov = {.vfs = 3, .first_vf_offset = 0x80, .vf_stride = 2};
  EndpointParams cx = ep("cx", "rp1");
  cx.sriov = {.vfs = 256, .first_vf_offset = 1, .vf_stride = 1, .vf_bar_size = 0};
  p.endpoints = {nic, cx, ep("ssd", "rp2")};
  return p;
}

TEST(Sriov, VirtualFunctionsTakeTheRoutingIdsOffsetAndStrideGive) {
  const Topology t = build(sriov_nics());
  EXPECT_EQ(bdf_of(t, "nic"), "01:00.0");
  EXPECT_EQ(bdf_of(t, "nic.vf0"), "01:10.0");
  EXPECT_EQ(bdf_of(t, "nic.vf2"), "01:10.4");
  EXPECT_EQ(t.nodes.at(t.find("nic.vf2")).requester_id.to_string(), "01:10.4");
  EXPECT_EQ(bdf_of(t, "cx.vf6"), "02:00.7");
  EXPECT_EQ(bdf_of(t, "cx.vf7"), "02:01.0");
  // VF 256 is routing ID 0x0200 + 1 + 255: bus 03, which rp1 covers.
  EXPECT_EQ(bdf_of(t, "cx.vf255"), "03:00.0");
  const TopoNode& rp1 = t.nodes.at(t.find("rp1"));
  EXPECT_EQ(rp1.secondary, 2);
  EXPECT_EQ(rp1.subordinate, 3);
  EXPECT_EQ(bdf_of(t, "ssd"), "04:00.0");
  // Each VF has a BAR of its own after the PF's, in the PF's window.
  const TopoNode& nic = t.nodes.at(t.find("nic"));
  EXPECT_EQ(t.nodes.at(t.find("nic.vf1")).bar_base, nic.bar_base + nic.bar_size + 16384);
  EXPECT_EQ(t.nodes.at(t.find("nic.vf1")).physfn, t.find("nic"));
}

TEST(Sriov, VirtualFunctionsAreGroupedAsLinuxGroupsThem) {
  // Probed when the PF's driver enables them, after the bus scan: their
  // groups come last. Below an isolating port each VF is a group.
  const Topology t = build(sriov_nics());
  EXPECT_EQ(t.nodes.back().name, "cx.vf255");
  EXPECT_GT(t.nodes.at(t.find("nic.vf0")).group, t.nodes.at(t.find("ssd")).group);
  // Every port, device and VF alone: 3 + 3 + 3 + 256.
  EXPECT_EQ(t.groups.size(), 265u);
  // Kernels before the rework put the PF and all 256 VFs below the ACS-less
  // rp1 into rp1's group.
  const Topology old = build(legacy(sriov_nics()));
  EXPECT_EQ(old.groups.at(old.nodes.at(old.find("rp1")).group).size(), 258u);
  EXPECT_NE(old.nodes.at(old.find("nic.vf0")).group, old.nodes.at(old.find("nic.vf1")).group);
}

TEST(Sriov, EachMistakeNamesTheField) {
  PcieParams p = sriov_nics();
  p.endpoints[1].sriov.first_vf_offset = 0xfe00;
  EXPECT_EQ(placement_error(p).to_string(),
            "pcie.endpoints[1].sriov.vfs: VF routing IDs run past ff:1f.7");
  p = sriov_nics();
  p.endpoints[0].functions = 2;
  EXPECT_EQ(placement_error(p).to_string(),
            "pcie.endpoints[0].sriov.vfs: SR-IOV is modelled on a single-function PCIe endpoint");
  p = sriov_nics();
  p.endpoints[0].sriov.vf_bar_size = 6000;
  EXPECT_EQ(placement_error(p).to_string(),
            "pcie.endpoints[0].sriov.vf_bar_size: must be 0 or a power of two of at least 4 KiB");
  p = sriov_nics();
  p.endpoints[2].name = "nic.vf1";
  EXPECT_EQ(placement_error(p).to_string(), "pcie.endpoints[2].name: duplicate name \"nic.vf1\"");
}

TEST(Groups, RootComplexIntegratedEndpointsSitOnBusZero) {
  PcieParams p;
  p.endpoints = {{.name = "igpu", .kind = "rc_integrated"},
                 {.name = "qat", .kind = "rc_integrated", .functions = 2, .device = 20},
                 ep("nic", "")};
  const Topology t = build(p);
  EXPECT_EQ(t.nodes.at(t.find("igpu")).bdf.to_string(), "00:10.0");
  EXPECT_EQ(t.nodes.at(t.find("qat.1")).bdf.to_string(), "00:14.1");
  EXPECT_EQ(t.nodes.at(t.find("nic")).bdf.to_string(), "01:00.0");
  // A multi-function RCiEP without ACS shares one group.
  EXPECT_EQ(groups(t), (Groups{{"igpu"}, {"nic"}, {"nic.rp"}, {"qat.0", "qat.1"}}));
}

std::vector<ConfigError> errors_of(const PcieParams& p) {
  Topology t;
  t.nodes.push_back({.name = "untouched"});
  auto errors = build_topology(p, t);
  EXPECT_EQ(t.nodes.size(), 1u) << "a failed build changed the output";
  return errors;
}

void expect_error(const PcieParams& p, const std::string& path, const std::string& part) {
  const auto errors = errors_of(p);
  ASSERT_FALSE(errors.empty());
  bool found = false;
  for (const auto& e : errors) {
    found = found || (e.path == path && e.reason.find(part) != std::string::npos);
  }
  EXPECT_TRUE(found) << "expected " << path << ": ..." << part << "... in "
                     << errors.front().to_string();
}

TEST(BadTopology, EachMistakeNamesTheElement) {
  PcieParams dup = one_switch(kIso, kIso);
  dup.endpoints[1].name = "d0";
  expect_error(dup, "pcie.endpoints[1].name", "duplicate name \"d0\"");

  PcieParams acs = one_switch("sv", "sv,rr");
  expect_error(acs, "pcie.ports[2].acs_control", "RR enabled on d0, which does not implement it");
  PcieParams no_cap = one_switch("", "rr");
  expect_error(no_cap, "pcie.ports[2].acs_control", "which has no ACS capability");
  PcieParams bad_name = one_switch("sv,xx", "");
  expect_error(bad_name, "pcie.ports[2].acs_capability", "unknown ACS control");

  PcieParams egress = one_switch(kIso, kIso);
  egress.ports[2].egress_vector = 2;
  expect_error(egress, "pcie.ports[2].egress_vector", "ec");

  PcieParams link = one_switch(kIso, kIso);
  link.endpoints.push_back(ep("extra", "d0"));
  expect_error(link, "pcie.endpoints[2].parent", "d0's link already carries gpu");

  PcieParams kind = one_switch(kIso, kIso);
  kind.endpoints[0].parent = "sw";
  expect_error(kind, "pcie.endpoints[0].parent", "cannot sit below sw");
  PcieParams orphan = one_switch(kIso, kIso);
  orphan.ports[2].parent = "";
  expect_error(orphan, "pcie.ports[2].parent", "needs a parent port");
  PcieParams unknown = one_switch(kIso, kIso);
  unknown.endpoints[0].parent = "nowhere";
  expect_error(unknown, "pcie.endpoints[0].parent", "no port named \"nowhere\"");

  PcieParams big = one_switch(kIso, kIso);
  big.endpoints[0].bar_size = 2ull << 30;  // the window holds 1004 MiB
  expect_error(big, "pcie.endpoints[0].bar_size", "does not fit in the MMIO window");
  PcieParams odd = one_switch(kIso, kIso);
  odd.endpoints[0].bar_size = 3000;
  expect_error(odd, "pcie.endpoints[0].bar_size", "power of two");

  PcieParams legacy;
  legacy.ports = {port("rp0", "root_port", "", kIso, kIso), port("br", "pci_bridge", "rp0")};
  legacy.endpoints = {{.name = "a", .kind = "pci", .parent = "br"}};
  legacy.endpoints[0].ats.enabled = true;
  expect_error(legacy, "pcie.endpoints[0].ats.enabled", "conventional PCI device has none");
}

TEST(BadTopology, BusNumbersRunOutAtTheElementThatNeedsTheTwoHundredFiftySixth) {
  // A chain of switches, two buses each (internal bus, DSP's bus) after
  // the root port's bus 1: d126 gets bus 255, sw127 would need bus 256.
  PcieParams p;
  p.ports.push_back(port("rp", "root_port"));
  std::string parent = "rp";
  for (int i = 0; i < 130; ++i) {
    std::string sw = "sw", d = "d";
    sw += std::to_string(i);
    d += std::to_string(i);
    p.ports.push_back(port(sw, "switch_upstream", parent));
    p.ports.push_back(port(d, "downstream_port", sw));
    parent = d;
  }
  p.endpoints = {ep("leaf", parent)};
  const auto errors = errors_of(p);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].path, "pcie.ports[255]");
  EXPECT_NE(errors[0].reason.find("bus numbers exhausted at sw127"), std::string::npos)
      << errors[0].reason;
}

TEST(BadTopology, ConfigLimitsAndSharedRequesterIds) {
  PlatformConfig c;
  auto errors = load_config(json{{"pcie", {{"endpoints", {{{"name", "x"}, {"functions", 9}}}}}},
                                 {"attach", json::array()},
                                 {"workloads", json::array()}},
                            c);
  ASSERT_FALSE(errors.empty());
  EXPECT_EQ(errors[0].path, "pcie.endpoints[0].functions");
  // Two devices behind one PCIe-to-PCI bridge look the same to the IOMMU:
  // they cannot go to different address spaces.
  errors = load_config(
      json{{"pcie",
            {{"ports",
              {{{"name", "rp"}}, {{"name", "br"}, {"kind", "pci_bridge"}, {"parent", "rp"}}}},
             {"endpoints",
              {{{"name", "a"}, {"kind", "pci"}, {"parent", "br"}},
               {{"name", "b"}, {"kind", "pci"}, {"parent", "br"}}}}}},
           {"address_spaces", {{{"name", "x"}}, {{"name", "y"}}}},
           {"attach", {{{"device", "a"}, {"ioas", "x"}}, {{"device", "b"}, {"ioas", "y"}}}},
           {"workloads", json::array()}},
      c);
  ASSERT_EQ(errors.size(), 1u) << errors.front().to_string();
  EXPECT_EQ(errors[0].path, "attach[1].ioas");
  EXPECT_NE(errors[0].reason.find("share requester ID 02:00.0"), std::string::npos);
}

}  // namespace
}  // namespace iommu_sim
