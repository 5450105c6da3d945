// Statistics for studies (docs/running.md): a warm-up restarts every
// statistic, a run cut into slices computes exactly what one sc_start()
// does, the time series' rows add up to the run, stats.json is stamped.
//
// The warm-up test is a difference: for a run A to its end, C its
// statistics at time T (a snapshot between two slices) and the same run B
// with stats.warmup_ns = T, every counter and histogram of B must be A's
// minus C's. A block that
// forgot to restart a statistic, or that steers by a counter the restart
// zeroes, fails it. Derived statistics are checked by what they are
// (state, a ratio, an accumulated time, a rate from T); a derived
// statistic the test does not know fails it, so that a new one gets
// classified here.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "model/kernel.h"
#include "model/platform/platform.h"
#include "model/stats_stamp.h"
#include "tests/support/cli.h"
#include "tests/support/temp_dir.h"

namespace iommu_sim {
namespace {

using sc_core::sc_time;

PlatformConfig load(const std::string& file) {
  PlatformConfig c;
  std::ifstream in(IOMMU_SIM_SOURCE_DIR "/" + file);
  const auto errors = load_config(nlohmann::json::parse(in), c);
  if (!errors.empty()) ADD_FAILURE() << errors.front().to_string();
  return c;
}

struct Snapshot {
  nlohmann::json json;  // stats.json
  std::map<std::string, std::uint64_t> counters;
  std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> histograms;  // count, sum
  std::set<std::string> derived;
  double end_ns = 0;
  std::uint64_t work = 0;
  double stat(const std::string& name) const { return json["stats"][name].get<double>(); }
};

Snapshot snapshot(Platform& p) {
  Snapshot s;
  s.json = p.stats_json();
  for (const auto& name : p.stats().counter_names())
    s.counters[name] = p.stats().counter_value(name);
  for (const auto& [name, value] : s.json["stats"].items()) {
    if (const Histogram* h = p.stats().find_histogram(name)) {
      s.histograms[name] = {h->count(), h->sum()};
    } else if (p.stats().has_derived(name)) {
      s.derived.insert(name);
    }
  }
  s.end_ns = s.json["simulated_time_ns"].get<double>();
  s.work = p.stats().work_done_total();
  return s;
}

Snapshot run(const PlatformConfig& c, SliceObserver* observer = nullptr) {
  start_fresh_kernel();
  Platform p(c);
  p.run(observer);
  return snapshot(p);
}

// Takes a snapshot of the run at the first event at or after `at`, with
// the kernel's time there and none of that event's processes run yet (the
// point a warm-up of warmup_ns = that time restarts at), and lets the run
// go on to its end.
class SnapshotAt : public SliceObserver {
 public:
  SnapshotAt(Platform& p, sc_time at) : platform_(p), at_(at) {}
  sc_time next_slice() override {
    if (taken) return sc_core::sc_max_time();  // on to the end
    if (first_) {
      first_ = false;
      return at_;  // Platform::run counts the first slice from 0
    }
    return sc_core::SC_ZERO_TIME;  // up to the next event, which is then due
  }
  bool after_slice() override {
    // Processes due now: the kernel is at an event time at or after `at`.
    if (!taken && sc_core::sc_time_to_pending_activity() == sc_core::SC_ZERO_TIME) {
      shot = snapshot(platform_);
      taken = true;
    }
    return true;
  }
  bool taken = false;
  Snapshot shot;

