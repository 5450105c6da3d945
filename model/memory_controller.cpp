#include "model/memory_controller.h"

#include <algorithm>
#include <cmath>

#include "model/hex.h"
#include "model/trace.h"

namespace iommu_sim {

using sc_core::sc_time;

MemoryController::MemoryController(sc_core::sc_module_name name, const MemoryParams& params,
                                   TimingMode mode, StatsRegistry& stats, const std::string& prefix)
    : sc_module(name),
      socket("socket", this),
      params_(params),
      mode_(mode),
      latency_(ns(params.latency_ns)),
      ps_per_byte_(1000.0 / params.bandwidth_gbps),
      limit_(params.address_bits >= 64 ? ~0ull : (1ull << params.address_bits)),
      busy_until_(params.channels, sc_core::SC_ZERO_TIME),
      llc_latency_(ns(params.llc_latency_ns)) {
  for (std::size_t i = 0; i < small_occupancy_.size(); ++i) {
    small_occupancy_[i] = compute_occupancy(i * 8);
  }
  stats.counter(prefix + ".reads", &reads_, "read requests served");
  stats.counter(prefix + ".writes", &writes_, "write requests served");
  stats.counter(prefix + ".bytes_read", &bytes_read_, "bytes read");
  stats.counter(prefix + ".bytes_written", &bytes_written_, "bytes written");
  stats.counter(prefix + ".address_errors", &address_errors_,
                "requests beyond memory.address_bits, answered with an address error");
  stats.counter(prefix + ".llc_hits", &llc_hits_,
                "reads and writes (counted in reads/writes too) served from the last-level cache "
                "in memory.llc_latency_ns, without a channel");
  stats.histogram(prefix + ".queue_delay", &queue_delay_, "ns",
                  "time a request waited for the channel (Timed mode)");
  stats.derived(
      prefix + ".frames_touched", [this] { return static_cast<double>(store_.frames_allocated()); },
      "4 KiB frames of simulated memory ever written");
}

sc_time MemoryController::compute_occupancy(std::uint64_t bytes) const {
  const double ps = std::ceil(static_cast<double>(bytes) * ps_per_byte_ - 1e-9);
  return sc_time::from_value(static_cast<sc_dt::uint64>(ps));
}

sc_time MemoryController::occupancy(std::uint64_t bytes) const {
  if (bytes <= kTabledBytes && bytes % 8 == 0) return small_occupancy_[bytes / 8];
  if (bytes != last_bytes_) {
    last_occupancy_ = compute_occupancy(bytes);
    last_bytes_ = bytes;
  }
  return last_occupancy_;
}

void MemoryController::mark_llc_resident(std::uint64_t addr, std::uint64_t len) {
  std::uint64_t lo = addr, hi = addr + len;
  // Absorb every range that overlaps or touches [lo, hi), so that a lookup
  // finds a contained access in the one range before it.
  auto it = llc_.upper_bound(lo);
  if (it != llc_.begin() && std::prev(it)->second >= lo) --it;
  while (it != llc_.end() && it->first <= hi) {
    lo = std::min(lo, it->first);
    hi = std::max(hi, it->second);
    it = llc_.erase(it);
  }
  llc_.emplace(lo, hi);
}

bool MemoryController::llc_resident(std::uint64_t addr, std::uint64_t len) const {
  auto it = llc_.upper_bound(addr);
  if (it == llc_.begin()) return false;
  return addr + len <= std::prev(it)->second;
}

// Inlined into b_transport: every DMA and table read passes here.
[[gnu::always_inline]] inline bool MemoryController::access(tlm::tlm_generic_payload& p) {
  const std::uint64_t addr = p.get_address();
  const std::uint64_t len = p.get_data_length();
  if (addr >= limit_ || len > limit_ - addr) {
    ++address_errors_;
    p.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return false;
  }
  if (p.get_byte_enable_ptr() != nullptr) {
    p.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
    return false;
  }
  std::span data(p.get_data_ptr(), len);
  if (p.is_read()) {
    store_.read(addr, data);
  } else if (p.is_write()) {
    store_.write(addr, data);
  } else {
    p.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
    return false;
  }
  p.set_response_status(tlm::TLM_OK_RESPONSE);
  return true;
}

void MemoryController::b_transport(tlm::tlm_generic_payload& p, sc_time& delay) {
  if (!access(p)) return;
  const std::uint64_t len = p.get_data_length();
  if (p.is_read()) {
    ++reads_;
    bytes_read_ += len;
  } else {
    ++writes_;
    bytes_written_ += len;
  }
  const sc_time arrived = delay;
  // The empty() test is all the default (cold) run pays.
  if (!llc_.empty() && llc_resident(p.get_address(), len)) {
    ++llc_hits_;
    delay += llc_latency_;
  } else if (mode_ == TimingMode::Timed) {
    const sc_time arrival = clock_.now() + delay;
    delay += (occupy(p.get_address(), len, arrival) - arrival) + latency_;
  } else {
    delay += occupancy(len) + latency_;
  }
  if (trace::on(trace::Category::Memory)) [[unlikely]]
    trace_access(p, arrived, delay);
}

void MemoryController::trace_access(const tlm::tlm_generic_payload& p, const sc_time& arrived,
                                    const sc_time& done) const {
  trace::Event e;
  e.category = trace::Category::Memory;
  e.what = "memory.access";
  e.time_ps = (sc_core::sc_time_stamp() + done).value();
  e.text = std::string(p.is_read() ? "memory read " : "memory write ") +
           std::to_string(p.get_data_length()) + " B at " + hex(p.get_address()) + ": " +
           trace::ns((done - arrived).value()) +
           " ns (waiting for the channel, transfer, memory.latency_ns)";
  e.fields = {{"address", p.get_address()},
              {"length", p.get_data_length()},
              {"write", p.is_write() ? 1 : 0}};
  trace::emit(e);
}

sc_time MemoryController::occupy(std::uint64_t addr, std::uint64_t len, sc_time arrival) {
  // First come, first served per channel: a share starts when it arrives or
  // when its channel frees, whichever is later.
  if (busy_until_.size() == 1) {
    const sc_time start = arrival > busy_until_[0] ? arrival : busy_until_[0];
    busy_until_[0] = start + occupancy(len);
    queue_delay_.record((start - arrival).value());
    return busy_until_[0];
  }
  const std::uint64_t block = params_.interleave_bytes;
  sc_time done = arrival, waited = sc_core::SC_ZERO_TIME;
  for (std::uint64_t at = addr, end = addr + len; at < end;) {
    const std::uint64_t share = std::min(end, (at / block + 1) * block) - at;
    sc_time& busy_until = busy_until_[(at / block) % busy_until_.size()];
    const sc_time start = arrival > busy_until ? arrival : busy_until;
    busy_until = start + occupancy(share);
    waited = std::max(waited, start - arrival);
    done = std::max(done, busy_until);
    at += share;
  }
  queue_delay_.record(waited.value());
  return done;
}

unsigned int MemoryController::transport_dbg(tlm::tlm_generic_payload& p) {
  return access(p) ? p.get_data_length() : 0;
}

}  // namespace iommu_sim
