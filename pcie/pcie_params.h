#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "iommu/iommu_params.h"
#include "model/param.h"
#include "pcie/link_params.h"

namespace iommu_sim {

// Where a port's or function's ACS capability lives in the config: the
// controls it implements and those enabled, as "sv,tb,rr,cr,uf,ec,dt" lists.
template <class V>
void visit_acs(V& v, std::string& capability, std::string& control) {
  v(capability,
    {"acs_capability", "", "none: no ACS extended capability (PCIe Base spec 7.7.8)",
     "ACS controls the device implements, a comma list of sv, tb, rr, cr, uf, ec, dt; empty "
     "means it has no ACS capability at all."},
    "the IOMMU groups (pcie topology report, stats.json topology)");
  v(control,
    {"acs_control", "", "none enabled",
     "ACS controls enabled, from those in acs_capability (same names)."},
    "the IOMMU groups; which peer requests reach the IOMMU");
}

// A part's PCI IDs (PCI Local Bus spec 6.2.1), which select Linux's
// device-specific ACS quirks (pcie/acs_quirks.h).
template <class V>
void visit_ids(V& v, std::uint32_t& vendor, std::uint32_t& device) {
  v(vendor,
    {"vendor_id", "", "0: not given (no device-specific quirk applies)",
     "PCI vendor ID, as lspci -nn prints it (\"0x8086\" for Intel). With device_id it "
     "selects Linux's device-specific ACS quirks (docs/topology.md, \"ACS quirks\").",
     0, 65535},
    "the IOMMU groups (a quirk may decide them); which peer requests reach the IOMMU");
  v(device,
    {"device_id", "", "0: not given",
     "PCI device ID (\"0x1c10\" for a Cougar Point PCH root port).", 0, 65535},
    "the IOMMU groups; which peer requests reach the IOMMU");
}

// A root port, switch port or PCIe-to-PCI bridge (PCIe Base spec 1.3).
struct PortParams {
  std::string name;
  std::string kind = "root_port";
  std::string parent;
  std::string acs_capability;
  std::string acs_control;
  std::uint32_t vendor_id = 0, device_id = 0;
  std::string devfn;
  std::uint32_t egress_vector = 0;
  std::uint64_t bar_size = 0;
  std::string bug = "none";
  LinkParams link;

  template <class V>
  void visit(V& v) {
    v(name, {"name", "", "required", "Unique name of the port or bridge."}, "the topology report");
    v(kind,
      {"kind",
       "",
       "root_port",
       "root_port (on the root complex), switch_upstream (a switch's upstream port, below a "
       "root or downstream port), downstream_port (below a switch_upstream), pci_bridge "
       "(PCIe-to-PCI bridge, below a root or downstream port, with conventional PCI devices "
       "behind it).",
       0,
       0,
       false,
       {"root_port", "switch_upstream", "downstream_port", "pci_bridge"}},
      "bus numbering and the IOMMU groups");
    v(parent,
      {"parent", "", "empty for a root port", "The port this one hangs below (pcie.ports[].name)."},
      "bus numbering and the IOMMU groups");
    visit_acs(v, acs_capability, acs_control);
    visit_ids(v, vendor_id, device_id);
    v(devfn,
      {"devfn", "", "empty: the next free device number, function 0",
       "Device and function number on the port's bus, in hex as lspci prints them (\"1c.4\"). "
       "Ports that share a device number are the functions of one multi-function device, as "
       "Intel PCH root ports 00:1c.0 to 00:1c.7 are; PLX-style switches number their "
       "downstream ports 08, 09, 0a..."},
      "bus numbering, requester IDs and the IOMMU groups (multi-function root ports)");
    v(egress_vector,
      {"egress_vector", "bitmask", "0: no target blocked",
       "ACS P2P Egress Control vector of a downstream port: bit i set blocks peer requests "
       "to the downstream port with device number i of the same switch (needs ec enabled).",
       0, 4294967295.0},
      "which peer requests are blocked");
    v(bar_size,
      {"bar_size", "bytes", "0: PCIe-to-PCI bridges usually have no registers in memory space",
       "A pci_bridge's own memory BAR (a power of two of at least 4 KiB). A bridge with MMIO "
       "is not isolated from the conventional bus behind it, so it joins that bus's group "
       "(Linux pci_bus_isolated: PCI_BRIDGE_NON_ISOLATED)."},
      "the IOMMU groups");
    v(bug,
      {"bug",
       "",
       "none: the port as PCIe Base spec 6.12 requires",
       "A hardware bug to model, for the bug library (configs/bugs/): acs_rr_not_enforced is a "
       "downstream port whose ACS control says P2P Request Redirect (so the host isolates the "
       "devices below it in groups of their own) but that routes peer requests directly, "
       "without the IOMMU.",
       0,
       0,
       false,
       {"none", "acs_rr_not_enforced"}},
      "oracle.violations.isolation_breach, pcie.port.<port>.p2p_direct");
    v.group("link", link,
            "the link above a switch_upstream port or pci_bridge (gen, width, mps); root and "
            "downstream ports have none of their own: their link is the one the component "
            "below them declares");
  }
};

// The device's address translation cache (PCIe ATS): 32 entries.
struct AtcParams : CacheParams {
  AtcParams() { sets = 8, ways = 4; }
  template <class V>
  void visit(V& v) {
    visit_cache(v, *this,
                "assumed: 32 entries; devices do not publish their ATC sizes (tens of entries "
                "is the order reported for NICs)");
  }
};

// SR-IOV (PCIe Base spec 9): the virtual functions of a physical function.
// A VF's routing ID is the PF's plus First VF Offset plus (n - 1) x VF
// Stride (spec 9.3.3.9, 9.3.3.10), counted over bus:device.function as one
// 16-bit number, so VFs may take device numbers past 0 (an Intel 82599's
// sit at 10.0, 10.2, ...) and bus numbers past the PF's (which the bridge
// above then covers, as Linux's pci_iov_bus_range does).
struct SriovParams {
  std::uint32_t vfs = 0;
  std::uint32_t first_vf_offset = 1;
  std::uint32_t vf_stride = 1;
  std::uint64_t vf_bar_size = 16384;