 private:
  Platform& platform_;
  sc_time at_;
  bool first_ = true;
};

// A run to its end, and its snapshot at the first event at or after `at`.
std::pair<Snapshot, Snapshot> run_with_snapshot(const PlatformConfig& c, sc_time at) {
  start_fresh_kernel();
  Platform p(c);
  SnapshotAt observer(p, at);
  p.run(&observer);
  EXPECT_TRUE(observer.taken);
  return {snapshot(p), observer.shot};
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
bool starts_with(const std::string& s, const std::string& prefix) {
  return s.rfind(prefix, 0) == 0;
}

// Checks a derived statistic of B against A and C (T: the warm-up's end,
// in ns; `start_ns`: when the run's engines and drivers start).
void expect_derived_restarts(const std::string& name, const Snapshot& a, const Snapshot& b,
                             const Snapshot& c, double t, double start_ns) {
  const double vb = b.stat(name), va = a.stat(name), vc = c.stat(name);
  const double end = a.end_ns;
  auto counter = [&](const std::string& n) { return static_cast<double>(b.counters.at(n)); };
  const std::size_t dot = name.rfind('.');
  const std::string base = name.substr(0, dot);
  // The end of a device's active window in A, from its first event at
  // start_ns and its rate over the window.
  auto window_end = [&](const std::string& count, const std::string& rate) {
    return start_ns + static_cast<double>(a.counters.at(count)) * 1e9 / a.stat(rate);
  };
  if (ends_with(name, ".occupancy") || name == "memory.frames_touched") {
    EXPECT_EQ(vb, va) << name << ": state, not a count: it stays";
  } else if (name == "iommu.iotlb.hit_rate") {
    const double n = counter("iommu.iotlb.hits") + counter("iommu.iotlb.misses");
    EXPECT_DOUBLE_EQ(vb, n == 0 ? 0.0 : counter("iommu.iotlb.hits") / n) << name;
  } else if (starts_with(name, "host.cpu.") && ends_with(name, "_ns")) {
    EXPECT_NEAR(vb, va - vc, 1e-3) << name << ": CPU time adds up";
  } else if (ends_with(name, ".utilisation")) {
    // Busy time adds up; each run divides by its own span.
    EXPECT_NEAR(vb * (end - t), va * end - vc * t, 1e-3 + 1e-9 * va * end) << name;
  } else if (starts_with(name, "workload.") && ends_with(name, ".active_ns")) {
    EXPECT_NEAR(vb, va - (t - start_ns), 1e-3) << name << ": active from the warm-up's end";
  } else if (starts_with(name, "workload.") && ends_with(name, ".throughput_gbps")) {
    EXPECT_NEAR(vb, counter(base + ".bytes") * 8 / b.stat(base + ".active_ns"), 1e-9 * vb) << name;
  } else if (starts_with(name, "workload.") && ends_with(name, ".dma_rate_mps")) {
    EXPECT_NEAR(vb, counter(base + ".completed") * 1000 / b.stat(base + ".active_ns"), 1e-9 * vb)
        << name;
  } else if (starts_with(name, "devices.") && ends_with(name, ".iops")) {
    // A device's or a queue's I/Os over the device's window, from T.
    const std::string device = name.substr(0, name.find('.', 8));
    const double last = window_end(device + ".ios", device + ".iops");
    EXPECT_NEAR(vb, counter(base + ".ios") * 1e9 / (last - t), 1e-6 * vb + 1e-9) << name;
  } else if (starts_with(name, "devices.") && ends_with(name, ".gbps")) {
    const double last = window_end(base + ".ios", base + ".iops");
    EXPECT_NEAR(vb, counter(base + ".bytes") * 8 / (last - t), 1e-6 * vb + 1e-9) << name;
  } else if (starts_with(name, "devices.") && ends_with(name, ".rx_pps")) {
    const double last = window_end(base + ".rx_packets", base + ".rx_pps");
    EXPECT_NEAR(vb, counter(base + ".rx_packets") * 1e9 / (last - t), 1e-6 * vb + 1e-9) << name;
  } else if (starts_with(name, "devices.") && ends_with(name, ".rx_gbps")) {
    const double last = window_end(base + ".rx_packets", base + ".rx_pps");
    EXPECT_NEAR(vb, counter(base + ".rx_bytes") * 8 / (last - t), 1e-6 * vb + 1e-9) << name;
  } else {
    ADD_FAILURE() << name << ": a derived statistic this test does not know; say here how it "
                  << "restarts after a warm-up";
  }
}

// Runs A, with C its snapshot at the first event at or after `fraction`
// of its run, and B with the warm-up there; returns how many counters and
// histograms C had moved.
int expect_warmup_restarts_everything(const PlatformConfig& config, double fraction,
                                      bool check_derived = true) {
  const Snapshot whole = run(config);
  const auto [a, c] =
      run_with_snapshot(config, sc_time(std::floor(whole.end_ns * fraction), sc_core::SC_NS));
  EXPECT_EQ(a.json.dump(), whole.json.dump()) << "a snapshot must not change the run";
  const double t = c.end_ns;  // an event's time, in ns with ps precision
  PlatformConfig warm = config;
  warm.stats.warmup_ns = t;
  const Snapshot b = run(warm);

  EXPECT_NEAR(b.json["warmup_end_ns"].get<double>(), t, 1e-6);
  EXPECT_EQ(b.end_ns, a.end_ns) << "a warm-up must not change the simulation";
  EXPECT_EQ(b.work, a.work);
  int moved = 0;
  for (const auto& [name, va] : a.counters) {
    const std::uint64_t vc = c.counters.at(name);
    EXPECT_EQ(b.counters.at(name), va - vc) << name;
    if (vc > 0) ++moved;
  }
  for (const auto& [name, va] : a.histograms) {
    const auto& vc = c.histograms.at(name);
    EXPECT_EQ(b.histograms.at(name).first, va.first - vc.first) << name << " count";
    EXPECT_EQ(b.histograms.at(name).second, va.second - vc.second) << name << " sum";
    if (vc.first > 0) ++moved;
  }
  if (check_derived) {
    double start_ns = 0;
    if (!config.workloads.empty()) start_ns = config.workloads.front().start_ns;
    if (!config.devices.empty()) start_ns = config.devices.front().start_ns;
    for (const auto& name : a.derived) expect_derived_restarts(name, a, b, c, t, start_ns);
  }
  // The oracle's listings restart with its counters.
  EXPECT_LE(b.json["oracle"]["listed"].size(),
            b.counters.at("oracle.violations.stale_translation") +
                b.counters.at("oracle.violations.isolation_breach"));
  return moved;
}

TEST(StatsWarmup, EveryStatisticRestartsAtTheWarmupEnd) {
  int moved = 0;
  {
    SCOPED_TRACE("two devices, mixed reads and writes, oracle on");
    PlatformConfig c = load("configs/two_devices_mixed.json");
    c.workloads[0].count = 6000;
    c.workloads[1].count = 1500;
    c.oracle.enabled = true;
    moved += expect_warmup_restarts_everything(c, 0.4);
  }
  for (const char* api : {"strict", "lazy"}) {
    SCOPED_TRACE(std::string("NVMe, ") + api);
    PlatformConfig c = load("configs/devices/nvme_4k_random_reads.json");
    c.devices[0].count = 300;
    c.host.dma_api = api;
    moved += expect_warmup_restarts_everything(c, 0.5);
  }
  {
    SCOPED_TRACE("NIC, receive and send");
    PlatformConfig c = load("configs/devices/nic_1500b_rx.json");
    c.devices[0].count = 600;
    c.devices[0].tx_gbps = 5;
    moved += expect_warmup_restarts_everything(c, 0.5);
  }
  {
    SCOPED_TRACE("accelerator with ATS");
    PlatformConfig c = load("configs/devices/accelerator_stream.json");
    c.devices[0].count = 3000;
    moved += expect_warmup_restarts_everything(c, 0.3);
  }
  {
    SCOPED_TRACE("functional mode");
    PlatformConfig c = load("configs/two_devices_mixed.json");
    c.mode = "functional";
    c.quantum_ns = 1000;
    c.workloads[0].count = 20000;
    c.workloads[1].count = 5000;
    // Initiators run ahead of the kernel's time: rates are not checked.
    moved += expect_warmup_restarts_everything(c, 0.5, false);
  }
  // The test means something only where the warm-up had counted.
  EXPECT_GE(moved, 200);
}

TEST(StatsWarmup, WarmupDmasRestartsTheInstantTheLastWarmupDmaEnds) {
  PlatformConfig c;
  c.workloads[0].mode = "latency";  // one DMA at a time: exactly 1500 remain
  c.workloads[0].count = 2000;
  c.stats.warmup_dmas = 500;
  const Snapshot b = run(c);
  EXPECT_EQ(b.counters.at("workload.wl0.issued"), 1500u);
  EXPECT_EQ(b.counters.at("workload.wl0.completed"), 1500u);
  EXPECT_EQ(b.histograms.at("workload.wl0.latency").first, 1500u);
  EXPECT_EQ(b.counters.at("iommu.requests"), 1500u);
  EXPECT_EQ(b.work, 2000u);
  // The restart came at the 500th DMA's end: B's active time is the rest.
  const double end = b.json["warmup_end_ns"].get<double>();
  EXPECT_GT(end, 0);
  EXPECT_NEAR(b.stat("workload.wl0.active_ns"), b.end_ns - end, 1e-6);
  // The same DMAs in functional mode, where an initiator runs ahead.
  c.mode = "functional";
  const Snapshot f = run(c);
  EXPECT_EQ(f.counters.at("workload.wl0.completed"), 1500u);
  EXPECT_EQ(f.counters.at("workload.wl0.issued"), 1500u);
}

TEST(StatsWarmup, AWarmupThatNeverEndsIsNull) {
  PlatformConfig c;
  c.workloads[0].count = 500;
  c.stats.warmup_ns = 1e12;
  const Snapshot b = run(c);
  EXPECT_TRUE(b.json["warmup_end_ns"].is_null());
  EXPECT_EQ(b.counters.at("workload.wl0.completed"), 500u);
}

// ------------------------------------------------------------------ slices

// Cuts the run into slices of a fixed simulated length.
class EverySlice : public SliceObserver {
 public:
  explicit EverySlice(sc_time length) : length_(length) {}
  sc_time next_slice() override { return length_; }
  bool after_slice() override {
    ++slices;
    return true;
  }
  int slices = 0;

 private:
  sc_time length_;
};

TEST(Slices, CuttingARunIntoSlicesChangesNoByteOfStatsJson) {
  int configs = 0;
  for (const char* dir : {"configs", "configs/devices", "configs/topology"}) {
    for (const auto& entry :
         std::filesystem::directory_iterator(std::string(IOMMU_SIM_SOURCE_DIR "/") + dir)) {
      if (entry.path().extension() != ".json") continue;
      for (const char* mode : {"timed", "functional"}) {
        SCOPED_TRACE(entry.path().string() + " " + mode);
        PlatformConfig c = load(std::string(dir) + "/" + entry.path().filename().string());
        c.mode = mode;
        for (auto& w : c.workloads) w.count = std::min<std::uint64_t>(w.count, 3000);
        for (auto& d : c.devices) d.count = std::min<std::uint64_t>(d.count, 200);
        const Snapshot whole = run(c);
        // Slices far shorter than a DMA, and a prime number of ns long.
        EverySlice slices(sc_time(97, sc_core::SC_NS));
        const Snapshot sliced = run(c, &slices);
        EXPECT_GT(slices.slices, 1);
        EXPECT_EQ(sliced.json.dump(2), whole.json.dump(2));
        ++configs;
      }
    }
  }
  EXPECT_GE(configs, 30);
}

TEST(Slices, SamplingATimeSeriesChangesNoStatistic) {
  PlatformConfig c = load("configs/two_devices_mixed.json");
  c.workloads[0].count = 4000;
  c.workloads[1].count = 1000;
  const Snapshot whole = run(c);
  c.stats.interval_ns = 1000;
  const Snapshot sampled = run(c);
  EXPECT_EQ(sampled.json["stats"].dump(2), whole.json["stats"].dump(2));
  EXPECT_EQ(sampled.json["simulated_time_ns"], whole.json["simulated_time_ns"]);
}

// ------------------------------------------------------------- time series

std::vector<std::vector<std::string>> parse_crlf_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t end = text.find("\r\n", at);
    EXPECT_NE(end, std::string::npos) << "every record ends with CRLF (RFC 4180)";
    if (end == std::string::npos) break;
    std::vector<std::string> fields;
    std::stringstream line(text.substr(at, end - at));
    for (std::string f; std::getline(line, f, ',');) fields.push_back(f);
    rows.push_back(fields);
    at = end + 2;
  }
  return rows;
}

TEST(TimeSeries, RowsAreIntervalsAndColumnsSumToTheRunsCounters) {
  PlatformConfig c = load("configs/two_devices_mixed.json");
  c.workloads[0].count = 4000;
  c.workloads[1].count = 1000;
  c.stats.interval_ns = 5000;
  c.stats.timeseries = {"workload.*.completed", "iommu.iotlb.misses", "memory.writes"};
  for (const double warmup : {0.0, 20000.0}) {
    SCOPED_TRACE(warmup);
    c.stats.warmup_ns = warmup;
    start_fresh_kernel();
    Platform p(c);
    p.run();
    const auto rows = parse_crlf_csv(p.timeseries().csv());
    ASSERT_GE(rows.size(), 3u);
    // Patterns expand to every matching counter, in name order.
    EXPECT_EQ(rows[0],
              (std::vector<std::string>{"time_ns", "workload.io.completed", "workload.rx.completed",
                                        "iommu.iotlb.misses", "memory.writes"}));
    std::vector<std::uint64_t> sums(4, 0);
    for (std::size_t r = 1; r < rows.size(); ++r) {
      ASSERT_EQ(rows[r].size(), 5u);
      const std::string time = r + 1 < rows.size()
                                   ? std::to_string(5000 * r) + ".000"
                                   : std::string();  // the last row: the end of the run
      if (!time.empty()) {
        EXPECT_EQ(rows[r][0], time);
      }
      for (std::size_t k = 0; k < 4; ++k) sums[k] += std::stoull(rows[r][k + 1]);
    }
    EXPECT_EQ(std::stod(rows.back()[0]), p.stats_json()["simulated_time_ns"].get<double>());
    // Run totals: a warm-up's restart does not show.
    EXPECT_EQ(sums[0], 1000u);
    EXPECT_EQ(sums[1], 4000u);
    const auto& misses = *p.stats().find_counter("iommu.iotlb.misses");
    EXPECT_EQ(sums[2], misses.run_total());
    EXPECT_EQ(sums[3], p.stats().find_counter("memory.writes")->run_total());
    if (warmup > 0) {
      EXPECT_GT(misses.before_restart, 0u);
    }
  }
}

TEST(TimeSeries, UnknownNamesAreErrorsNamingTheField) {
  PlatformConfig c;
  c.stats.interval_ns = 1000;
  c.stats.timeseries = {"iommu.iotlb.hits", "iommu.iotlb.hitz", "iommu.translation_latency",
                        "nothing.*"};
  start_fresh_kernel();
  Platform p(c);
  const auto errors = p.check_stats();
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].path, "stats.timeseries[1]");
  EXPECT_NE(errors[0].reason.find("no counter named \"iommu.iotlb.hitz\""), std::string::npos);
  EXPECT_EQ(errors[1].path, "stats.timeseries[2]");
  EXPECT_NE(errors[1].reason.find("histogram"), std::string::npos);
  EXPECT_THROW(p.run(), std::invalid_argument);

  const auto cfg = test::write_temp(
      "bad_series.json",
      R"({"stats": {"interval_ns": 1000, "timeseries": ["iommu.iotlb.hits", "iommu.iotlb.hitz"]}})");
  const auto dir = test::temp_dir() / "bad_series_out";
  std::filesystem::remove_all(dir);
  const auto r = test::run_command("--config " + cfg + " --out " + dir.string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("iommu-sim: config error: stats.timeseries[1]: no counter named"),
            std::string::npos)
      << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir / "stats.json"));
}

