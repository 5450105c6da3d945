#include "workloads/dma_generator.h"

#include <tlm_utils/tlm_quantumkeeper.h>

#include <vector>

namespace iommu_sim {

using sc_core::sc_time;

DmaGenerator::DmaGenerator(sc_core::sc_module_name name, const WorkloadParams& params,
                           TimingMode mode, std::uint64_t seed, StatsRegistry& stats)
    : sc_module(name),
      socket("socket"),
      params_(params),
      mode_(mode),
      rng_(seed),
      slots_in_span_(params.span / params.size),
      sequential_(params.pattern == "sequential"),
      pick_slot_(0, slots_in_span_ - 1) {
  const std::string prefix = std::string("workload.") + basename();
  stats.counter(prefix + ".issued", &issued_, "DMAs issued");
  stats.counter(prefix + ".completed", &completed_, "DMAs completed successfully");
  stats.counter(prefix + ".faulted", &faulted_,
                "DMAs answered with Unsupported Request (translation fault)");
  stats.counter(prefix + ".errors", &errors_, "DMAs that ended with another TLM error");
  stats.histogram(prefix + ".latency", &latency_, "ns",
                  "end-to-end DMA latency: issue to completion (Functional mode: unloaded)");
  for (unsigned slot = 0; slot < params_.outstanding; ++slot) {
    sc_core::sc_spawn([this, slot] { slot_thread(slot); }, sc_core::sc_gen_unique_name("slot"));
  }
}

bool DmaGenerator::next_request(Request& out) {
  if (issued_ == params_.count) return false;
  std::uint64_t index = 0;
  if (sequential_) {
    index = issued_ % slots_in_span_;
  } else {
    index = pick_slot_(rng_);
  }
  out.address = params_.base + index * params_.size;
  out.write = params_.write_fraction > 0.0 &&
              std::uniform_real_distribution<double>(0.0, 1.0)(rng_) < params_.write_fraction;
  ++issued_;
  return true;
}

void DmaGenerator::slot_thread(unsigned slot) {
  std::vector<unsigned char> buffer(params_.size);
  PcieAttrs attrs;
  attrs.pasid_present = params_.pasid_present;
  attrs.pasid = params_.pasid;
  attrs.privileged = params_.privileged;
  tlm::tlm_generic_payload payload;
  payload.set_extension(&attrs);
  payload.set_data_ptr(buffer.data());
  payload.set_data_length(params_.size);
  payload.set_streaming_width(params_.size);

  tlm_utils::tlm_quantumkeeper qk;
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
      const sc_time issue = sc_core::sc_time_stamp();
      socket->b_transport(payload, delay);
      // Zero when the path already waited (an oracle checks each DMA as it
      // finishes): no delta cycle then.
      if (delay != sc_core::SC_ZERO_TIME) wait(delay);
      latency_.record((sc_core::sc_time_stamp() - issue).value());
    } else {
      socket->b_transport(payload, delay);
      latency_.record(delay.value());
      qk.inc(delay + gap);
      if (qk.need_sync()) qk.sync();
    }
    if (payload.is_response_ok()) {
      ++completed_;
    } else if (attrs.completion == CompletionStatus::UnsupportedRequest) {
      ++faulted_;
    } else {
      ++errors_;
    }
    if (mode_ == TimingMode::Timed && gap != sc_core::SC_ZERO_TIME) wait(gap);
  }
  if (mode_ == TimingMode::Functional) qk.sync();
  payload.clear_extension(&attrs);
}

}  // namespace iommu_sim
