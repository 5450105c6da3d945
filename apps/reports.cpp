#include "apps/reports.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "apps/printf_number.h"
#include "model/kernel.h"
#include "model/param_doc.h"
#include "workloads/trace/trace_csv.h"

namespace iommu_sim {

namespace {

// One line per workload: its engine and what it achieved.
void print_workload(std::ostream& os, const DmaGenerator& g, const std::string& mode,
                    const nlohmann::json& stats) {
  const std::string p = std::string("workload.") + g.basename();
  std::string label = std::string("  workload ") + g.basename();
  label.resize(std::max<std::size_t>(label.size() + 1, 26), ' ');
  os << label << mode << " mode, " << g.slots()
     << " in flight: " << printf_number("%.2f Gb/s", stats.at(p + ".throughput_gbps").get<double>())
     << ", " << printf_number("%.2f M DMAs/s", stats.at(p + ".dma_rate_mps").get<double>()) << "\n";
}

// `text` padded to the summary's value column.
std::string padded(std::string text) {
  text.resize(std::max<std::size_t>(text.size() + 1, 26), ' ');
  return text;
}

// One line per replayed device, and one for the trace's maps and unmaps.
void print_replay(std::ostream& os, const PlatformReplay& replay) {
  for (const auto& d : replay.devices()) {
    os << padded("  replay " + d->device()) << d->issued() << " DMAs (completed " << d->completed()
       << ", faulted " << d->faulted() << "), latency p50 "
       << printf_number("%.1f ns", static_cast<double>(d->latency().percentile(0.5)) / 1000)
       << "\n";
  }
  const TraceReplayer& r = replay.replayer();
  if (r.maps() + r.unmaps() == 0) return;
  os << padded("  trace map/unmap") << r.maps() << " maps, " << r.unmaps() << " unmaps, "
     << r.host_failures() << " failed\n";
  if (!r.first_host_failure().empty()) os << "    first failure " << r.first_host_failure() << "\n";
}

void print_translation(std::ostream& os, const nlohmann::json& s) {
  const double misses = s.at("iommu.iotlb.misses").get<double>();
  const double reads = s.at("iommu.walk.memory_reads").get<double>();
  const auto& lat = s.at("iommu.translation_latency");
  os << "  IOTLB hit rate          "
     << printf_number("%.2f %%", 100.0 * s.at("iommu.iotlb.hit_rate").get<double>()) << "\n";
  os << "  translation latency     mean " << printf_number("%.1f", lat.at("mean").get<double>())
     << " ns, p50 " << printf_number("%.1f", lat.at("p50").get<double>()) << " ns, p99 "
     << printf_number("%.1f", lat.at("p99").get<double>()) << " ns (simulated)\n";
  os << "  memory reads per miss   " << printf_number("%.2f", misses == 0 ? 0.0 : reads / misses)
     << "\n";
}

// One line per link that carried TLPs: how busy each direction was.
void print_links(std::ostream& os, const nlohmann::json& s) {
  static const std::string kPrefix = "pcie.link.", kSuffix = ".up.utilisation";
  for (const auto& [key, value] : s.items()) {
    if (key.rfind(kPrefix, 0) != 0 || key.size() <= kPrefix.size() + kSuffix.size() ||
        key.compare(key.size() - kSuffix.size(), kSuffix.size(), kSuffix) != 0) {
      continue;
    }
    const std::string base = key.substr(0, key.size() - kSuffix.size());
    const auto up = s.at(base + ".up.tlps").get<std::uint64_t>();
    const auto down = s.at(base + ".down.tlps").get<std::uint64_t>();
    if (up + down == 0) continue;
    std::string label = "  link " + base.substr(kPrefix.size());
    label.resize(std::max<std::size_t>(label.size() + 1, 26), ' ');
    os << label << "up " << printf_number("%.1f %%", 100.0 * value.get<double>()) << " busy (" << up
       << " TLPs), down "
       << printf_number("%.1f %%", 100.0 * s.at(base + ".down.utilisation").get<double>())
       << " busy (" << down << " TLPs)\n";
  }
}

// One NVMe model's line: I/Os, rate, latency; returns its I/Os.
std::uint64_t print_nvme(std::ostream& os, const std::string& name, const nlohmann::json& s) {
  const std::string p = "devices." + name + ".";
  const auto n = s.at(p + "ios").get<std::uint64_t>();
  os << padded("  device " + name) << n << " I/Os, "
     << printf_number("%.0f", s.at(p + "iops").get<double>()) << " IOPS, "
     << printf_number("%.2f Gb/s", s.at(p + "gbps").get<double>()) << ", latency p50 "
     << printf_number("%.1f us", s.at(p + "latency").at("p50").get<double>() / 1000.0) << "\n";
  return n;
}

// One NIC model's line: packets received, dropped and sent, receive rate
// and latency; returns its packets.
std::uint64_t print_nic(std::ostream& os, const std::string& name, const nlohmann::json& s) {
  const std::string p = "devices." + name + ".";
  const auto rx = s.at(p + "rx_packets").get<std::uint64_t>();
  const auto tx = s.at(p + "tx_packets").get<std::uint64_t>();
  os << padded("  device " + name) << rx << " packets received ("
     << s.at(p + "rx_dropped").get<std::uint64_t>() << " dropped), " << tx << " sent, "
     << printf_number("%.0f", s.at(p + "rx_pps").get<double>()) << " pps, "
     << printf_number("%.2f Gb/s", s.at(p + "rx_gbps").get<double>()) << ", latency p50 "
     << printf_number("%.1f us", s.at(p + "latency").at("p50").get<double>() / 1000.0) << "\n";
  return rx + tx;
}

// Per device model: its work, rate, latency; and the CPU time it cost.
// An accelerator's engine: its DMAs and throughput (workload.<name>.*).
void print_accelerator(std::ostream& os, const DeviceModelParams& d, const nlohmann::json& s) {
  const std::string p = "workload." + d.name;
  os << padded("  accelerator " + d.name) << s.at(p + ".completed").get<std::uint64_t>()
     << " DMAs of 4 KiB, " << d.queue_depth
     << " in flight: " << printf_number("%.2f Gb/s", s.at(p + ".throughput_gbps").get<double>())
     << "\n";
}

void print_device_models(std::ostream& os, const PlatformConfig& config, const nlohmann::json& s) {
  std::uint64_t work = 0;
  bool nic = false;
  for (const DeviceModelParams& d : config.devices) {
    switch (parse_device_model_type(d.type)) {
      case DeviceModelType::Nic:
        nic = true;
        work += print_nic(os, d.name, s);
        break;
      case DeviceModelType::Nvme:
        work += print_nvme(os, d.name, s);
        break;
      case DeviceModelType::Accelerator:
        print_accelerator(os, d, s);
        break;
    }
  }
  if (work == 0) return;
  os << "  host CPUs               " << config.host.cpus << " (" << config.host.dma_api << "), "
     << printf_number("%.0f ns",
                      s.at("host.cpu.all.busy_ns").get<double>() / static_cast<double>(work))
     << " of CPU time per " << (nic ? "I/O or packet" : "I/O") << "\n";
}

}  // namespace

void print_summary(std::ostream& os, Platform& platform, const nlohmann::json& j,
                   double wall_seconds, const PlatformReplay* replay) {
  const auto& s = j.at("stats");
  std::uint64_t dmas = 0, completed = 0, faulted = 0;
  for (std::size_t i = 0; replay != nullptr && i < replay->devices().size(); ++i) {
    const DeviceReplayer& d = *replay->devices()[i];
    dmas += d.issued();
    completed += d.completed();
    faulted += d.faulted();
  }
  for (std::size_t i = 0; i < platform.workload_count(); ++i) {
    const std::string p = std::string("workload.") + platform.workload(i).basename();
    dmas += s.at(p + ".issued").get<std::uint64_t>();
    completed += s.at(p + ".completed").get<std::uint64_t>();
    faulted += s.at(p + ".faulted").get<std::uint64_t>();
  }
  os << "iommu-sim: " << platform.config().mode << " mode, seed " << platform.config().seed << ", "
     << printf_number("%.3f", j.at("simulated_time_ns").get<double>() / 1e6) << " ms simulated\n";
  if (const auto& w = j.at("warmup_end_ns"); w.is_number() && w.get<double>() > 0) {
    os << "  warm-up                 ended at " << printf_number("%.3f", w.get<double>() / 1e6)
       << " ms: the figures below are from there on\n";
  }
  os << "  DMAs                    " << dmas << " (completed " << completed << ", faulted "
     << faulted << ")\n";
  if (platform.config().host.dma_remapping == "off") {
    // Nothing was translated: the translation figures would all be zero.
    os << "  DMA remapping           off (intel_iommu=off): "
       << s.at("iommu.untranslated").get<std::uint64_t>() << " DMAs untranslated\n";
  } else {
    print_translation(os, s);
  }
  os << "  faults                  " << s.at("iommu.faults.total").get<std::uint64_t>() << "\n";
  for (std::size_t i = 0; i < platform.workload_count(); ++i) {
    print_workload(os, platform.workload(i), platform.config().workloads[i].mode, s);
  }
  if (replay != nullptr) print_replay(os, *replay);
  print_device_models(os, platform.config(), s);
  print_links(os, s);
  print_violations(os, platform.oracle());
  os << "  wall time               " << printf_number("%.3f s", wall_seconds) << " ("
     << printf_number("%.0f", wall_seconds > 0 ? dmas / wall_seconds : 0.0)
     << " DMAs per wall-second)\n";
}

void print_violations(std::ostream& os, const DmaOracle& oracle) {
  if (oracle.checked() == 0) return;
  os << "  oracle                  " << oracle.checked() << " DMAs checked, " << oracle.violations()
     << " violations\n";
  for (const Violation& v : oracle.listed()) os << "    " << v.to_string() << "\n";
  print_not_listed(os, oracle.not_listed());
}

void print_not_listed(std::ostream& os, std::uint64_t not_listed) {
  if (not_listed == 0) return;
  os << "    ... and " << not_listed << " more not listed (oracle.max_listed)\n";
}

std::string parameters_markdown() {
  PlatformConfig config;
  std::vector<ParamDocRow> rows;
  ParamDocCollector collector("", rows);
  config.visit(collector);
  std::ostringstream os;
  os << "# Parameters\n\n"
        "Generated by `iommu-sim params` from the declarations in the code (the `visit` "
        "functions of each block's `*_params.h`); a test checks this file is current.\n"
        "Every field is a key of the JSON config at the dotted path shown; `[]` marks the "
        "elements of a list.\n\n"
        "| parameter | unit | default | range | default's source | meaning | moves |\n"
        "|---|---|---|---|---|---|---|\n";
  auto cell = [](std::string s) {
    for (std::size_t i = 0; (i = s.find('|', i)) != std::string::npos; i += 2)
      s.replace(i, 1, "\\|");
    return s;
  };
  for (const auto& r : rows) {
    os << "| `" << r.path << "` | " << cell(r.unit) << " | `" << cell(r.default_value) << "` | "
       << cell(r.range) << " | " << cell(r.source) << " | " << cell(r.doc) << " | " << cell(r.moves)
       << " |\n";
  }
  return os.str();
}

std::string statistics_markdown() {
  // The names come from a default platform's registry: the same code that
  // registers them for a run.
  start_fresh_kernel();
  sc_core::sc_report_handler::set_actions("/IEEE_Std_1666/deprecated", sc_core::SC_DO_NOTHING);
  PlatformConfig config;
  // A device model's statistics, as an NVMe model "ssd" on its own
  // function "ssd0" with one queue registers them.
  // The NIC model "nic" on "eth0" likewise.
  config.pcie.endpoints.push_back({.name = "ssd0"});
  config.pcie.endpoints.push_back({.name = "eth0"});
  config.devices = {DeviceModelParams{.name = "ssd", .device = "ssd0", .queues = 1},
                    DeviceModelParams{.name = "nic", .type = "nic", .device = "eth0", .queues = 1}};
  Platform platform(config);
  // The replay statistics, as a replay of nic0 registers them.
  const TraceSummary nic0{.devices = {"nic0"}, .per_device = {1}};
  const PlatformReplay replay(
      platform, std::make_unique<CsvTraceReader>(std::make_unique<std::istringstream>(), "none"),
      nic0, TraceTiming::Honour);
  std::ostringstream os;
  os << "# Statistics\n\n"
        "Generated by `iommu-sim stats` from the registry of the default platform; a test "
        "checks this file is current. Names are stable: scripts may rely on them. Per-device "
        "and per-workload names use the configured names (here `nic0`, `wl0`); a link is "
        "named after the device whose link it is, or the switch upstream port or PCIe-to-PCI "
        "bridge whose uplink it is (`pcie.link.<name>.up|down.*`). `replay.*` exist in "
        "`iommu-sim replay` runs only, `replay.<device>.*` for each device the trace names "
        "(docs/trace.md). `devices.<name>.*` exist for each device model (here the NVMe "
        "model `ssd` on function `ssd0` and the NIC model `nic` on function `eth0`, `q<k>` for "
        "each queue; docs/devices.md). Histograms "
        "are written with count, mean, min, p50, p90, p99 and max, and their bins (edges and "
        "counts, stats.histogram_bins). After a warm-up (stats.warmup_dmas, stats.warmup_ns) "
        "every counter and histogram starts again and rates are measured from its end; "
        "occupancies and memory.frames_touched are state and stay (docs/running.md).\n\n"
        "| name | meaning |\n|---|---|\n";
  for (const auto& [name, doc] : platform.stats().descriptions()) {
    os << "| `" << name << "` | " << doc << " |\n";
  }
  return os.str();
}

std::optional<nlohmann::json> resolve_stat(const nlohmann::json& stats_json,
                                           const std::string& name) {
  const nlohmann::json& stats = stats_json.at("stats");
  if (stats.contains(name)) return stats.at(name);
  if (const std::size_t dot = name.rfind('.'); dot != std::string::npos) {
    const std::string base = name.substr(0, dot), field = name.substr(dot + 1);
    if (stats.contains(base) && stats.at(base).is_object() && stats.at(base).contains(field)) {
      return stats.at(base).at(field);
    }
  }
  if (name != "stats" && name != "config" && stats_json.contains(name)) return stats_json.at(name);
  return std::nullopt;
}

}  // namespace iommu_sim
