// One step of a scenario timeline: a host call (the ioasid manager's API),
// a guest page-table change, a single DMA, or a read of a context's fault
// queue, at a simulated time, with the outcome the scenario expects. Every
// field is declared once here; which action takes which field is the action
// table's (scenario/actions.cpp), and docs/scenarios.md is generated from both.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "model/param.h"

namespace iommu_sim {

// A fault a "faults" step expects to read, in order.
struct FaultExpectParams {
  std::string label;
  std::string reason;  // VT-d fault reason, "0x71"
  std::uint64_t address = 0;
  std::set<std::string> given;  // the keys the file gave

  template <class V>
  void visit(V& v) {
    v(label, {"label", "", "required", "Label of the binding the fault is reported for."});
    v(reason,
      {"reason", "", "required", "VT-d fault reason in hex, e.g. \"0x71\" (docs/model.md)."});
    v(address, {"address", "bytes (IOVA)", "not compared",
                "Page-aligned faulting address (FI); compared only when given."});
  }
};

// An IOVA range as struct iommu_iova_range has it: both ends inclusive.
struct IovaRangeParams {
  std::uint64_t start = 0, last = 0;

  template <class V>
  void visit(V& v) {
    v(start, {"start", "bytes", "required", "First IOVA of the range.", 0, kAnyU64});
    v(last, {"last", "bytes", "required", "Last IOVA of the range (inclusive).", 0, kAnyU64});
  }
};

// One entry of an invalidate step's array (struct
// iommu_hwpt_vtd_s1_invalidate).
struct InvalidationEntryParams {
  std::uint64_t addr = 0, npages = ~0ull;
  std::vector<std::string> flags;
  std::uint32_t reserved = 0;

  template <class V>
  void visit(V& v) {
    v(addr, {"addr", "bytes", "0", "First address; 4 KiB aligned.", 0, kAnyU64});
    v(npages,
      {"npages", "pages", "all", "4 KiB pages from addr; absent: the whole space.", 0, kAnyU64});
    v(flags, {"flags", "", "none", "\"leaf\" (IOMMU_VTD_INV_FLAGS_LEAF) or a number (\"0x2\")."});
    v(reserved, {"reserved", "", "0", "The entry's __reserved field; Linux refuses non-zero.", 0,
                 4294967295.0});
  }
};

// A name an address field was written as ("buf" or "buf+0x1000"): the IOVA
// an earlier automatic map step chose, plus an offset, resolved when the
// step runs.
struct AddressRef {
  std::string name;
  std::uint64_t offset = 0;
};

struct StepParams {
  std::string action;
  double at_ns = -1;  // < 0: right after the previous step
  std::string context, device, label, name, ioas, src_ioas, to, hwpt, parent, table;
  std::string translation = "first_level";
  std::uint32_t levels = 4;
  std::uint64_t page_size = 4096;
  bool nest_parent = false;
  std::uint32_t pasid = 1;
  bool pasid_present = true;  // dma: send a PASID prefix
  std::uint64_t iova = 0, src_iova = 0, gpa = 0, length = 4096, addr = 0, npages = ~0ull, base = 0;
  bool writable = true, write = false, leaf = false;
  std::uint32_t size = 64;
  std::string expect = "ok";
  std::vector<FaultExpectParams> faults;
  std::vector<IovaRangeParams> ranges;
  std::vector<std::string> flags;
  std::string data_type;
  std::uint32_t data_len = 0;
  std::vector<InvalidationEntryParams> entries;
  std::uint32_t processed = 0;
  // Set by parse_steps from the file, not declared as fields: the keys the
  // step gave (a missing "pasid" on invalidate covers every PASID, a map
  // without "iova" picks one) and the address fields written as names.
  std::set<std::string> given;
  std::map<std::string, AddressRef> refs;

