// `--timeline` (apps/timeline_writer.h): the Chrome Trace Event JSON of a
// small replay (a cold DMA, a warm one, a map, a DMA into it, the unmap
// with its two descriptors, a DMA that faults), checked as a viewer reads
// it: threads named, slices nested per thread, flow arrows bound to the
// slices around them, counters, the window and the event limit; the
// writer's lane rules on events made by hand; the command line's errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "apps/timeline_writer.h"
#include "model/trace.h"
#include "tests/support/cli.h"
#include "tests/support/temp_dir.h"

namespace iommu_sim::test {
namespace {

using nlohmann::json;

constexpr const char* kConfig =
    R"({"pcie":{"endpoints":[{"name":"nic0"}]},)"
    R"("address_spaces":[{"name":"as0","mappings":[{"iova":"0x100000","size":"1MiB",)"
    R"("writable":true}]}],"attach":[{"device":"nic0","pasid":1,"ioas":"as0"}]})";

// Cold, warm (same page), cold (next page); a map, a DMA into it, its
// strict unmap (a PASID-based IOTLB invalidation and a wait), a DMA that
// faults.
constexpr const char* kTrace =
    "time_ns,device,pasid,address,size,op\n"
    "0,nic0,1,0x100000,64,read\n"
    "1000,nic0,1,0x100040,64,read\n"
    "2000,nic0,1,0x101000,64,write\n"
    "2500,nic0,1,0x200000,65536,map\n"
    "3000,nic0,1,0x200000,64,read\n"
    "4000,nic0,1,0x200000,65536,unmap\n"
    "6000,nic0,1,0x200000,64,read\n";

std::int64_t ps(const json& ts) {
  return std::llround(ts.get<double>() * 1e6);
}

struct Timeline {
  json doc;
  std::vector<json> events;
  std::map<std::pair<int, int>, std::string> threads;
  std::map<int, std::string> processes;

