#include "workloads/dma_generator.h"

#include <vector>

#include "workloads/clocked_quantum_keeper.h"

namespace iommu_sim {

using sc_core::sc_time;

namespace {

unsigned engine_slots(DmaEngineMode mode, const WorkloadParams& params, std::uint32_t device_tags) {
  switch (mode) {
    case DmaEngineMode::Latency:
      return 1;
    case DmaEngineMode::Bandwidth:
      return device_tags;
    case DmaEngineMode::Slots:
      break;
  }
  return params.outstanding;
}

}  // namespace

DmaGenerator::DmaGenerator(sc_core::sc_module_name name, const WorkloadParams& params,
                           TimingMode mode, std::uint64_t seed, std::uint32_t device_tags,
                           StatsRegistry& stats)
    : sc_module(name),
      socket("socket"),
      params_(params),
      mode_(mode),
      slots_(engine_slots(parse_dma_engine_mode(params.mode), params, device_tags)),
      rng_(seed),
      slots_per_page_(dma_slots_per_page(params)),
      slots_in_span_(dma_slots_in_window(params)),
      sequential_(params.pattern == "sequential"),
      pick_slot_(0, slots_in_span_ - 1),
      stats_(stats) {
  register_stats(stats);
  for (unsigned slot = 0; slot < slots_; ++slot) {
    slots_state_.push_back(std::make_unique<Slot>(params_));
    sc_core::sc_spawn([this, slot] { slot_thread(slot); }, sc_core::sc_gen_unique_name("slot"));
  }
}

void DmaGenerator::register_stats(StatsRegistry& stats) {
  // The configured name: the module's may differ (a device model's engine).
  const std::string prefix =
      "workload." + (params_.name.empty() ? std::string(basename()) : params_.name);
  stats.counter(prefix + ".issued", &issued_, "DMAs issued");
  stats.counter(prefix + ".completed", &completed_, "DMAs completed successfully");
  stats.counter(prefix + ".faulted", &faulted_,
                "DMAs answered with Unsupported Request (translation fault)");
  stats.counter(prefix + ".errors", &errors_, "DMAs that ended with another TLM error");
  stats.histogram(prefix + ".latency", &latency_, "ns",
                  "end-to-end DMA latency: issue to completion (Functional mode: unloaded)");
  stats.counter(prefix + ".bytes", &bytes_, "payload bytes of the DMAs completed successfully");
  stats.derived(
      prefix + ".active_ns", [this] { return active_time().to_seconds() * 1e9; },
      "simulated ns from the workload's first issue to the end of its last DMA (Functional "
      "mode: the slots' local times)");
  stats.derived(
      prefix + ".throughput_gbps", [this] { return throughput_gbps(); },
      "bytes x 8 / active_ns: payload Gb/s (1e9 bits/s) of completed DMAs");
  stats.derived(
      prefix + ".dma_rate_mps", [this] { return dma_rate_mps(); },
      "completed / active_ns x 1000: completed DMAs per simulated microsecond (M/s)");
  // After a warm-up the active time runs from its end, if the engine had
  // started; one that starts later starts it at its first issue.
  stats.on_restart([this](std::uint64_t epoch_ps) {
    if (!started_) return;
    first_issue_ = sc_time::from_value(epoch_ps);
    last_end_ = first_issue_;
  });
}

void DmaGenerator::note_issue(const sc_time& issue) {
  // Functional-mode slots run ahead of each other: the earliest counts.
  if (!started_ || issue < first_issue_) first_issue_ = issue;
  started_ = true;
}

void DmaGenerator::note_end(const sc_time& end) {
  if (end > last_end_) last_end_ = end;
}

sc_time DmaGenerator::active_time() const {
  return started_ && last_end_ > first_issue_ ? last_end_ - first_issue_ : sc_core::SC_ZERO_TIME;
}

double DmaGenerator::throughput_gbps() const {
  const double active_ns = active_time().to_seconds() * 1e9;
  return active_ns > 0 ? static_cast<double>(bytes_) * 8.0 / active_ns : 0.0;
}

double DmaGenerator::dma_rate_mps() const {
  const double active_ns = active_time().to_seconds() * 1e9;
  return active_ns > 0 ? static_cast<double>(completed_) * 1000.0 / active_ns : 0.0;
}

bool DmaGenerator::next_request(Request& out) {
  if (sent_ == params_.count) return false;
  std::uint64_t index = 0;
  if (sequential_) {
    index = sent_ % slots_in_span_;
  } else {
    index = pick_slot_(rng_);
  }
  out.address = dma_slot_address(params_, slots_per_page_, index);
  out.write = params_.write_fraction > 0.0 &&
              uniform_real_distribution<double>(0.0, 1.0)(rng_) < params_.write_fraction;
  ++sent_;
  ++issued_;
  return true;
}

DmaGenerator::Slot::Slot(const WorkloadParams& params) : buffer(params.size) {
  attrs.pasid_present = params.pasid_present;
  attrs.pasid = params.pasid;
  attrs.privileged = params.privileged;
  payload.set_extension(&attrs);
  payload.set_data_ptr(buffer.data());
  payload.set_data_length(params.size);
  payload.set_streaming_width(params.size);
}

void DmaGenerator::slot_thread(unsigned slot) {
  tlm::tlm_generic_payload& payload = slots_state_[slot]->payload;
  PcieAttrs& attrs = slots_state_[slot]->attrs;
  std::vector<unsigned char>& buffer = slots_state_[slot]->buffer;

  // Functional mode's temporal decoupling; Timed mode only resets it.
  ClockedQuantumKeeper qk;
  qk.reset();
  if (params_.start_ns > 0) wait(ns(params_.start_ns));
  const sc_time gap = ns(params_.gap_ns);

  Request r{};
  while (next_request(r)) {
    payload.set_address(r.address);
    payload.set_command(r.write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
    payload.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    if (r.write) std::fill(buffer.begin(), buffer.end(), static_cast<unsigned char>(r.address));
    sc_time delay = sc_core::SC_ZERO_TIME;
    if (mode_ == TimingMode::Timed) {
      // A copy: the kernel's current time moves on during the wait below.
      // NOLINTNEXTLINE(performance-unnecessary-copy-initialization)
      const sc_time issue = clock_.now();
      note_issue(issue);
      socket->b_transport(payload, delay);
      // Zero when the path already waited (an oracle checks each DMA as it
      // finishes): no delta cycle then.
      if (delay != sc_core::SC_ZERO_TIME) wait(delay);
      // NOLINTNEXTLINE(performance-unnecessary-copy-initialization)
      const sc_time end = clock_.now();
      latency_.record((end - issue).value());
      note_end(end);
    } else {
      const sc_time issue = qk.get_current_time();
      note_issue(issue);
      socket->b_transport(payload, delay);
      latency_.record(delay.value());
      note_end(issue + delay);
      qk.inc(delay + gap);
      if (qk.need_sync()) qk.sync();
    }
    if (payload.is_response_ok()) {
      ++completed_;
      bytes_ += params_.size;
    } else if (attrs.completion == CompletionStatus::UnsupportedRequest) {
      ++faulted_;
    } else {
      ++errors_;
    }
    stats_.work_done();
    if (mode_ == TimingMode::Timed && gap != sc_core::SC_ZERO_TIME) wait(gap);
  }
  if (mode_ == TimingMode::Functional) qk.sync();
}

}  // namespace iommu_sim
