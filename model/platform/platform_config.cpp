#include "model/platform/platform_config.h"

#include "model/host/ioas_format.h"
#include "pcie/expected_groups.h"
#include "pcie/topology.h"

#include <algorithm>
#include <bit>
#include <map>
#include <set>
#include <sstream>

namespace iommu_sim {

namespace {

// The DMA engine's rules: where its DMAs may go in the window, and which
// mode decides how many are in flight.
void validate_dma_engine(const WorkloadParams& w, const std::string& path,
                         std::vector<ConfigError>& errors) {
  auto fail = [&](const std::string& field, std::string reason) {
    errors.push_back({path + '.' + field, std::move(reason)});
  };
  if (w.mode != "slots" && w.outstanding != 1) {
    fail("outstanding", "is for mode slots only: mode " + w.mode + " keeps " +
                            (w.mode == "latency" ? std::string("one DMA")
                                                 : std::string("one DMA per tag of the function "
                                                               "(pcie.endpoints[].tags)")) +
                            " in flight (got " + std::to_string(w.outstanding) + ")");
  }
  // PCIe Base spec 2.2.7: a request must not cross a 4 KiB boundary.
  if (w.offset + w.size > kDmaPageBytes) {
    fail("offset", "offset + size = " + std::to_string(w.offset + w.size) +
                       " exceeds 4096: a DMA would cross a 4 KiB page (PCIe Base spec 2.2.7)");
    return;
  }
  if (w.offset != 0 && w.base % kDmaPageBytes != 0) {
    fail("base", "must be 4 KiB aligned when offset is set (offset places DMAs inside each page)");
  } else if (w.base % w.size != 0) {
    fail("base", "must be a multiple of size");
  }
  if (w.span < w.size) {
    fail("span", "must be at least size");
  } else if (dma_slots_in_window(w) == 0) {
    fail("span",
         "holds no " + std::to_string(w.size) + "-byte DMA at offset " + std::to_string(w.offset));
  }
}

void validate_workloads(const PlatformConfig& c, const std::map<std::string, Bdf>& devices,
                        std::vector<ConfigError>& errors) {
  std::set<std::string> names;
  for (std::size_t i = 0; i < c.workloads.size(); ++i) {
    const auto& w = c.workloads[i];
    const std::string path = "workloads[" + std::to_string(i) + "]";
    if (!devices.contains(w.device)) {
      errors.push_back({path + ".device", "no endpoint named \"" + w.device + "\""});
    }
    validate_dma_engine(w, path, errors);
    const std::string name = w.name.empty() ? "wl" + std::to_string(i) : w.name;
    if (!names.insert(name).second) {
      errors.push_back({path + ".name", "duplicate workload name \"" + name + "\""});
    }
  }
}

// Every domain the set-up creates needs a domain ID of its own (VT-d
// caches are tagged with it; model/host/domain_ids.h): one per address
// space, two per guest-owned one (its nest-parent HWPT and nested HWPT),
// one per IOMMU group of the device models' functions (the DMA API's
// default domains). More than the IOMMU offers is refused here, not
// wrapped (two domains sharing an ID would share cached translations).
template <class Fail>
void check_domain_ids(const PlatformConfig& c, const Topology& topology, Fail& fail) {
  const unsigned bits = c.iommu.domain_id_bits;
  if (bits % 2 != 0) {
    fail(
        "iommu.domain_id_bits",
        "must be even (CAP.ND = (bits - 4) / 2 encodes 4, 6, ... 16), got " + std::to_string(bits));
    return;
  }
  std::uint64_t needed = 0;
  for (const auto& as : c.address_spaces) needed += as.translation == "nested_hwpt" ? 2 : 1;
  std::set<int> groups;
  for (const auto& d : c.devices) {
    if (const int n = topology.find(d.device); n >= 0) groups.insert(topology.nodes[n].group);
  }
  needed += groups.size();
  const std::uint64_t offered = (1ull << bits) - 1;
  if (needed > offered) {
    fail("address_spaces", std::to_string(c.address_spaces.size()) + " address spaces and " +
                               std::to_string(groups.size()) + " device-model IOMMU groups need " +
                               std::to_string(needed) + " domain IDs; the IOMMU offers " +
                               std::to_string(offered) +
                               " (2^iommu.domain_id_bits - 1, ID 0 reserved)");
  }
}

// The NIC's own fields; the NVMe-only ones it ignores (docs/devices.md).
template <class Fail>
void validate_nic(const DeviceModelParams& d, Fail& fail) {
  if (d.packet_size < 64 || d.packet_size > 9000) {
    fail("packet_size", std::to_string(d.packet_size) +
                            " is outside 64 to 9000 bytes (a minimum Ethernet frame to a jumbo "
                            "frame)");
  }
  if (d.offered_gbps <= 0) fail("offered_gbps", "must be above 0 for a NIC");
}

// A device model's function belongs to the kernel: the DMA API gives it
// its default domain, so the ioasid manager must not attach it too.
void validate_device_models(const PlatformConfig& c, const Topology& topology,
                            std::vector<ConfigError>& errors) {
  std::set<std::string> names;
  for (std::size_t i = 0; i < c.devices.size(); ++i) {
    const DeviceModelParams& d = c.devices[i];
    const std::string path = "devices[" + std::to_string(i) + "]";
    auto fail = [&](const std::string& field, std::string reason) {
      std::string where = path;
      where += '.';
      where += field;
      errors.push_back({std::move(where), std::move(reason)});
    };
    if (d.name.empty()) fail("name", "required");
    if (!names.insert(d.name).second)
      fail("name", "duplicate device model name \"" + d.name + "\"");
    const bool nic = parse_device_model_type(d.type) == DeviceModelType::Nic;
    const int node = topology.find(d.device);
    if (node < 0 || !topology.is_function(node)) {
      fail("device", "no endpoint named \"" + d.device + "\"");
    } else if (!nic && d.queue_depth > topology.nodes[static_cast<std::size_t>(node)].tags) {
      fail("queue_depth", std::to_string(d.queue_depth) + " is above the " +
                              std::to_string(topology.nodes[static_cast<std::size_t>(node)].tags) +
                              " read tags of " + d.device + " (pcie.endpoints[].tags)");
    }
    for (const AttachParams& a : c.attach) {
      if (a.device == d.device) {
        fail("device", d.device + " is attached to \"" + a.ioas +
                           "\" in attach[]; a device model's function is owned by the kernel "
                           "(host.dma_api)");
      }
    }
    if (d.queues > c.host.cpus) {
      fail("queues", std::to_string(d.queues) + " queues need as many CPUs; host.cpus is " +
                         std::to_string(c.host.cpus));
    }
    if (nic) {
      validate_nic(d, fail);
    } else if (d.io_size % 4096 != 0) {
      fail("io_size", "must be a multiple of 4096");
    }
    if (parse_device_model_type(d.type) == DeviceModelType::Accelerator) {
      if (d.buffer_size % 4096 != 0) fail("buffer_size", "must be a multiple of 4096");
      // The engine keeps queue_depth DMAs in flight, one slot each.
      if (d.queue_depth > 1024) fail("queue_depth", "an accelerator keeps at most 1024 in flight");
    }
  }
}

// The stats section: one warm-up at most, and a sampling period the
// simulator's picosecond time can step by.
void validate_stats(const StatsParams& s, std::vector<ConfigError>& errors) {
  if (s.warmup_dmas != 0 && s.warmup_ns != 0) {
    std::ostringstream got;
    got << "got warmup_dmas " << s.warmup_dmas << " and warmup_ns " << s.warmup_ns;
    errors.push_back({"stats.warmup_ns",
                      "set at most one of stats.warmup_dmas and "
                      "stats.warmup_ns (" +
                          got.str() + ")"});
  }
  auto at_least_1ns = [&](double v, const char* field, const char* zero) {
    if (v == 0 || v >= 1) return;
    std::ostringstream got;
    got << v;
    errors.push_back(
        {std::string("stats.") + field,
         std::string("must be 0 (") + zero + ") or at least 1 ns (got " + got.str() + ")"});
  };
  at_least_1ns(s.warmup_ns, "warmup_ns", "no warm-up");
  at_least_1ns(s.interval_ns, "interval_ns", "no time series");
}

// The geometry rules every cache shares, IOMMU caches and device ATCs
// alike (set_associative_cache.h): bounded host memory, and tree-PLRU's
// binary tree over the ways.
template <class Fail>
void check_caches(const PlatformConfig& c, Fail& fail) {
  auto check_cache = [&](const std::string& path, const CacheParams& cache) {
    const std::uint64_t entries = std::uint64_t{cache.sets} * cache.ways;
    if (entries > kMaxCacheEntries) {
      fail(path + ".ways", "sets x ways is " + std::to_string(entries) + " entries, more than " +
                               std::to_string(kMaxCacheEntries));
    }
    if (cache.replacement == "tree_plru" && !std::has_single_bit(cache.ways)) {
      fail(path + ".replacement", "tree_plru needs a power-of-two number of ways (got " +
                                      std::to_string(cache.ways) + ")");
    }
  };
  for (const auto& [path, cache] : c.iommu.caches()) check_cache(path, *cache);
  for (std::size_t i = 0; i < c.pcie.endpoints.size(); ++i) {
    check_cache("pcie.endpoints[" + std::to_string(i) + "].ats.atc", c.pcie.endpoints[i].ats.atc);
    if (c.pcie.endpoints[i].ats.bug != "none" && !c.pcie.endpoints[i].ats.enabled) {
      fail("pcie.endpoints[" + std::to_string(i) + "].ats.bug",
           "models a device-TLB bug; needs ats.enabled");
    }
  }
}

// An address space's mappings: aligned, inside the table's IOVA space
// (below `limit`), clear of the interrupt window and of each other.
template <class Fail>
void check_mappings(const AddressSpaceParams& as, const std::string& path, std::uint64_t limit,
                    Fail& fail) {
  std::map<std::uint64_t, std::uint64_t> ranges;
  for (std::size_t m = 0; m < as.mappings.size(); ++m) {
    const auto& map = as.mappings[m];
    const std::string mp = path + ".mappings[" + std::to_string(m) + "]";
    if (map.iova % 4096 != 0) fail(mp + ".iova", "must be 4 KiB aligned");
    if (map.size % 4096 != 0) fail(mp + ".size", "must be a multiple of 4 KiB");
    if (map.iova + map.size > limit || map.iova + map.size < map.iova) {
      fail(mp, "ends beyond the " + std::to_string(std::bit_width(limit) - 1) +
                   "-bit IOVA space of the IOAS's " + std::to_string(as.levels) + "-level table");
      continue;
    }
    if (ioas_format::overlaps_msi_window(map.iova, map.size)) {
      fail(mp, "overlaps the interrupt window 0xFEE00000-0xFEEFFFFF, reserved in every IOAS");
      continue;
    }
    auto next = ranges.lower_bound(map.iova);
    const bool overlaps_next = next != ranges.end() && next->first < map.iova + map.size;
    const bool overlaps_prev = next != ranges.begin() && std::prev(next)->second > map.iova;
    if (overlaps_next || overlaps_prev) fail(mp, "overlaps another mapping of " + as.name);
    ranges.emplace(map.iova, map.iova + map.size);
  }
}

// Address spaces: names, levels against the IOMMU's width, page sizes,
// nested parents and the guest memory they need, and their mappings.
// Returns the names.
template <class Fail>
std::set<std::string> check_address_spaces(const PlatformConfig& c, Fail& fail) {
  std::set<std::string> spaces;
  std::map<std::string, std::uint64_t> guest_use;  // nested bytes per parent
  std::map<std::string, std::string> guest_owner;  // parent -> first nested kind on it
  for (std::size_t i = 0; i < c.address_spaces.size(); ++i) {
    const auto& as = c.address_spaces[i];
    const std::string path = "address_spaces[" + std::to_string(i) + "]";
    if (as.name.empty()) fail(path + ".name", "is required");
    if (!spaces.insert(as.name).second) fail(path + ".name", "duplicate name \"" + as.name + "\"");
    const bool second_level = as.translation == "second_level";
    const bool nested = as.translation == "nested" || as.translation == "nested_hwpt";
    if (auto why = ioas_format::levels_error(second_level, as.levels)) fail(path + ".levels", *why);
    const std::uint32_t width = 12 + 9 * as.levels;
    if (width > c.iommu.address_width) {
      fail(path + ".levels", std::to_string(as.levels) + " levels need a " + std::to_string(width) +
                                 "-bit input; iommu.address_width is " +
                                 std::to_string(c.iommu.address_width));
    }
    if (!std::has_single_bit(as.page_size) ||
        !ioas_format::is_page_shift(std::countr_zero(as.page_size))) {
      fail(path + ".page_size", "must be 4KiB, 2MiB or 1GiB");
    }
    if (nested) {
      const auto parent = std::find_if(c.address_spaces.begin(), c.address_spaces.begin() + i,
                                       [&](const auto& p) { return p.name == as.parent; });
      if (parent == c.address_spaces.begin() + i) {
        fail(path + ".parent", "\"" + as.parent + "\" is not an address space defined before");
      } else if (parent->translation != "second_level") {
        fail(path + ".parent", "\"" + as.parent + "\" is not second_level");
      } else if (parent->mappings.empty()) {
        fail(path + ".parent", "\"" + as.parent + "\" maps no guest memory");
      } else if (!guest_owner.emplace(as.parent, as.translation).second &&
                 (as.translation == "nested_hwpt" || guest_owner.at(as.parent) == "nested_hwpt")) {
        // The guest's own table and pages are laid out from the start of
        // guest memory; the manager's nested IOASes take theirs elsewhere.
        fail(path + ".parent", "\"" + as.parent +
                                   "\" already holds another nested address space; a "
                                   "nested_hwpt one needs its guest memory to itself");
      } else {
        // The guest's tables, then the mapped pages and their alignment.
        guest_use[as.parent] += guest_table_bytes(as);
        for (const auto& m : as.mappings) {
          guest_use[as.parent] += m.size + (m.size >= as.page_size ? as.page_size : 0);
        }
      }
    } else if (!as.parent.empty()) {
      fail(path + ".parent", "is for nested address spaces only");
    }
    check_mappings(as, path, ioas_format::iova_limit(second_level, as.levels), fail);
  }
  for (const auto& [parent, bytes] : guest_use) {
    const auto it = std::find_if(c.address_spaces.begin(), c.address_spaces.end(),
                                 [&name = parent](const auto& p) { return p.name == name; });
    if (bytes > it->mappings.front().size) {
      fail("address_spaces[" + std::to_string(it - c.address_spaces.begin()) + "].mappings[0].size",
           "guest memory of " + std::to_string(it->mappings.front().size) +
               " bytes is too small for the nested address spaces on it (need " +
               std::to_string(bytes) + ")");
    }
  }
  return spaces;
}

// Physical memory: below the host address width, with room for the two
// regions the host allocates from.
template <class Fail>
void check_memory_layout(const PlatformConfig& c, Fail& fail) {
  // Memory above the host address width is memory no IOMMU table can name.
  if (c.memory.address_bits > c.iommu.host_address_width) {
    fail("memory.address_bits", "memory of " + std::to_string(c.memory.address_bits) +
                                    " address bits reaches above the IOMMU's host address width "
                                    "(iommu.host_address_width " +
                                    std::to_string(c.iommu.host_address_width) + ")");
  }
  // The host allocates tables and mapped memory from two regions of
  // physical memory: both must exist and must not overlap.
  const std::uint64_t memory_end = 1ull << c.memory.address_bits;
  constexpr std::uint64_t kTableBudget = 1ull << 30;
  std::uint64_t mapped = 0;
  for (const auto& as : c.address_spaces) {
    if (as.translation == "nested" || as.translation == "nested_hwpt") continue;  // guest memory
    // Memory for a mapping is aligned to the page size when it is that big.
    for (const auto& m : as.mappings) {
      mapped += m.size + (as.page_size > 4096 && m.size >= as.page_size ? as.page_size : 0);
    }
  }
  const bool tables_fit =
      c.host.table_region < memory_end && memory_end - c.host.table_region >= kTableBudget;
  const bool data_fits =
      c.host.data_region < memory_end && memory_end - c.host.data_region >= mapped;
  if (!tables_fit) {
    fail("host.table_region", "needs 1 GiB below 2^memory.address_bits (" +
                                  std::to_string(c.memory.address_bits) + " bits)");
  }
  if (!data_fits) {
    fail("host.data_region", "the " + std::to_string(mapped) +
                                 " mapped bytes do not fit below 2^memory.address_bits (" +
                                 std::to_string(c.memory.address_bits) + " bits)");
  }
  if (tables_fit && data_fits && c.host.table_region < c.host.data_region + mapped &&
      c.host.data_region < c.host.table_region + kTableBudget) {
    fail("host.table_region", "overlaps the data region (host.data_region + mapped bytes)");
  }
}

// Attachments: known functions and address spaces, PASIDs inside the
// directory, each (function, PASID) once, one IOAS per requester ID.
template <class Fail>
void check_attachments(const PlatformConfig& c, const std::map<std::string, Bdf>& devices,
                       const std::set<std::string>& spaces, Fail& fail) {
  std::set<std::pair<std::string, std::uint32_t>> attached;
  std::map<std::pair<std::uint16_t, std::uint32_t>, std::pair<std::string, std::string>> by_rid;
  for (std::size_t i = 0; i < c.attach.size(); ++i) {
    const auto& a = c.attach[i];
    const std::string path = "attach[" + std::to_string(i) + "]";
    if (!devices.contains(a.device))
      fail(path + ".device", "no endpoint named \"" + a.device + "\"");
    if (!spaces.contains(a.ioas)) fail(path + ".ioas", "no address space named \"" + a.ioas + "\"");
    if (a.pasid >= (64ull << (c.host.pasid_dir_size_bits + 7))) {
      fail(path + ".pasid", "exceeds the PASID directory (host.pasid_dir_size_bits)");
    }
    if (!attached.emplace(a.device, a.pasid).second) {
      fail(path,
           "device \"" + a.device + "\" PASID " + std::to_string(a.pasid) + " is attached twice");
    }
    // Functions behind one PCIe-to-PCI bridge share a requester ID, so the
    // IOMMU cannot tell them apart: one (requester ID, PASID), one IOAS.
    if (const auto d = devices.find(a.device); d != devices.end()) {
      const auto key = std::pair(d->second.rid(), a.pasid);
      const auto [it, fresh] = by_rid.emplace(key, std::pair(a.device, a.ioas));
      if (!fresh && it->second.second != a.ioas) {
        fail(path + ".ioas", a.device + " and " + it->second.first + " share requester ID " +
                                 d->second.to_string() +
                                 " (a PCIe-to-PCI bridge's alias); "
                                 "they cannot be attached to different address spaces");
      }
    }
  }
}

}  // namespace

std::vector<ConfigError> load_config(const nlohmann::json& j, PlatformConfig& out) {
  std::vector<ConfigError> errors;
  PlatformConfig c;
  ConfigLoader loader(j, "", errors);
  loader.load(c);
  if (!errors.empty()) return errors;
  errors = validate(c);
  if (errors.empty()) out = std::move(c);
  return errors;
}

std::vector<ConfigError> validate(const PlatformConfig& c) {
  std::vector<ConfigError> errors;
  auto fail = [&](std::string path, std::string reason) {
    errors.push_back({std::move(path), std::move(reason)});
  };
  // The PCI hierarchy: names, parents, ACS, bus numbers, BARs; the groups
  // expected of it name devices it has (checked once it enumerates).
  Topology topology;
  for (auto& e : build_topology(c.pcie, topology)) errors.push_back(std::move(e));
  if (errors.empty()) {
    for (auto& e : check_expected_group_names(topology, c.expect_groups)) {
      errors.push_back(std::move(e));
    }
  }
  std::map<std::string, Bdf> devices;  // function -> requester ID on the wire
  for (std::size_t i = 0; i < topology.nodes.size(); ++i) {
    if (topology.is_function(static_cast<int>(i))) {
      devices.emplace(topology.nodes[i].name, topology.nodes[i].requester_id);
    }
  }
  check_caches(c, fail);
  const std::set<std::string> spaces = check_address_spaces(c, fail);
  check_domain_ids(c, topology, fail);
  check_memory_layout(c, fail);
  check_attachments(c, devices, spaces, fail);
  validate_workloads(c, devices, errors);
  validate_device_models(c, topology, errors);
  validate_stats(c.stats, errors);
  return errors;
}

}  // namespace iommu_sim
