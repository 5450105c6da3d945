// `--timeline FILE.json`: the run's trace events (model/trace.h) as a
// timeline in the Chrome Trace Event Format, JSON object form, which
// ui.perfetto.dev and chrome://tracing open (docs/tracing.md, "Timelines").
//
// Tracks become threads of processes ("pcie.nic0" is thread "nic0" of
// process "PCIe", "host.cpu1" thread "CPU 1" of "host"). Slices are written
// as complete ("X") events once they end, so each is placed knowing its
// whole interval: a thread's slices must nest, and slices of one track that
// overlap without nesting (two outstanding DMAs of one function, walks on
// two walk engines) go to the track's next lane, another thread named
// "<track> #2", "#3"... A slice nests only in the slices it was begun
// inside: open on its track and begun by the same SystemC process when its
// Begin came (a host call and the calls it makes). Two DMAs whose times
// merely contain one another (Functional mode's threads run ahead of each
// other) overlap: they get two lanes. The file is not sorted by time;
// viewers sort it.
//
// Flow arrows ("s"/"f") go from a DMA's slice to each walk it caused (the
// walk's Begin carries the DMA's id as its flow). Counters ("C") come from
// Counter events. Events are streamed to the file as they are placed: the
// writer keeps only open slices and the recent slices of each lane.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "model/trace.h"

namespace iommu_sim {

// --timeline-limit's default: about 150 MB of JSON, which a browser opens.
inline constexpr std::uint64_t kDefaultTimelineLimit = 1'000'000;

struct TimelineOptions {
  // --timeline-window: keep what happens in [begin_ps, end_ps]; slices that
  // cross an edge are clipped to it (and say so), others outside dropped.
  std::uint64_t begin_ps = 0;
  std::uint64_t end_ps = std::numeric_limits<std::uint64_t>::max();
  bool windowed = false;
  // Events written (not counting the metadata naming processes and
  // threads) after which writing stops.
  std::uint64_t limit = kDefaultTimelineLimit;
};

class TimelineWriter : public trace::Sink {
 public:
  // What a timeline shows: DMAs and link crossings (fabric), walks, IOTLB
  // occupancy (iotlb), descriptors and queue depth (qi), faults, host calls
  // and the oracle's findings.
  static constexpr std::uint32_t kCategories =
      trace::bit(trace::Category::Fabric) | trace::bit(trace::Category::Walk) |
      trace::bit(trace::Category::Iotlb) | trace::bit(trace::Category::Qi) |
      trace::bit(trace::Category::Fault) | trace::bit(trace::Category::Host) |
      trace::bit(trace::Category::Oracle);

  // Starts the JSON document on `out`.
  TimelineWriter(std::ostream& out, const TimelineOptions& options);
  TimelineWriter(const TimelineWriter&) = delete;
  TimelineWriter& operator=(const TimelineWriter&) = delete;
  ~TimelineWriter() override = default;

  void event(const trace::Event& e) override;
  // Writes the slices still open (ended at the last time seen, marked
  // unfinished) and closes the document; idempotent. Not called on
  // destruction: the owner (RunTracing) unsubscribes first.
  void finish();

  // A track's lanes at most: a slice overlapping that many others of its
  // track is left out (and counted), as Functional mode's loosely timed
  // DMAs can be by the thousand.
  static constexpr std::size_t kMaxLanes = 256;

  bool truncated() const { return truncated_; }
  std::uint64_t crowded_out() const { return crowded_; }
  std::uint64_t written() const { return written_; }
  // Called once, when the limit stops writing, with the time of the first
  // event left out.
  std::function<void(std::uint64_t at_ps)> on_truncated;

 private:
  struct Slice {
    trace::Category category = trace::Category::Fabric;
    std::string name;
    std::uint64_t begin_ps = 0, end_ps = 0;
    std::int32_t requester = -1;
    std::int64_t pasid = -1;
    std::string text, end_text;
    std::vector<std::pair<std::string, std::uint64_t>> fields;
    std::uint64_t id = 0, flow = 0;
    std::uint64_t serial = 0;              // the writer's own name for it
    std::vector<std::uint64_t> ancestors;  // serials of the slices it was begun inside
    bool unfinished = false;
  };
  struct Placed {
    std::uint64_t begin_ps, end_ps, serial;
    std::vector<std::uint64_t> ancestors;
  };
  // A slice begun and not ended, for the slices begun inside it.
  struct Open {
    std::uint64_t serial, begin_ps;
    const void* owner;  // the SystemC process that began it
    std::vector<std::uint64_t> ancestors;
  };
  struct Lane {
    int tid;
    std::vector<Placed> placed;  // not yet pruned
    // Every slice pruned from the lane ended by this time: a slice that
    // begins earlier may not go on it.
    std::uint64_t horizon_ps = 0;
  };
  struct Track {
    int pid = 0;
    std::string thread;  // the first lane's thread name
    int sort_base = 0;   // its first lane's sort index
    std::vector<Lane> lanes;
    std::vector<Open> open;  // in the order they began
  };
  // Where a walk's end of an arrow goes, until its DMA is placed.
  struct ArrowEnd {
    int pid, tid;
    std::uint64_t at_ps;
  };

  static bool compatible(const Slice& s, const Placed& p);
  Track& track(const std::string& name);
  int new_lane(Track& t);
  int place(Track& t, const Slice& s);
  Slice begin_slice(const trace::Event& e);
  static void close(Track& t, std::uint64_t serial);
  void write_slice(const std::string& track_name, Slice s);
  void write_instant(const trace::Event& e);
  void write_counter(const trace::Event& e);
  void write_pending_counters();
  // Whether `n` more events fit under the limit; if not, stops writing.
  bool room(std::uint64_t n, std::uint64_t at_ps);
  void write(const nlohmann::json& j, bool counted = true);
  bool in_window(std::uint64_t ps) const {
    return ps >= options_.begin_ps && ps <= options_.end_ps;
  }

  std::ostream& out_;
  TimelineOptions options_;
  bool first_ = true, finished_ = false, truncated_ = false;
  std::uint64_t written_ = 0, truncated_at_ps_ = 0, last_ps_ = 0, crowded_ = 0;
  std::map<std::string, Track> tracks_;
  std::map<std::string, int> pids_;
  std::map<std::string, int> tracks_in_process_;
  int next_tid_ = 1;
  std::map<std::pair<std::string, std::uint64_t>, Slice> open_;  // by (track, id)
  std::map<std::uint64_t, std::vector<ArrowEnd>> arrows_;        // by the DMA's id
  std::uint64_t next_flow_ = 1, next_serial_ = 1;
  // A counter's last value before the window, written at its start.
  struct CounterValue {
    int pid;
    trace::Category category;
    std::string field;
    std::uint64_t value = 0;
    bool seen_before = false;  // a value before the window
    bool written_in_window = false;
  };
  std::map<std::pair<int, std::string>, CounterValue> counters_;
};

}  // namespace iommu_sim
