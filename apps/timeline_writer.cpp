#include "apps/timeline_writer.h"

#include <algorithm>
#include <systemc>

namespace iommu_sim {

namespace {

// The format's timestamps are microseconds; fractions keep the
// simulator's picoseconds (a double holds them exactly for 100 days).
double us(std::uint64_t ps) {
  return static_cast<double>(ps) / 1e6;
}

// Fixed process IDs, in the order a reader follows a DMA: device, IOMMU,
// host software, checker.
struct ProcessName {
  std::string_view key, name;
};
constexpr ProcessName kProcesses[] = {
    {"pcie", "PCIe"}, {"iommu", "IOMMU"}, {"host", "host"}, {"oracle", "oracle"}};

// "pcie.link.rp0.up" -> ("pcie", "link rp0 up"); "iommu.walk" -> ("iommu",
// "walk engine"); "host.cpu1" -> ("host", "CPU 1").
std::pair<std::string, std::string> split_track(const std::string& track) {
  const std::size_t dot = track.find('.');
  if (dot == std::string::npos) return {track, track};
  const std::string process = track.substr(0, dot);
  std::string thread = track.substr(dot + 1);
  if (process == "pcie" && thread.starts_with("link.")) {
    thread = thread.substr(5);
    const std::size_t last = thread.rfind('.');
    if (last != std::string::npos) thread[last] = ' ';
    thread = "link " + thread;
  } else if (process == "iommu") {
    if (thread == "walk") thread = "walk engine";
    if (thread == "qi") thread = "invalidation queue";
  } else if (process == "host" && thread.starts_with("cpu")) {
    thread = "CPU " + thread.substr(3);
  }
  return {process, thread};
}

const void* current_process() {
  return sc_core::sc_get_current_process_handle().get_process_object();
}

bool contains(const std::vector<std::uint64_t>& serials, std::uint64_t serial) {
  return std::find(serials.begin(), serials.end(), serial) != serials.end();
}

}  // namespace

// Whether two slices may share a thread: apart or touching (viewers close
// a slice at a timestamp equal to its end before opening the next), or
// one inside the other that it was begun inside.
bool TimelineWriter::compatible(const Slice& s, const Placed& p) {
  if (p.end_ps <= s.begin_ps || s.end_ps <= p.begin_ps) return true;
  const bool s_inside = p.begin_ps <= s.begin_ps && s.end_ps <= p.end_ps;
  const bool p_inside = s.begin_ps <= p.begin_ps && p.end_ps <= s.end_ps;
  return (s_inside && contains(s.ancestors, p.serial)) ||
         (p_inside && contains(p.ancestors, s.serial));
}

TimelineWriter::TimelineWriter(std::ostream& out, const TimelineOptions& options)
    : out_(out), options_(options) {
  out_ << "{\"traceEvents\":[\n";
}

void TimelineWriter::event(const trace::Event& e) {
  if (finished_ || truncated_) return;
  last_ps_ = std::max(last_ps_, e.time_ps + e.duration_ps);
  switch (e.phase) {
    case trace::Phase::Begin: {
      if (e.track.empty()) return;
      Slice s = begin_slice(e);
      // Begun inside the innermost slice its process has open on the track.
      Track& t = track(e.track);
      const void* owner = current_process();
      for (auto it = t.open.rbegin(); it != t.open.rend(); ++it) {
        if (it->owner != owner) continue;
        s.ancestors = it->ancestors;
        s.ancestors.push_back(it->serial);
        break;
      }
      t.open.push_back({s.serial, s.begin_ps, owner, s.ancestors});
      open_[{e.track, e.id}] = std::move(s);
      return;
    }
    case trace::Phase::End: {
      const auto it = open_.find({e.track, e.id});
      if (it == open_.end()) return;
      Slice s = std::move(it->second);
      open_.erase(it);
      const std::uint64_t serial = s.serial;
      s.end_ps = std::max(e.time_ps, s.begin_ps);
      s.end_text = e.text;
      // Still open while placed: what it encloses stays on its lanes.
      write_slice(e.track, std::move(s));
      close(track(e.track), serial);
      return;
    }
    case trace::Phase::Complete: {
      if (e.track.empty()) return;
      Slice s = begin_slice(e);
      s.end_ps = e.time_ps + e.duration_ps;
      write_slice(e.track, std::move(s));
      return;
    }
    case trace::Phase::Instant:
      if (!e.track.empty()) write_instant(e);
      return;
    case trace::Phase::Counter:
      if (!e.track.empty()) write_counter(e);
      return;
  }
}

TimelineWriter::Slice TimelineWriter::begin_slice(const trace::Event& e) {
  Slice s;
  s.category = e.category;
  s.name = std::string(e.what);
  s.begin_ps = e.time_ps;
  s.end_ps = e.time_ps;
  s.requester = e.requester;
  s.pasid = e.pasid;
  s.text = e.text;
  for (const auto& [n, v] : e.fields) s.fields.emplace_back(std::string(n), v);
  s.id = e.id;
  s.flow = e.flow;
  s.serial = next_serial_++;
  return s;
}

void TimelineWriter::close(Track& t, std::uint64_t serial) {
  const auto it = std::find_if(t.open.begin(), t.open.end(),
                               [serial](const Open& o) { return o.serial == serial; });
  if (it != t.open.end()) t.open.erase(it);
}

TimelineWriter::Track& TimelineWriter::track(const std::string& name) {
  const auto found = tracks_.find(name);
  if (found != tracks_.end()) return found->second;
  Track& t = tracks_[name];
  const auto [process, thread] = split_track(name);
  t.thread = thread;
  // Viewers list a process's threads by sort index: tracks in the order
  // they first appear, a PCIe function's before the links, and each
  // track's lanes together.
  t.sort_base = (thread.starts_with("link ") ? 1'000'000 : 0) +
                static_cast<int>(kMaxLanes) * tracks_in_process_[process]++;
  const auto pid = pids_.find(process);
  if (pid != pids_.end()) {
    t.pid = pid->second;
    return t;
  }
  // Metadata is written when a process or thread first appears; the
  // limit does not count it.
  std::string display = process;
  int id = static_cast<int>(std::size(kProcesses)) + 1 + static_cast<int>(pids_.size());
  for (std::size_t i = 0; i < std::size(kProcesses); ++i) {
    if (kProcesses[i].key == process) {
      display = std::string(kProcesses[i].name);
      id = static_cast<int>(i) + 1;
    }
  }
  pids_[process] = id;
  t.pid = id;
  write({{"ph", "M"}, {"name", "process_name"}, {"pid", id}, {"args", {{"name", display}}}}, false);
  write({{"ph", "M"}, {"name", "process_sort_index"}, {"pid", id}, {"args", {{"sort_index", id}}}},
        false);
  return t;
}

int TimelineWriter::new_lane(Track& t) {
  const int tid = next_tid_++;
  const std::string name =
      t.lanes.empty() ? t.thread : t.thread + " #" + std::to_string(t.lanes.size() + 1);
  t.lanes.push_back(Lane{tid, {}, 0});
  write({{"ph", "M"},
         {"name", "thread_name"},
         {"pid", t.pid},
         {"tid", tid},
         {"args", {{"name", name}}}},
        false);
  write({{"ph", "M"},
         {"name", "thread_sort_index"},
         {"pid", t.pid},
         {"tid", tid},
         {"args", {{"sort_index", t.sort_base + static_cast<int>(t.lanes.size()) - 1}}}},
        false);
  return tid;
}

// The first lane the slice fits on. A lane forgets slices that no slice
// still to come can overlap: those that ended before both the present
// (every Begin still to come is at or after it) and the track's oldest
// open slice. Its horizon keeps the rule exact for a slice reported late
// (a descriptor, as a Complete event): it may not go where a slice it
// might have overlapped was forgotten. 0: every lane the track may have
// is taken.
int TimelineWriter::place(Track& t, const Slice& s) {
  std::uint64_t bound = sc_core::sc_time_stamp().value();
  for (const Open& o : t.open) bound = std::min(bound, o.begin_ps);
  for (Lane& lane : t.lanes) {
    auto& placed = lane.placed;
    for (const Placed& p : placed) {
      if (p.end_ps <= bound) lane.horizon_ps = std::max(lane.horizon_ps, p.end_ps);
    }
    placed.erase(std::remove_if(placed.begin(), placed.end(),
                                [bound](const Placed& p) { return p.end_ps <= bound; }),
                 placed.end());
    if (s.begin_ps < lane.horizon_ps) continue;
    const bool fits = std::all_of(placed.begin(), placed.end(),
                                  [&](const Placed& p) { return compatible(s, p); });
    if (fits) {
      placed.push_back({s.begin_ps, s.end_ps, s.serial, s.ancestors});
      return lane.tid;
    }
  }
  if (t.lanes.size() >= kMaxLanes) return 0;
  const int tid = new_lane(t);
  t.lanes.back().placed.push_back({s.begin_ps, s.end_ps, s.serial, s.ancestors});
  return tid;
}

void TimelineWriter::write_slice(const std::string& track_name, Slice s) {
  // Clip to the window: intersecting every slice with one interval keeps
  // nested slices nested and disjoint ones disjoint.
  // A DMA's Begin carries its own id as its flow: the arrows start there.
  const bool is_source = s.flow != 0 && s.flow == s.id && s.category == trace::Category::Fabric;
  const bool inside = s.begin_ps == s.end_ps
                          ? in_window(s.begin_ps)
                          : s.begin_ps < options_.end_ps && s.end_ps > options_.begin_ps;
  if (!inside) {
    if (is_source) arrows_.erase(s.id);
    return;
  }
  const bool clipped = s.begin_ps < options_.begin_ps || s.end_ps > options_.end_ps;
  s.begin_ps = std::max(s.begin_ps, options_.begin_ps);
  s.end_ps = std::min(s.end_ps, options_.end_ps);

  // The slice, and with a DMA the arrows to its walks: all or nothing.
  const auto arrows = is_source ? arrows_.find(s.id) : arrows_.end();
  const std::uint64_t n = 1 + (arrows != arrows_.end() ? 2 * arrows->second.size() : 0);
  if (!room(n, s.begin_ps)) return;

  Track& t = track(track_name);
  const int tid = place(t, s);
  if (tid == 0) {
    ++crowded_;
    if (is_source) arrows_.erase(s.id);
    return;
  }
  nlohmann::json args = nlohmann::json::object();
  args["text"] = s.text;
  if (!s.end_text.empty()) args["end"] = s.end_text;
  if (s.requester >= 0)
    args["requester"] = trace::bdf_string(static_cast<std::uint16_t>(s.requester));
  if (s.pasid >= 0) args["pasid"] = s.pasid;
  if (s.id != 0) args["id"] = s.id;
  if (s.flow != 0) args["flow"] = s.flow;
  for (const auto& [name, v] : s.fields) args[name] = v;
  if (clipped) args["clipped"] = true;
  if (s.unfinished) args["unfinished"] = true;
  write({{"ph", "X"},
         {"cat", std::string(trace::category_name(s.category))},
         {"name", s.name},
         {"pid", t.pid},
         {"tid", tid},
         {"ts", us(s.begin_ps)},
         {"dur", us(s.end_ps - s.begin_ps)},
         {"args", std::move(args)}});

  if (is_source) {
    if (arrows == arrows_.end()) return;
    // Each arrow binds to the slices around its two points: the DMA's at
    // the walk's middle (inside the DMA), the walk's at the same point.
    for (const ArrowEnd& to : arrows->second) {
      const std::uint64_t at = std::clamp(to.at_ps, s.begin_ps, s.end_ps);
      const std::uint64_t flow = next_flow_++;
      write({{"ph", "s"},
             {"cat", "flow"},
             {"name", "translation"},
             {"id", flow},
             {"pid", t.pid},
             {"tid", tid},
             {"ts", us(at)}});
      write({{"ph", "f"},
             {"bp", "e"},
             {"cat", "flow"},
             {"name", "translation"},
             {"id", flow},
             {"pid", to.pid},
             {"tid", to.tid},
             {"ts", us(to.at_ps)}});
    }
    arrows_.erase(arrows);
  } else if (s.flow != 0) {
    arrows_[s.flow].push_back({t.pid, tid, s.begin_ps + (s.end_ps - s.begin_ps) / 2});
  }
}

void TimelineWriter::write_instant(const trace::Event& e) {
  if (!in_window(e.time_ps) || !room(1, e.time_ps)) return;
  Track& t = track(e.track);
  if (t.lanes.empty()) new_lane(t);
  nlohmann::json args = {{"text", e.text}};
  if (e.requester >= 0)
    args["requester"] = trace::bdf_string(static_cast<std::uint16_t>(e.requester));
  if (e.pasid >= 0) args["pasid"] = e.pasid;
  if (e.flow != 0) args["flow"] = e.flow;
  for (const auto& [name, v] : e.fields) args[std::string(name)] = v;
  write({{"ph", "i"},
         {"s", "t"},
         {"cat", std::string(trace::category_name(e.category))},
         {"name", std::string(e.what)},
         {"pid", t.pid},
         {"tid", t.lanes.front().tid},
         {"ts", us(e.time_ps)},
         {"args", std::move(args)}});
}

// Counters belong to processes; a counter's name is its label ("IOTLB
// occupancy"), its series the field ("entries").
void TimelineWriter::write_counter(const trace::Event& e) {
  if (e.fields.empty() || e.time_ps > options_.end_ps) return;
  const int pid = track(e.track).pid;
  CounterValue& c = counters_[{pid, e.text}];
  c.pid = pid;
  c.category = e.category;
  c.field = std::string(e.fields.front().first);
  if (e.time_ps < options_.begin_ps) {
    c.value = e.fields.front().second;
    c.seen_before = true;
    return;
  }
  const auto line = [&](std::uint64_t at_ps, std::uint64_t value) {
    write({{"ph", "C"},
           {"cat", std::string(trace::category_name(c.category))},
           {"name", e.text},
           {"pid", pid},
           {"ts", us(at_ps)},
           {"args", {{c.field, value}}}});
  };
  // The value the counter had when the window opened, then the new one.
  const bool carry = c.seen_before && !c.written_in_window && e.time_ps > options_.begin_ps;
  if (!room(carry ? 2 : 1, e.time_ps)) return;
  if (carry) line(options_.begin_ps, c.value);
  line(e.time_ps, e.fields.front().second);
  c.value = e.fields.front().second;
  c.written_in_window = true;
}

void TimelineWriter::write_pending_counters() {
  for (auto& [key, c] : counters_) {
    if (c.written_in_window || !c.seen_before || !room(1, options_.begin_ps)) continue;
    write({{"ph", "C"},
           {"cat", std::string(trace::category_name(c.category))},
           {"name", key.second},
           {"pid", c.pid},
           {"ts", us(options_.begin_ps)},
           {"args", {{c.field, c.value}}}});
    c.written_in_window = true;
  }
}

bool TimelineWriter::room(std::uint64_t n, std::uint64_t at_ps) {
  if (truncated_) return false;
  if (written_ + n <= options_.limit) return true;
  truncated_ = true;
  truncated_at_ps_ = at_ps;
  open_.clear();
  arrows_.clear();
  if (on_truncated) on_truncated(at_ps);
  return false;
}

void TimelineWriter::write(const nlohmann::json& j, bool counted) {
  // Texts are ASCII, names come from a JSON config: a byte that is not
  // UTF-8 is replaced rather than failing the run.
  out_ << (first_ ? "" : ",\n") << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  first_ = false;
  if (counted) ++written_;
}

void TimelineWriter::finish() {
  if (finished_) return;
  // Slices still open when the run ended (DMAs in flight, a call that
  // never returned) end at the last time seen.
  const std::uint64_t end = std::max<std::uint64_t>(last_ps_, sc_core::sc_time_stamp().value());
  auto still_open = std::move(open_);
  open_.clear();
  for (auto& [key, s] : still_open) {
    if (truncated_) break;
    const std::uint64_t serial = s.serial;
    s.end_ps = std::max(end, s.begin_ps);
    s.unfinished = true;
    write_slice(key.first, std::move(s));
    close(track(key.first), serial);
  }
  write_pending_counters();
  finished_ = true;
  nlohmann::json other = {{"generator", "iommu-sim --timeline"},
                          {"events", written_},
                          {"limit", options_.limit},
                          {"truncated", truncated_}};
  if (crowded_ != 0) {
    other["crowded_out"] = crowded_;
    other["crowded_note"] = std::to_string(crowded_) + " slices left out: they overlapped " +
                            std::to_string(kMaxLanes) +
                            " others of their track (Functional mode's threads run ahead of each "
                            "other; make timelines of Timed runs)";
  }
  if (options_.windowed) {
    other["window_ns"] = {static_cast<double>(options_.begin_ps) / 1000.0,
                          static_cast<double>(options_.end_ps) / 1000.0};
  }
  if (truncated_) {
    other["note"] = "stopped at the event limit (--timeline-limit " +
                    std::to_string(options_.limit) + "): nothing from " +
                    trace::ns(truncated_at_ps_) + " ns on is in this file";
  }
  out_ << "\n],\n\"displayTimeUnit\":\"ns\",\n\"otherData\":"
       << other.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "}\n";
  out_.flush();
}

}  // namespace iommu_sim