  template <class V>
  void visit(V& v) {
    v(action, {"do", "", "required", "What the step does: an action of docs/scenarios.md."});
    v(at_ns,
      {"at_ns", "ns", "right after the previous step",
       "Simulated time the step starts; a step whose time has passed starts at once.", -1, 1e15});
    v(context, {"context", "", "", "Name of a context opened by an earlier \"open\" step."});
    v(device, {"device", "", "", "A PCI function (pcie.endpoints[].name, <name>.<n>)."});
    v(label, {"label", "", "", "Label of a device binding."});
    v(name, {"name", "", "", "Name the step gives the object or IOVA it creates."});
    v(ioas, {"ioas", "", "", "An IOAS: one of the platform's address_spaces or an ioas_alloc."});
    v(src_ioas, {"src_ioas", "", "", "copy: the IOAS whose mapping is copied."});
    v(to, {"to", "", "", "attach/replace: the IOAS or HWPT to point the PASID entry at."});
    v(hwpt, {"hwpt", "", "", "A HWPT created by an earlier step."});
    v(parent, {"parent", "", "", "hwpt_alloc_nested: the nest-parent HWPT."});
    v(table, {"table", "", "", "A guest table created by an earlier guest_table step."});
    v(translation, {"translation",
                    "",
                    "first_level",
                    "ioas_alloc: table format.",
                    0,
                    0,
                    false,
                    {"first_level", "second_level"}});
    v(levels, {"levels", "levels", "4", "ioas_alloc, guest_table: paging levels.", 0, 8});
    v(page_size,
      {"page_size", "bytes", "4 KiB", "ioas_alloc: largest page mappings use.", 0, 1ull << 40});
    v(nest_parent,
      {"nest_parent", "", "false", "hwpt_alloc: a second-level HWPT nested ones can use."});
    v(pasid, {"pasid", "", "1 (invalidate: every PASID)", "PASID of the step.", 0, (1u << 20) - 1});
    v(pasid_present, {"pasid_present", "", "true", "dma: whether the request carries a PASID."});
    v(iova, {"iova", "bytes", "0 (map: chosen)",
             "First IOVA (map, copy, unmap, reserve, guest_map, guest_unmap, dma); any 64-bit "
             "value, as a hex string above 2^53, or a name an automatic map gave (\"buf\", "
             "\"buf+0x1000\").",
             0, kAnyU64});
    v(src_iova,
      {"src_iova", "bytes", "0",
       "copy: first IOVA of the source range; a number or an automatic map's name.", 0, kAnyU64});
    v(gpa, {"gpa", "bytes", "0", "guest_map: first guest-physical address mapped.", 0, kAnyU64});
    v(length, {"length", "bytes", "4 KiB",
               "Bytes mapped, copied, reserved or unmapped; at most 64 GiB, as a config's "
               "mappings[].size.",
               0, kMaxMappingBytes});
    v(addr, {"addr", "bytes", "0",
             "invalidate: first address; a number or an automatic map's name.", 0, kAnyU64});
    v(npages, {"npages", "pages", "all",
               "invalidate: 4 KiB pages from addr; absent: the whole space (0xffffffffffffffff).",
               0, kAnyU64});
    v(base, {"base", "bytes", "0", "guest_table: guest-physical address the table pages start at.",
             0, kAnyU64});
    v(writable, {"writable", "", "true", "map, guest_map: allow DMA writes."});
    v(write, {"write", "", "false", "dma: a write rather than a read."});
    v(leaf, {"leaf", "", "false", "invalidate: only leaf entries changed (IH)."});
    v(size, {"size", "bytes", "64", "dma: request size.", 1, 4096});
    v(expect,
      {"expect", "", "ok",
       "Host calls: ok or the errno name the call must fail with (EPERM, ENOENT, ...); dma: "
       "ok, unsupported_request (blocked by the IOMMU) or completer_abort; any step: any (the "
       "outcome is reported, not checked)."});
    v(flags, {"flags", "", "none",
              "map: fixed_iova, writeable, readable (IOMMU_IOAS_MAP_*); hwpt_alloc, "
              "hwpt_alloc_nested: nest_parent, dirty_tracking, fault_id_valid, pasid "
              "(IOMMU_HWPT_ALLOC_*, IOMMU_HWPT_FAULT_ID_VALID); any of them also as a number "
              "(\"0x100\"), for bits iommufd does not know."});
    v(data_type, {"data_type", "", "none (hwpt_alloc_nested: vtd_s1)",
                  "hwpt_alloc*: none, vtd_s1, arm_smmuv3 (IOMMU_HWPT_DATA_*) or a number; "
                  "invalidate: vtd_s1 (IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, 0) or a number."});
    v(data_len,
      {"data_len", "bytes", "the type's size (vtd_s1: 24)",
       "hwpt_alloc*: the length of the driver data (struct iommu_hwpt_vtd_s1).", 0, 4294967295.0});
    v(processed, {"processed", "entries", "not compared",
                  "invalidate: how many entries the call must report handled (entry_num out).", 0,
                  4294967295.0});
    v.list(faults, {"faults", "faults step: the faults the context must read, in order"});
    v.list(ranges, {"ranges",
                    "iova_ranges: the ranges the IOAS must report, in order; allow_iovas: the "
                    "allowed ranges"});
    v.list(entries, {"entries", "invalidate: the array of entries, in order"});
  }
};

}  // namespace iommu_sim