  std::vector<json> named(const std::string& name, const std::string& ph = "X") const {
    std::vector<json> out;
    for (const json& e : events) {
      if (e["ph"] == ph && e.value("name", "") == name) out.push_back(e);
    }
    return out;
  }
  // The innermost complete slice on (pid, tid) around `at` (ps), or null.
  const json* enclosing(int pid, int tid, std::int64_t at) const {
    const json* best = nullptr;
    for (const json& e : events) {
      if (e["ph"] != "X" || e["pid"] != pid || e["tid"] != tid) continue;
      const std::int64_t b = ps(e["ts"]), end = b + ps(e["dur"]);
      if (b <= at && at <= end && (best == nullptr || b >= ps((*best)["ts"]))) best = &e;
    }
    return best;
  }
};

Timeline read_timeline(const std::filesystem::path& file) {
  Timeline t;
  std::ifstream in(file);
  t.doc = json::parse(in);  // throws, failing the test, on invalid JSON
  for (const json& e : t.doc.at("traceEvents")) {
    t.events.push_back(e);
    if (e["ph"] == "M" && e["name"] == "thread_name") {
      t.threads[{e["pid"], e["tid"]}] = e["args"]["name"];
    }
    if (e["ph"] == "M" && e["name"] == "process_name") t.processes[e["pid"]] = e["args"]["name"];
  }
  return t;
}

// Per thread, sorted by start (longer first on a tie), every slice either
// starts at or after the end of the one open before it or ends inside it.
void expect_nested_per_thread(const Timeline& t) {
  std::map<std::pair<int, int>, std::vector<std::pair<std::int64_t, std::int64_t>>> by_thread;
  for (const json& e : t.events) {
    if (e["ph"] != "X") continue;
    const std::pair<int, int> thread{e["pid"], e["tid"]};
    EXPECT_TRUE(t.threads.count(thread)) << "slice on an unnamed thread: " << e.dump();
    ASSERT_GE(e["dur"].get<double>(), 0.0) << e.dump();
    by_thread[thread].push_back({ps(e["ts"]), ps(e["ts"]) + ps(e["dur"])});
  }
  for (auto& [thread, slices] : by_thread) {
    std::sort(slices.begin(), slices.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first < b.first : a.second > b.second;
    });
    std::vector<std::int64_t> open_ends;
    for (const auto& [b, e] : slices) {
      while (!open_ends.empty() && open_ends.back() <= b) open_ends.pop_back();
      if (!open_ends.empty()) {
        EXPECT_LE(e, open_ends.back())
            << t.threads.at(thread) << ": slice [" << b << ", " << e << "] ps crosses the end of "
            << "the slice it starts in, at " << open_ends.back();
      }
      open_ends.push_back(e);
    }
  }
}

class TimelineRun : public ::testing::Test {
 protected:
  // Replays kTrace with `options` added; returns the command's result.
  CommandResult replay(const std::string& name, const std::string& options) {
    const std::string config = write_temp("timeline_config.json", kConfig);
    const std::string trace = write_temp("timeline_trace.csv", kTrace);
    file_ = temp_dir() / name;
    std::filesystem::remove(file_);
    return run_command("replay " + trace + " --config " + config + " --quiet --timeline " +
                       file_.string() + " " + options);
  }
  std::filesystem::path file_;
};

TEST_F(TimelineRun, IsTraceEventJsonWithNamedTracksAndNestedSlices) {
  const auto r = replay("timeline_full.json", "");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const Timeline t = read_timeline(file_);
  EXPECT_EQ(t.doc["displayTimeUnit"], "ns");
  EXPECT_EQ(t.doc["otherData"]["truncated"], false);
  EXPECT_EQ(t.processes.at(1), "PCIe");
  EXPECT_EQ(t.processes.at(2), "IOMMU");
  EXPECT_EQ(t.processes.at(3), "host");
  expect_nested_per_thread(t);

  // Five DMAs, one thread: the replay waits for each before the next.
  const auto dmas = t.named("dma.issue");
  ASSERT_EQ(dmas.size(), 5u);
  EXPECT_EQ(t.threads.at({1, dmas[0]["tid"]}), "nic0");
  // Microseconds: the DMA the trace issues at 1000 ns starts at 1.0.
  EXPECT_EQ(ps(dmas[1]["ts"]), 1'000'000);
  EXPECT_GT(ps(dmas[1]["dur"]), 0);
  EXPECT_EQ(dmas[1]["args"]["address"], 0x100040);

  // Walks: the cold DMAs' and the faulting one's; the warm DMA hit.
  const auto walks = t.named("walk.begin");
  ASSERT_EQ(walks.size(), 4u);
  EXPECT_EQ(t.threads.at({2, walks[0]["tid"]}), "walk engine");

  // Link crossings, up and down.
  bool up = false, down = false;
  for (const json& l : t.named("link.enter")) {
    const std::string thread = t.threads.at({1, l["tid"]});
    up = up || thread == "link nic0 up";
    down = down || thread == "link nic0 down";
  }
  EXPECT_TRUE(up && down);

  // The unmap's two descriptors: slices on the invalidation queue, one
  // after the other, each taking time.
  const auto descriptors = t.named("qi.descriptor");
  ASSERT_EQ(descriptors.size(), 2u);
  EXPECT_EQ(t.threads.at({2, descriptors[0]["tid"]}), "invalidation queue");
  EXPECT_EQ(descriptors[0]["args"]["type"], 6);  // PASID-based IOTLB invalidation
  EXPECT_EQ(descriptors[1]["args"]["type"], 5);  // invalidation wait
  EXPECT_GT(ps(descriptors[0]["dur"]), 0);
  EXPECT_GE(ps(descriptors[1]["ts"]), ps(descriptors[0]["ts"]) + ps(descriptors[0]["dur"]));

  // Host calls on CPU 0: the unmap, and inside it, on the same thread, the
  // driver's submit-and-wait, which starts before the first descriptor.
  const auto unmaps = t.named("ioas.unmap");
  const auto submits = t.named("driver.submit_and_wait");
  ASSERT_EQ(unmaps.size(), 1u);
  ASSERT_EQ(submits.size(), 1u);
  EXPECT_EQ(t.threads.at({3, unmaps[0]["tid"]}), "CPU 0");
  EXPECT_EQ(submits[0]["tid"], unmaps[0]["tid"]);
  EXPECT_EQ(ps(unmaps[0]["ts"]), 4'000'000);
  EXPECT_GE(ps(submits[0]["ts"]), ps(unmaps[0]["ts"]));
  EXPECT_LE(ps(submits[0]["ts"]) + ps(submits[0]["dur"]),
            ps(unmaps[0]["ts"]) + ps(unmaps[0]["dur"]));
  EXPECT_LT(ps(submits[0]["ts"]), ps(descriptors[0]["ts"]));
  EXPECT_EQ(t.named("ioas.map").size(), 2u);  // the config's, and the trace's

  // The fault, an instant on the IOMMU's faults thread.
  const auto faults = t.named("fault", "i");
  ASSERT_EQ(faults.size(), 1u);
  EXPECT_EQ(t.threads.at({2, faults[0]["tid"]}), "faults");
}

TEST_F(TimelineRun, EveryArrowGoesFromADmaToTheWalkItCaused) {
  const auto r = replay("timeline_flows.json", "");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const Timeline t = read_timeline(file_);
  std::map<std::uint64_t, json> starts;
  for (const json& s : t.named("translation", "s")) starts[s["id"]] = s;
  const auto finishes = t.named("translation", "f");
  ASSERT_EQ(finishes.size(), 4u);  // one per walk
  ASSERT_EQ(starts.size(), 4u);
  std::map<std::uint64_t, int> arrows_per_dma;
  for (const json& f : finishes) {
    EXPECT_EQ(f["bp"], "e");
    ASSERT_TRUE(starts.count(f["id"])) << "no start for " << f.dump();
    const json& s = starts[f["id"]];
    const json* dma = t.enclosing(s["pid"], s["tid"], ps(s["ts"]));
    const json* walk = t.enclosing(f["pid"], f["tid"], ps(f["ts"]));
    ASSERT_NE(dma, nullptr) << s.dump();
    ASSERT_NE(walk, nullptr) << f.dump();
    EXPECT_EQ((*dma)["name"], "dma.issue");
    EXPECT_EQ((*walk)["name"], "walk.begin");
    EXPECT_EQ((*walk)["args"]["flow"], (*dma)["args"]["id"]);
    ++arrows_per_dma[(*dma)["args"]["address"]];
  }
  // The cold DMA's arrow, none for the warm one.
  EXPECT_EQ(arrows_per_dma[0x100000], 1);
  EXPECT_EQ(arrows_per_dma.count(0x100040), 0u);
}

TEST_F(TimelineRun, CountersFollowIotlbOccupancyAndQueueDepth) {
  const auto r = replay("timeline_counters.json", "");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const Timeline t = read_timeline(file_);
  std::vector<int> iotlb, queue;
  for (const json& c : t.named("IOTLB occupancy", "C")) {
    EXPECT_EQ(c["pid"], 2);
    iotlb.push_back(c["args"]["entries"]);
  }
  for (const json& c : t.named("invalidation queue", "C"))
    queue.push_back(c["args"]["descriptors"]);
  // Three fills (pages 0x100000, 0x101000, 0x200000; the warm DMA hit),
  // the unmap's invalidation removes 0x200000's, the faulting walk fills
  // nothing.
  EXPECT_EQ(iotlb, (std::vector<int>{1, 2, 3, 2}));
  // Empty at start-up; the unmap posts two descriptors, each one done
  // takes one off.
  EXPECT_EQ(queue, (std::vector<int>{0, 2, 1, 0}));
}

TEST_F(TimelineRun, AWindowKeepsOnlyWhatHappensInsideItAndClipsSlices) {
  const auto r = replay("timeline_window.json", "--timeline-window 900:2100");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const Timeline t = read_timeline(file_);
  expect_nested_per_thread(t);
  constexpr std::int64_t kStart = 900'000, kEnd = 2'100'000;
  for (const json& e : t.events) {
    if (e["ph"] == "M") continue;
    EXPECT_GE(ps(e["ts"]), kStart) << e.dump();
    EXPECT_LE(ps(e["ts"]) + (e.contains("dur") ? ps(e["dur"]) : 0), kEnd) << e.dump();
  }
  // The DMA at 0 ns (ends at 967 ns: cut at 900 ns), at 1000 ns (whole) and
  // at 2000 ns (cut at 2100 ns).
  const auto dmas = t.named("dma.issue");
  ASSERT_EQ(dmas.size(), 3u);
  EXPECT_EQ(dmas[0]["args"]["clipped"], true);
  EXPECT_EQ(ps(dmas[0]["ts"]), kStart);
  EXPECT_EQ(dmas[0]["args"]["address"], 0x100000);
  EXPECT_FALSE(dmas[1]["args"].contains("clipped"));
  EXPECT_EQ(dmas[2]["args"]["clipped"], true);
  EXPECT_EQ(ps(dmas[2]["ts"]) + ps(dmas[2]["dur"]), kEnd);
  // Their walks: the first ended at 773 ns, before the window; the third's
  // starts after it. No walk, so no arrow.
  EXPECT_TRUE(t.named("walk.begin").empty());
  EXPECT_TRUE(t.named("translation", "f").empty());
  // The IOTLB's occupancy when the window opens: the first walk's entry.
  const auto iotlb = t.named("IOTLB occupancy", "C");
  ASSERT_FALSE(iotlb.empty());
  EXPECT_EQ(ps(iotlb[0]["ts"]), kStart);
  EXPECT_EQ(iotlb[0]["args"]["entries"], 1);
  EXPECT_EQ(t.doc["otherData"]["window_ns"], json({900.0, 2100.0}));
}

TEST_F(TimelineRun, TheEventLimitStopsWritingAndSaysSo) {
  const auto r = replay("timeline_limit.json", "--timeline-limit 10");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("--timeline: stopped writing"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("10 events (--timeline-limit)"), std::string::npos) << r.output;
  const Timeline t = read_timeline(file_);
  expect_nested_per_thread(t);
  const auto counted =
      std::count_if(t.events.begin(), t.events.end(), [](const json& e) { return e["ph"] != "M"; });
  EXPECT_LE(counted, 10);
  EXPECT_GE(counted, 9);  // a DMA with its arrow goes whole or not at all
  EXPECT_EQ(t.doc["otherData"]["truncated"], true);
  EXPECT_EQ(t.doc["otherData"]["events"], counted);
  EXPECT_NE(t.doc["otherData"]["note"].get<std::string>().find("--timeline-limit 10"),
            std::string::npos);
}

TEST(TimelineOptions, BadValuesAreErrorsThatNameTheOptionAndWriteNothing) {
  const std::string config = write_temp("timeline_config.json", kConfig);
  const auto file = temp_dir() / "timeline_bad.json";
  const struct {
    std::string options, message;
  } cases[] = {
      {"--timeline-window 5000:5000", "--timeline-window: END must be after START"},
      {"--timeline-window 5000:100", "--timeline-window: END must be after START"},
      {"--timeline-window a:b", "--timeline-window: expected START:END"},
      {"--timeline-window 100", "--timeline-window: expected START:END"},
      {"--timeline-window 1.2345:9", "--timeline-window: expected START:END"},
      {"--timeline-limit 0", "--timeline-limit: expected a positive number"},
      {"--timeline-limit ten", "--timeline-limit: expected a positive number"},
      {"--timeline-limit -3", "--timeline-limit: expected a positive number"},
  };
  for (const auto& c : cases) {
    std::filesystem::remove(file);
    const auto r = run_command("--config " + config + " --quiet --timeline " + file.string() + " " +
                               c.options);
    EXPECT_EQ(r.exit_code, 2) << c.options << "\n" << r.output;
    EXPECT_NE(r.output.find(c.message), std::string::npos) << c.options << "\n" << r.output;
    EXPECT_FALSE(std::filesystem::exists(file)) << c.options;
  }
  const auto unwritable = run_command("--config " + config + " --quiet --timeline " +
                                      temp_dir().string() + "/no/x.json");
  EXPECT_EQ(unwritable.exit_code, 2);
  EXPECT_NE(unwritable.output.find("--timeline: cannot write"), std::string::npos)
      << unwritable.output;
  const auto alone = run_command("--config " + config + " --quiet --timeline-limit 5");
  EXPECT_EQ(alone.exit_code, 2);
  EXPECT_NE(alone.output.find("--timeline-limit: needs --timeline"), std::string::npos)
      << alone.output;
}

// A scenario whose host does not wait for its invalidation: the oracle's
// finding is an instant with its provenance.
TEST(TimelineScenario, TheOraclesFindingIsAnInstantWithItsProvenance) {
  const auto file = temp_dir() / "timeline_scenario.json";
  const auto r = run_command("run " IOMMU_SIM_SOURCE_DIR
                             "/configs/bugs/no_wait_after_invalidation.json --quiet --timeline " +
                             file.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const Timeline t = read_timeline(file);
  expect_nested_per_thread(t);
  const auto findings = t.named("oracle.stale_translation", "i");
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(t.processes.at(findings[0]["pid"]), "oracle");
  const std::string text = findings[0]["args"]["text"];
  EXPECT_NE(text.find("stale_translation at"), std::string::npos) << text;
  EXPECT_NE(text.find("Translation from the IOTLB"), std::string::npos) << text;
}

// The writer's lanes, on events made by hand (outside a simulation every
// event comes from "no process", as host set-up before time 0 does).
class TimelineLanes : public ::testing::Test {
 protected:
  void slice_event(trace::Phase phase, const std::string& track, std::uint64_t id, std::uint64_t ns,
                   std::string_view what = "call") {
    trace::Event e;
    e.category = trace::Category::Host;
    e.phase = phase;
    e.what = what;
    e.time_ps = ns * 1000;
    e.track = track;
    e.id = id;
    writer_.event(e);
  }
  std::vector<json> slices() {
    writer_.finish();
    const json doc = json::parse(out_.str());
    std::vector<json> out;
    for (const json& e : doc["traceEvents"]) {
      if (e["ph"] == "X") out.push_back(e);
    }
    return out;
  }
  std::ostringstream out_;
  TimelineWriter writer_{out_, TimelineOptions{}};
};

TEST_F(TimelineLanes, ACallAndTheCallsItMakesShareOneThread) {
  slice_event(trace::Phase::Begin, "host.cpu0", 1, 0);
  slice_event(trace::Phase::Begin, "host.cpu0", 2, 10);
  slice_event(trace::Phase::End, "host.cpu0", 2, 20);
  slice_event(trace::Phase::Begin, "host.cpu0", 3, 30);
  slice_event(trace::Phase::End, "host.cpu0", 3, 40);
  slice_event(trace::Phase::End, "host.cpu0", 1, 50);
  const auto s = slices();
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0]["tid"], s[2]["tid"]);
  EXPECT_EQ(s[1]["tid"], s[2]["tid"]);
}