TEST(TimeSeries, TheCommandLineWritesItIntoOut) {
  const auto cfg = test::write_temp(
      "series.json",
      R"({"workloads": [{"device": "nic0", "count": 3000}], "stats": {"interval_ns": 100000}})");
  const auto dir = test::temp_dir() / "series_out";
  std::filesystem::remove_all(dir);
  const auto r = test::run_command("--config " + cfg + " --out " + dir.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream in(dir / "stats-timeseries.csv", std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto rows = parse_crlf_csv(text);
  ASSERT_GE(rows.size(), 3u);
  EXPECT_EQ(rows[0][0], "time_ns");
  EXPECT_EQ(rows[0][1], "workload.wl0.completed");
  EXPECT_EQ(rows[1][0], "100000.000");
  std::uint64_t completed = 0;
  for (std::size_t i = 1; i < rows.size(); ++i) completed += std::stoull(rows[i][1]);
  EXPECT_EQ(completed, 3000u);
  // Without --out there is nowhere to write it: the run says so.
  const auto quiet = test::run_command("--config " + cfg + " --quiet");
  EXPECT_EQ(quiet.exit_code, 0);
  EXPECT_NE(quiet.output.find("there is no --out: the time series was not written"),
            std::string::npos)
      << quiet.output;
}

// ------------------------------------------------------------ config errors

std::vector<ConfigError> errors_of(const std::string& json) {
  PlatformConfig c;
  return load_config(nlohmann::json::parse(json), c);
}

TEST(StatsConfig, WrongFieldsAreNamedWithTheReason) {
  auto first = [](const std::vector<ConfigError>& e) {
    return e.empty() ? std::string("no error") : e.front().to_string();
  };
  EXPECT_EQ(first(errors_of(R"({"stats": {"warmup_dmas": 100, "warmup_ns": 5000}})")),
            "stats.warmup_ns: set at most one of stats.warmup_dmas and stats.warmup_ns (got "
            "warmup_dmas 100 and warmup_ns 5000)");
  EXPECT_EQ(first(errors_of(R"({"stats": {"interval_ns": 0.5}})")),
            "stats.interval_ns: must be 0 (no time series) or at least 1 ns (got 0.5)");
  EXPECT_EQ(first(errors_of(R"({"stats": {"warmup_ns": 0.25}})")),
            "stats.warmup_ns: must be 0 (no warm-up) or at least 1 ns (got 0.25)");
  EXPECT_EQ(first(errors_of(R"({"stats": {"histogram_scale": "cubic"}})")),
            "stats.histogram_scale: must be one of log, linear (got \"cubic\")");
  EXPECT_EQ(first(errors_of(R"({"stats": {"histogram_bins": 0}})")),
            "stats.histogram_bins: must be between 1 and 1000 (got 0)");
  EXPECT_EQ(first(errors_of(R"({"stats": {"timeseries": "iommu.requests"}})")),
            "stats.timeseries: must be an array of strings (got \"iommu.requests\")");
  EXPECT_EQ(first(errors_of(R"({"stats": {"timeseries": ["iommu.requests", 3]}})")),
            "stats.timeseries[1]: must be a string (got 3)");
  EXPECT_EQ(first(errors_of(R"({"stats": {"timeseries": [""]}})")),
            "stats.timeseries[0]: must not be empty");
  EXPECT_EQ(first(errors_of(R"({"stats": {"warmup": 5}})")), "stats.warmup: unknown parameter");
}

TEST(StatsConfig, AWarmupLongerThanTheRunIsRefusedBeforeItRuns) {
  const auto cfg = test::write_temp(
      "long_warmup.json",
      R"({"workloads": [{"device": "nic0", "count": 1000}], "stats": {"warmup_dmas": 1000}})");
  const auto dir = test::temp_dir() / "long_warmup_out";
  std::filesystem::remove_all(dir);
  const auto r = test::run_command("--config " + cfg + " --out " + dir.string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("iommu-sim: config error: stats.warmup_dmas: must be below the 1000 "
                          "DMAs this run does"),
            std::string::npos)
      << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir / "stats.json"));
}

