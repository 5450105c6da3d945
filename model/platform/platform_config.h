// The whole configuration of one simulation: every block's parameters plus
// the host-side set-up (address spaces, mappings, attachments) and the
// workloads. One JSON file maps onto it field by field.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "iommu/iommu_params.h"
#include "model/config_loader.h"
#include "model/host/host_params.h"
#include "model/memory_params.h"
#include "model/oracle/oracle_params.h"
#include "model/stats_params.h"
#include "pcie/pcie_params.h"
#include "workloads/devices/device_model_params.h"
#include "workloads/workload_params.h"

namespace iommu_sim {

struct MappingParams {
  std::uint64_t iova = 0x100000;
  std::uint64_t size = 1ull << 20;
  bool writable = true;

  template <class V>
  void visit(V& v) {
    v(iova, {"iova", "bytes", "0x100000", "First IOVA of the mapping; 4 KiB aligned."},
      "which DMAs translate and which fault (iommu.faults.reason.0x71)");
    v(size,
      {"size", "bytes", "1 MiB",
       "Length of the mapping; a multiple of 4 KiB. Mapped with pages of up to the IOAS's "
       "page_size, one leaf write each at start-up, hence the 64 GiB bound.",
       4096, kMaxMappingBytes},
      "iommu.walk.*, the paging-structure cache counters, memory.frames_touched");
    v(writable,
      {"writable", "", "true",
       "Whether DMA writes are allowed (first-level R/W, second-level W bit)."},
      "iommu.faults.reason.0x85 for writes");
  }
};

struct AddressSpaceParams {
  std::string name;
  std::string translation = "first_level";
  std::uint32_t levels = 4;
  std::uint64_t page_size = 4096;
  std::string parent;
  std::vector<MappingParams> mappings;

  template <class V>
  void visit(V& v) {
    v(name, {"name", "", "required", "Unique name of the I/O address space (IOAS)."},
      "the IOAS named in attach[] and parent");
    v(translation,
      {"translation",
       "",
       "first_level: what Linux uses for DMA API domains on scalable-mode VT-d",
       "Page-table format of the IOAS, and so the PGTT of every PASID entry attached to it "
       "(VT-d spec 9.6): first_level, second_level, or nested (a guest's first-level table "
       "whose table pointers and outputs are guest-physical addresses translated by the "
       "second-level IOAS named in `parent`), or nested_hwpt (the same translation as a VMM "
       "with a virtual IOMMU sets it up through iommufd: a nest-parent HWPT over `parent`, the "
       "guest's own first-level table written by the guest in its memory, and a nested HWPT "
       "on the two; attach[] attaches to that HWPT).",
       0,
       0,
       false,
       {"first_level", "second_level", "nested", "nested_hwpt"}},
      "iommu.walk.memory_reads, iommu.translation_latency, iommu.fl_psc.* / iommu.sl_psc.*");
    v(levels,
      {"levels", "levels", "4: 48-bit input, what Linux uses unless 5-level is needed",
       "Paging levels of the table: first_level and nested 4 or 5 (5 needs "
       "iommu.address_width 57); second_level 3, 4 or 5 (input width 39, 48, 57).",
       3, 5},
      "iommu.walk.memory_reads, iommu.translation_latency");
    v(page_size,
      {"page_size", "bytes", "4 KiB: Linux maps with the largest size alignment allows",
       "Largest page the mappings use: 4KiB, 2MiB or 1GiB. A mapping is split into the "
       "largest pages its alignment allows; its memory is aligned to this size.",
       4096, 1ull << 30},
      "iommu.iotlb.hit_rate, iommu.walk.memory_reads, iommu.translation_latency");
    v(parent,
      {"parent", "", "none",
       "Nested only: a second_level IOAS defined earlier. Its first mapping is the "
       "guest's memory, from which the guest's tables and mapped pages are taken."},
      "iommu.walk.memory_reads (second-level reads of the nested walk)");
    v.list(mappings, {"mappings", "ranges mapped at start-up, each backed by fresh memory"});
  }
};

struct AttachParams {
  std::string device;
  std::uint32_t pasid = 1;
  std::string ioas;