  template <class V>
  void visit(V& v) {
    v(vfs,
      {"vfs", "functions", "0: no SR-IOV",
       "Virtual functions enabled (sriov_numvfs). Each is a function of its own, named "
       "<name>.vf0 ..., with its routing ID, BAR and IOMMU group as Linux forms them.",
       0, 256},
      "one requester ID, Endpoint and IOMMU group member each");
    v(first_vf_offset,
      {"first_vf_offset", "routing IDs", "1: VFs right after the PF, as ConnectX NICs place them",
       "First VF Offset of the SR-IOV capability: VF 1's routing ID minus the PF's "
       "(Intel 82599: 0x80 without ARI).",
       1, 65535},
      "the VFs' requester IDs and bus numbers");
    v(vf_stride,
      {"vf_stride", "routing IDs", "1",
       "VF Stride: the distance between consecutive VFs' IDs "
       "(Intel 82599: 2).",
       1, 65535},
      "the VFs' requester IDs and bus numbers");
    v(vf_bar_size,
      {"vf_bar_size", "bytes", "16 KiB: a VF's doorbell and register page, as NIC VFs have",
       "Each VF's memory BAR (a power of two of at least 4 KiB, or 0), placed after the PF's.", 0,
       1ull << 40},
      "the BAR addresses (topology report); peer DMA targets");
  }
};

struct AtsParams {
  bool enabled = false;
  AtcParams atc;
  double invalidation_latency_ns = 100.0;
  std::string bug = "none";

  template <class V>
  void visit(V& v) {
    v(enabled,
      {"enabled", "", "off: most devices do not use ATS",
       "The function implements PCIe ATS: it asks the IOMMU for translations (Translation "
       "Requests), keeps them in its ATC and sends DMA as translated requests; the host "
       "enables device-TLB use (context entry DTE) and invalidates its ATC."},
      "pcie.<function>.atc.*, iommu.ats.*");
    v.group("atc", atc, "address translation cache (device TLB)");
    v(invalidation_latency_ns,
      {"invalidation_latency_ns", "ns", "assumed: 100 ns of device-internal work",
       "Time the device takes to apply an Invalidate Request once its DMAs using the "
       "entries finished; beyond iommu.device_tlb_timeout_ns the IOMMU reports a time-out "
       "(FSTS.ITE).",
       0.0, 1e12},
      "iommu.ats.invalidation_time, iommu.qi.errors");
    v(bug,
      {"bug",
       "",
       "none: the device as PCIe Base spec 10.3.1 requires",
       "A device bug to model, for the bug library (configs/bugs/): "
       "invalidation_completes_before_dmas sends the Invalidate Completion as soon as the ATC "
       "entries are gone, while translated DMAs that used them may still be on their way to "
       "memory.",
       0,
       0,
       false,
       {"none", "invalidation_completes_before_dmas"}},
      "oracle.violations.stale_translation");
  }
};

struct EndpointParams {
  std::string name;
  std::string kind = "pcie";
  std::string parent;
  std::uint32_t functions = 1;
  std::uint32_t device = 0;
  std::uint64_t bar_size = 1ull << 20;
  std::string acs_capability;
  std::string acs_control;
  std::uint32_t vendor_id = 0, device_id = 0;
  std::string devfn;
  std::string function_numbers;
  std::string spoof_requester_id;
  AtsParams ats;
  SriovParams sriov;
  LinkParams link;
  std::uint32_t tags = 32;
  double dma_latency_ns = 0.0;