TEST_F(TimelineLanes, OverlappingSlicesGoToAnotherLane) {
  // Two DMAs in flight at once: B starts inside A and ends after it.
  slice_event(trace::Phase::Begin, "pcie.nic0", 1, 0);
  slice_event(trace::Phase::Begin, "pcie.nic0", 2, 10);
  slice_event(trace::Phase::End, "pcie.nic0", 1, 20);
  slice_event(trace::Phase::End, "pcie.nic0", 2, 30);
  // C lies inside D's time, but began after D ended (as Functional mode's
  // threads report): not D's child, so not on D's thread either.
  slice_event(trace::Phase::Begin, "pcie.nic0", 4, 100);
  slice_event(trace::Phase::End, "pcie.nic0", 4, 200);
  slice_event(trace::Phase::Begin, "pcie.nic0", 3, 120);
  slice_event(trace::Phase::End, "pcie.nic0", 3, 130);
  const auto s = slices();
  ASSERT_EQ(s.size(), 4u);
  EXPECT_NE(s[0]["tid"], s[1]["tid"]);  // A and B
  EXPECT_NE(s[2]["tid"], s[3]["tid"]);  // D and C
  const std::string text = out_.str();
  EXPECT_NE(text.find(R"("name":"nic0 #2")"), std::string::npos) << text;
}

TEST(TimelineCounters, GoOnlyToSinksThatAskForThem) {
  struct Count : trace::Sink {
    int n = 0;
    void event(const trace::Event&) override { ++n; }
  } plain, timeline;
  {
    const trace::Subscription a(plain, trace::bit(trace::Category::Iotlb));
    const trace::Subscription b(timeline, trace::bit(trace::Category::Iotlb), trace::Counters::Yes);
    trace::counter(trace::Category::Iotlb, "iotlb.occupancy", "iommu.iotlb", "IOTLB occupancy", 0,
                   "entries", 1);
    trace::Event probe;
    probe.category = trace::Category::Iotlb;
    trace::emit(probe);
  }
  EXPECT_EQ(plain.n, 1);
  EXPECT_EQ(timeline.n, 2);
}

}  // namespace
}  // namespace iommu_sim::test