  template <class V>
  void visit(V& v) {
    v(device, {"device", "", "required", "PCIe function to attach (pcie.endpoints[].name)."},
      "which function's DMAs translate (pcie.<name>.unsupported_request when none)");
    v(pasid,
      {"pasid", "", "1",
       "PASID whose PASID-table entry points at the IOAS's table; 0 "
       "is RID_PASID (requests without PASID).",
       0, (1u << 20) - 1},
      "which PASID's DMAs translate (iommu.faults.reason.0x59 otherwise)");
    v(ioas, {"ioas", "", "required", "Address space to attach to (address_spaces[].name)."},
      "iommu.translated, iommu.faults.*");
  }
};

// Guest memory a nested_hwpt address space's tables take, from the start
// of its parent's first mapping: the root and every table down to the
// mappings' pages (the mapped pages follow).
inline std::uint64_t guest_table_bytes(const AddressSpaceParams& as) {
  std::uint64_t tables = 1;
  for (const auto& m : as.mappings) {
    for (unsigned k = 1; k < as.levels; ++k) tables += (m.size >> (12 + 9 * k)) + 2;
  }
  return tables * 4096;
}

struct PlatformConfig {
  std::string description;
  std::vector<std::string> expect_groups;
  std::uint64_t seed = 1;
  std::string mode = "timed";
  double quantum_ns = 100000.0;
  MemoryParams memory;
  PcieParams pcie;
  IommuParams iommu;
  HostParams host;
  OracleParams oracle;
  StatsParams stats;
  std::vector<AddressSpaceParams> address_spaces{
      AddressSpaceParams{.name = "as0", .mappings = {MappingParams{}}}};
  std::vector<AttachParams> attach{AttachParams{"nic0", 1, "as0"}};
  std::vector<WorkloadParams> workloads{WorkloadParams{.name = "", .device = "nic0"}};
  std::vector<DeviceModelParams> devices;

  template <class V>
  void visit(V& v) {
    v(description,
      {"description", "", "empty",
       "Free text: what the config models and where its layout and numbers come from (a "
       "machine's lspci listing, a datasheet). The model does not read it."},
      "nothing");
    v(expect_groups,
      {"expect_groups", "", "empty: nothing to compare",
       "The IOMMU groups the machine a config models has, as its listing gives them: one "
       "entry per group, the names of its ports and functions separated by spaces "
       "(\"00:1c.0 02:00.0\"). iommu-sim topo prints whether the computed groups match, "
       "comparing the named devices only (docs/topology.md, \"Importing your machine\"); "
       "iommu-sim topo --import writes it from a group listing."},
      "nothing (iommu-sim topo's expect_groups lines and exit status)");
    v(seed,
      {"seed", "", "1",
       "The one seed every random choice is derived from; the same "
       "config and seed give a byte-identical stats.json."},
      "every seeded draw: workload addresses and read/write mix, random replacement, "
      "iommu.walk.llc_hits");
    v(mode,
      {"mode",
       "",
       "timed",
       "timed: every block waits where hardware would, contention is modelled; "
       "functional: no waits, unloaded latencies, same translations and cache counters.",
       0,
       0,
       false,
       {"timed", "functional"}},
      "latency histograms (functional: unloaded); no counter");
    v(quantum_ns,
      {"quantum_ns", "ns",
       "100 us: TLM-2.0 loosely-timed practice of a quantum far above one "
       "transaction (~300 unloaded DMAs here), so that synchronisation is rare",
       "Functional mode only: how far an initiator may run ahead of simulated "
       "time before it yields to other processes (host actions, other devices).",
       1.0, 1e12},
      "none: functional-mode simulation speed only");
    v.group("memory", memory, "memory channel");
    v.group("pcie", pcie, "PCIe topology and link timing");
    v.group("iommu", iommu, "the VT-d remapping unit");
    v.group("host", host, "host driver and ioasid manager");
    v.group("oracle", oracle, "ordering and isolation oracle (docs/oracles.md)");
    v.group("stats", stats, "warm-up, histogram bins and time series (docs/running.md)");
    v.list(address_spaces, {"address_spaces", "I/O address spaces created at start-up"});
    v.list(attach, {"attach", "(device, PASID) -> address space attachments made at start-up"});
    v.list(workloads, {"workloads", "DMA generators", 0, 1024});
    v.list(devices, {"devices",
                     "device models with queues in host memory, driven by their drivers on the "
                     "host CPUs through the DMA API (docs/devices.md)",
                     0, 64});
  }
};

// Parses and validates a configuration: fields, ranges, and references
// between sections. An empty error list means the config can be built.
std::vector<ConfigError> load_config(const nlohmann::json& j, PlatformConfig& out);
std::vector<ConfigError> validate(const PlatformConfig& c);

}  // namespace iommu_sim
