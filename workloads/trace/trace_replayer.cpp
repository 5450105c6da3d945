#include "workloads/trace/trace_replayer.h"

#include <algorithm>

namespace iommu_sim {

using sc_core::sc_time;

DeviceReplayer::DeviceReplayer(sc_core::sc_module_name name, const std::string& device,
                               std::uint32_t tags, StatsRegistry& stats)
    : sc_module(name), socket("socket"), device_(device), tags_(tags), stats_(stats) {
  const std::string prefix = "replay." + device;
  stats.counter(prefix + ".issued", &issued_, "DMAs of the replayed trace issued by this function");
  stats.counter(prefix + ".completed", &completed_, "replayed DMAs completed successfully");
  stats.counter(prefix + ".faulted", &faulted_,
                "replayed DMAs answered with Unsupported Request (translation fault)");
  stats.counter(prefix + ".errors", &errors_, "replayed DMAs that ended with another TLM error");
  stats.counter(prefix + ".bytes", &bytes_, "payload bytes of the replayed DMAs completed");
  stats.histogram(prefix + ".latency", &latency_, "ns",
                  "replayed DMA latency: entering the endpoint to completion");
}

void DeviceReplayer::note_end(const tlm::tlm_generic_payload& p, const PcieAttrs& attrs,
                              const sc_time& latency) {
  latency_.record(latency.value());
  if (p.is_response_ok()) {
    ++completed_;
    bytes_ += p.get_data_length();
  } else if (attrs.completion == CompletionStatus::UnsupportedRequest) {
    ++faulted_;
  } else {
    ++errors_;
  }
  stats_.work_done();
}

TraceReplayer::Worker::Worker() {
  payload.set_extension(&attrs);
  payload.set_data_ptr(data.data());
}

TraceReplayer::TraceReplayer(sc_core::sc_module_name name, std::unique_ptr<TraceReader> reader,
                             TraceTiming timing, std::vector<DeviceReplayer*> devices,
                             TraceHost& host, StatsRegistry& stats)
    : sc_module(name),
      reader_(std::move(reader)),
      timing_(timing),
      devices_(std::move(devices)),
      host_(host),
      stats_(stats),
      host_ready_("host_ready") {
  register_stats(stats);
  advance();
  spawn_worker(true);
  if (timing_ == TraceTiming::Honour) sc_core::sc_spawn([this] { host_thread(); }, "host");
}

void TraceReplayer::register_stats(StatsRegistry& stats) {
  stats.counter("replay.host_events.maps", &maps_,
                "map records of the replayed trace handed to the ioasid manager (failed ones too)");
  stats.counter(
      "replay.host_events.unmaps", &unmaps_,
      "unmap records of the replayed trace handed to the ioasid manager (failed ones too)");
  stats.counter("replay.host_events.failed", &host_failures_,
                "map and unmap records the ioasid manager refused (the summary names the first)");
}

void TraceReplayer::spawn_worker(bool leader) {
  workers_.push_back(std::make_unique<Worker>());
  Worker& w = *workers_.back();
  sc_core::sc_spawn_options options;
  if (!leader) {
    // Sensitive from its creation, so that an appointment made before it
    // ever ran still wakes it.
    options.dont_initialize();
    options.set_sensitivity(&w.wake);
    idle_.push_back(&w);
  }
  sc_core::sc_spawn([this, &w] { worker_thread(w); }, sc_core::sc_gen_unique_name("worker"),
                    &options);
}

void TraceReplayer::worker_thread(Worker& w) {
  for (;;) {
    lead(w);
    if (!has_next_) return;
    idle_.push_back(&w);
    wait(w.wake);
  }
}

void TraceReplayer::advance() {
  try {
    has_next_ = reader_->next(next_);
  } catch (const TraceError& e) {
    error_ = e.what();
    has_next_ = false;
  }
}

void TraceReplayer::lead(Worker& w) {
  if (successor_ == &w) successor_ = nullptr;  // appointed: it leads from now
  while (has_next_) {
    if (!wait_until_due()) return;  // the lead is vacant until a slot frees
    const TraceRecord r = next_;
    advance();
    if (!r.is_dma()) {
      host_event(r);
      continue;
    }
    Worker* successor = hand_on();
    const sc_time remaining = issue(w, r);
    if (successor != nullptr && take_lead_back(*successor, remaining)) continue;
    if (!end_dma(*devices_[r.device], remaining)) return;
  }
  // The trace ended with a map or unmap: the run ends with the last DMA.
  if (last_end_ > sc_core::sc_time_stamp()) wait(last_end_ - sc_core::sc_time_stamp());
}

bool TraceReplayer::can_issue(const TraceRecord& r) const {
  const DeviceReplayer& d = *devices_[r.device];
  return r.is_dma() ? d.in_flight_ < d.tags_ : d.in_flight_ == 0;
}

bool TraceReplayer::wait_until_due() {
  if (timing_ == TraceTiming::Honour) {
    const sc_time due = sc_time::from_value(next_.time_ps);
    if (due > sc_core::sc_time_stamp()) wait(due - sc_core::sc_time_stamp());
    return true;
  }
  if (!can_issue(next_)) {
    vacant_ = true;
    return false;
  }
  if (next_.is_dma()) ++devices_[next_.device]->in_flight_;
  return true;
}

TraceReplayer::Worker* TraceReplayer::hand_on() {
  if (!has_next_) return nullptr;
  const sc_time& now = sc_core::sc_time_stamp();
  sc_time due = now;
  if (timing_ == TraceTiming::Honour) {
    due = std::max(now, sc_time::from_value(next_.time_ps));
  } else if (!can_issue(next_)) {
    // The thread whose DMA frees the slot leads on: no thread waits.
    vacant_ = true;
    return nullptr;
  }
  if (idle_.empty()) spawn_worker(false);
  Worker* s = idle_.back();
  idle_.pop_back();
  successor_ = s;
  successor_due_ = due;
  if (due > now) {
    s->wake.notify(due - now);
  } else {
    s->wake.notify();
  }
  return s;
}

bool TraceReplayer::take_lead_back(Worker& successor, const sc_time& remaining) {
  // Its notification is still pending only while its time is ahead.
  const sc_time& now = sc_core::sc_time_stamp();
  if (successor_ != &successor || now >= successor_due_ || now + remaining > successor_due_) {
    return false;
  }
  successor.wake.cancel();
  successor_ = nullptr;
  idle_.push_back(&successor);
  return true;
}

sc_time TraceReplayer::issue(Worker& w, const TraceRecord& r) {
  DeviceReplayer& d = *devices_[r.device];
  tlm::tlm_generic_payload& p = w.payload;
  const bool write = r.op == TraceOp::Write;
  const auto size = static_cast<unsigned>(r.size);
  w.attrs.pasid_present = r.pasid_present;
  w.attrs.pasid = r.pasid;
  p.set_address(r.address);
  p.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
  p.set_data_length(size);
  p.set_streaming_width(size);
  p.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  // The data a DmaGenerator writes: the low byte of the address.
  if (write) std::fill_n(w.data.begin(), size, static_cast<unsigned char>(r.address));
  ++d.issued_;
  // A copy: the kernel's time moves on inside b_transport.
  // NOLINTNEXTLINE(performance-unnecessary-copy-initialization)
  const sc_time issued = sc_core::sc_time_stamp();
  sc_time delay = sc_core::SC_ZERO_TIME;
  d.socket->b_transport(p, delay);
  d.note_end(p, w.attrs, sc_core::sc_time_stamp() - issued + delay);
  return delay;
}

bool TraceReplayer::end_dma(DeviceReplayer& d, const sc_time& remaining) {
  const sc_time& now = sc_core::sc_time_stamp();
  if (timing_ == TraceTiming::Honour) {
    // Nothing waits for the DMA's end but the run's: the last thread
    // waits for the latest end.
    last_end_ = std::max(last_end_, now + remaining);
    if (!has_next_ && last_end_ > now) wait(last_end_ - now);
    return false;
  }
  if (remaining != sc_core::SC_ZERO_TIME) wait(remaining);
  --d.in_flight_;
  if (!vacant_ || !can_issue(next_)) return false;
  vacant_ = false;
  return true;
}

void TraceReplayer::host_event(const TraceRecord& r) {
  if (timing_ == TraceTiming::Asap) {
    apply(r);
    return;
  }
  host_queue_.push_back(r);
  host_ready_.notify();
}

void TraceReplayer::host_thread() {
  for (;;) {
    while (host_queue_.empty()) wait(host_ready_);
    apply(host_queue_.front());
    host_queue_.pop_front();
  }
}

void TraceReplayer::apply(const TraceRecord& r) {
  ++(r.op == TraceOp::Map ? maps_ : unmaps_);
  const std::string& device = reader_->devices().at(r.device);
  const std::string why = host_.apply(r, device);
  if (!why.empty()) {
    ++host_failures_;
    if (first_host_failure_.empty()) {
      first_host_failure_ = "at " + format_time_ns(sc_core::sc_time_stamp().value()) + " ns, " +
                            std::string(op_name(r.op)) + " " + device + ": " + why;
    }
  }
  stats_.work_done();
}

}  // namespace iommu_sim