// ------------------------------------------------------------------ stamps

TEST(StatsStamp, Fnv1a64MatchesThePublishedVectors) {
  // draft-eastlake-fnv, test vectors for FNV-1a 64.
  EXPECT_EQ(fnv1a_64(""), 0xcbf29ce484222325ull);
  EXPECT_EQ(fnv1a_64("a"), 0xaf63dc4c8601ec8cull);
  EXPECT_EQ(fnv1a_64("foobar"), 0x85944171f73967e8ull);
  EXPECT_EQ(hex64(0xaf63dc4c8601ec8cull), "af63dc4c8601ec8c");
  EXPECT_EQ(hex64(1), "0000000000000001");
}

TEST(StatsStamp, StatsJsonCarriesVersionCommitAndTheConfigsHash) {
  PlatformConfig c;
  c.workloads[0].count = 100;
  const Snapshot s = run(c);
  EXPECT_EQ(s.json["version"], std::string(simulator_version()));
  const std::string commit = s.json["git_commit"];
  EXPECT_TRUE(
      commit == "unknown" ||
      (commit.size() == 40 && commit.find_first_not_of("0123456789abcdef") == std::string::npos))
      << commit;
  EXPECT_EQ(s.json["config_hash"], hex64(fnv1a_64(s.json["config"].dump())));
  c.seed = 2;
  EXPECT_NE(run(c).json["config_hash"], s.json["config_hash"]);
  EXPECT_EQ(s.json["complete"], true);
}

}  // namespace
}  // namespace iommu_sim