  template <class V>
  void visit(V& v) {
    v(name,
      {"name", "", "required",
       "Unique name of the device. A single-function device's function has this name; "
       "the functions of a multi-function one are <name>.0 to <name>.<n-1>. Workloads and "
       "attachments name functions."},
      "the pcie.<function>.* counter names");
    v(kind,
      {"kind",
       "",
       "pcie: an endpoint on a PCIe link",
       "pcie (below a root or downstream port; without parent it gets a root port of its "
       "own), rc_integrated (a root-complex integrated endpoint on bus 0, no parent), pci "
       "(a conventional PCI device behind a pci_bridge).",
       0,
       0,
       false,
       {"pcie", "rc_integrated", "pci"}},
      "bus numbering, requester IDs and the IOMMU groups");
    v(parent,
      {"parent", "", "none: a root port of its own", "The port it sits below (pcie.ports[].name)."},
      "bus numbering and the IOMMU groups");
    v(functions,
      {"functions", "functions", "1",
       "Functions of the device (PCIe Base spec 7.5.1.1.9: a multi-function device has up "
       "to 8).",
       1, 8},
      "one requester ID and IOMMU group member each");
    v(device,
      {"device", "", "0: the next free device number",
       "Device number on a conventional PCI bus (pci kind) or on bus 0 (rc_integrated); "
       "PCIe endpoints are always device 0 of their link.",
       0, 31},
      "bus numbering");
    v(bar_size,
      {"bar_size", "bytes", "1 MiB: a typical device register BAR",
       "Size of the function's one memory BAR, a power of two of at least 4 KiB (0: none). "
       "Enumeration places it in the MMIO window; peer DMA targets it.",
       0, 1ull << 40},
      "the MMIO window assignment (topology report)");
    visit_acs(v, acs_capability, acs_control);
    visit_ids(v, vendor_id, device_id);
    v(devfn,
      {"devfn", "", "empty: device as `device` says, functions from 0",
       "Device and first function number, in hex as lspci prints them (\"16.0\"); instead of "
       "`device`. \"00.0\" places a device where the host bridge sits. A PCIe endpoint is "
       "device 00 of its link."},
      "bus numbering and requester IDs");
    v(function_numbers,
      {"function_numbers", "", "empty: 0 to functions - 1",
       "The function numbers, a comma list (\"0,3\" for 00:16.0 and 00:16.3), for devices "
       "whose functions have gaps; `functions` is then their count or left at 1."},
      "bus numbering, requester IDs and the IOMMU groups");
    v(spoof_requester_id,
      {"spoof_requester_id", "", "none: the requester ID enumeration gave it",
       "Models a malicious or broken device: its requests carry this requester ID "
       "(\"bb:dd.f\", hex) instead of its own. ACS source validation at its port rejects "
       "one outside the port's bus range; the host still attaches the real one."},
      "pcie.port.*.acs_violations; which context entry the IOMMU uses");
    v.group("ats", ats, "Address Translation Services: the device's own translation cache");
    v.group("sriov", sriov, "SR-IOV: the virtual functions of this physical function");
    v.group(
        "link", link,
        "the device's PCIe link to its port and the sizes its TLPs are cut to (gen and width are "
        "refused for rc_integrated and pci kinds, which have no link of their own)");
    v(tags,
      {"tags", "tags",
       "32: 5-bit tags, what a requester without Extended Tag Field enabled may use (PCIe "
       "Base spec 2.2.6.2)",
       "Non-posted requests (read requests) each function may have outstanding at once; a "
       "read needs one tag per MRRS-sized request and waits for a free one "
       "(pcie.<function>.tag_wait). Bandwidth-mode workloads keep this many in flight.",
       1, 1024},
      "pcie.<function>.tag_wait, workload.*.throughput_gbps in bandwidth mode");
    v(dma_latency_ns,
      {"dma_latency_ns", "ns",
       "0: the device adds nothing beyond its link (presets name their device's figure)",
       "Time a DMA spends inside the device, between its DMA engine and its PCIe core, going "
       "out and (for a read) coming back, added once per DMA. It holds no link and no tag: "
       "it lengthens latency, and so bounds throughput only through the tags.",
       0.0, 1e6},
      "workload.*.latency, workload.*.throughput_gbps");
  }
};

struct PcieParams {
  double link_latency_ns = 100.0;
  double root_complex_latency_ns = 20.0;
  double switch_latency_ns = 110.0;
  std::string link_model = "bandwidth";
  std::string grouping = "current";
  std::uint64_t mmio_base = 0xC0000000ull;
  std::uint64_t mmio_size = 0x3EC00000ull;
  std::vector<PortParams> ports;
  std::vector<EndpointParams> endpoints{EndpointParams{.name = "nic0"}};

  template <class V>
  void visit(V& v) {
    v(link_latency_ns,
      {"link_latency_ns", "ns",
       "pcie-bench (Neugebauer et al., SIGCOMM 2018): a PCIe Gen3 x8 round "
       "trip of ~400-500 ns from device to host memory, about a quarter of it "
       "per link direction",
       "One-way latency of every link (PHY and data-link layers, not the TLP's "
       "serialisation, which the link's bandwidth adds: pcie.*.link). Added to every "
       "request on its way up and to every read completion on its way down.",
       0.0, 1e6},
      "workload.*.latency");
    v(root_complex_latency_ns,
      {"root_complex_latency_ns", "ns",
       "assumed: a few cycles of root-port and host-bridge queueing",
       "Time a request spends in the root port and host bridge before "
       "it reaches the IOMMU; added once per request.",
       0.0, 1e6},
      "workload.*.latency");
    v(switch_latency_ns,
      {"switch_latency_ns", "ns",
       "assumed: ~100-150 ns port-to-port cut-through latency that PCIe Gen4/5 switch "
       "vendors quote; 110 ns",
       "Time a request spends crossing a switch (ingress to egress port) or a PCIe-to-PCI "
       "bridge; read completions cross again on the way back.",
       0.0, 1e6},
      "workload.*.latency of functions below switches; peer-to-peer latency");
    v(link_model,
      {"link_model",
       "",
       "bandwidth: links carry bytes",
       "bandwidth: every TLP occupies each link it crosses for its wire size / the link's "
       "rate, per direction, and waits behind the TLPs before it (docs/model.md \"Links\"); "
       "latency: links add only link_latency_ns (no serialisation, no contention), to study "
       "the IOMMU's own latency in isolation. TLPs and bytes are counted either way.",
       0,
       0,
       false,
       {"bandwidth", "latency"}},
      "pcie.link.*, workload.*.latency, workload.*.throughput_gbps");
    v(grouping,
      {"grouping",
       "",
       "current: Linux's pci_device_group() since the 2025 rework (pci_bus_isolated)",
       "How IOMMU groups are formed (docs/topology.md, \"IOMMU groups\"): current decides "
       "bus by bus whether requests can reach a peer (Linux's 2025 rework, "
       "pci_bus_isolated); legacy is the upward walk of the kernels before it (Linux 4.4 "
       "to the rework): a device whose path to the root lacks ACS joins the group of the "
       "bridge above it, so everything below an ACS-less root port is one group and each "
       "ACS-less switch downstream port forms one with what is below it.",
       0,
       0,
       false,
       {"current", "legacy"}},
      "the groups (topology report), which attachments the manager allows");
    v(mmio_base,
      {"mmio_base", "bytes (physical address)",
       "3 GiB: the 32-bit PCI hole of a PC, below the 0xFEC00000 I/O APIC window",
       "Start of the window enumeration assigns BARs and bridge windows from (1 MiB "
       "aligned)."},
      "the BAR addresses (topology report)");
    v(mmio_size,
      {"mmio_size", "bytes", "0x3EC00000: up to 0xFEC00000",
       "Size of that window; BARs that do not fit are a config error."},
      "the BAR addresses (topology report)");
    v.list(ports, {"ports", "root ports, switch ports and PCIe-to-PCI bridges", 0, 4096});
    v.list(endpoints, {"endpoints", "devices (endpoints and conventional PCI devices)", 1, 255});
  }
};

}  // namespace iommu_sim
