// Replays a trace (docs/trace.md) on a built platform: one DeviceReplayer
// per function the trace names, bound to that function's endpoint as a
// DmaGenerator is, and one TraceReplayer that reads the trace as a stream
// and issues each record through the replayer of its device.
//
// Timing honour: each DMA enters its endpoint at its timestamp, whether or
// not earlier ones have completed. A pool of SystemC threads does it. One
// thread at a time leads: it waits for the next record's time and issues
// it; before a DMA it appoints an idle thread to lead from the following
// record's time, and takes the lead back (cancelling that) if its own DMA
// ends before then. A trace whose DMAs do not overlap so runs on one
// thread with one wait per DMA besides the model's; the pool grows to the
// most DMAs in flight at once, plus one. Map and unmap records go to a
// host thread at their time and are applied one at a time in trace order.
//
// Timing asap: timestamps are ignored. Records issue in trace order, a DMA
// once its device has fewer than its tags (pcie.endpoints[].tags) in
// flight, a map or unmap once its device has none (applied by the leading
// thread, so the trace goes on only after it). Trace order holds across
// devices: a device at its limit also holds back the records after it.
// While the next record cannot issue no thread leads; the one whose DMA
// frees the way takes the lead on.
#pragma once

#include <tlm_utils/simple_initiator_socket.h>
#include <array>
#include <deque>
#include <memory>
#include <string>
#include <systemc>
#include <tlm>
#include <vector>

#include "model/pcie_attrs.h"
#include "model/stats.h"
#include "workloads/trace/trace_stream.h"

namespace iommu_sim {

enum class TraceTiming { Honour, Asap };

// Applies a trace's map and unmap records: the platform does, through its
// ioasid manager (the workloads know nothing of the host).
class TraceHost {
 public:
  virtual ~TraceHost() = default;
  // Called from a SystemC thread at the record's time; may wait. Returns
  // why it failed, or an empty string.
  virtual std::string apply(const TraceRecord& r, const std::string& device) = 0;
};

// The DMA engine of one function in a replay: its socket and statistics
// (replay.<device>.*); the TraceReplayer's threads issue through it.
class DeviceReplayer : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<DeviceReplayer> socket;

  // `tags` bounds the DMAs in flight in asap timing.
  DeviceReplayer(sc_core::sc_module_name name, const std::string& device, std::uint32_t tags,
                 StatsRegistry& stats);

  const std::string& device() const { return device_; }
  std::uint64_t issued() const { return issued_; }
  std::uint64_t completed() const { return completed_; }
  std::uint64_t faulted() const { return faulted_; }
  const Histogram& latency() const { return latency_; }

 private:
  friend class TraceReplayer;
  // Counts how `p` ended, `latency` after it was issued.
  void note_end(const tlm::tlm_generic_payload& p, const PcieAttrs& attrs,
                const sc_core::sc_time& latency);

  std::string device_;
  std::uint32_t tags_;
  StatsRegistry& stats_;
  unsigned in_flight_ = 0;  // asap timing only
  std::uint64_t issued_ = 0, completed_ = 0, faulted_ = 0, errors_ = 0, bytes_ = 0;
  Histogram latency_;
};

class TraceReplayer : public sc_core::sc_module {
 public:
  // `devices[i]` issues the DMAs of the reader's device i; null only for
  // devices without records (the trace was scanned before).
  TraceReplayer(sc_core::sc_module_name name, std::unique_ptr<TraceReader> reader,
                TraceTiming timing, std::vector<DeviceReplayer*> devices, TraceHost& host,
                StatsRegistry& stats);

  // Set when the trace could not be read to its end during the run (it
  // changed after it was scanned): the replay stopped there.
  const std::string& error() const { return error_; }
  // The first map or unmap that failed, with its time, or empty.
  const std::string& first_host_failure() const { return first_host_failure_; }
  std::uint64_t maps() const { return maps_; }
  std::uint64_t unmaps() const { return unmaps_; }
  std::uint64_t host_failures() const { return host_failures_; }
  // Threads the pool grew to (the most DMAs in flight at once, plus one).
  std::size_t threads() const { return workers_.size(); }

 private:
  struct Worker {
    Worker();
    // The payload would free the extension: it is a member.
    ~Worker() { payload.clear_extension(&attrs); }
    sc_core::sc_event wake;
    tlm::tlm_generic_payload payload;
    PcieAttrs attrs;
    std::array<unsigned char, 4096> data{};
  };
  // A leader starts at once; any other thread parks in idle_ until it is
  // appointed.
  void spawn_worker(bool leader);
  void worker_thread(Worker& w);
  // Issues due records until this thread hands the lead on while its DMA
  // is in flight, or the trace ends.
  void lead(Worker& w);
  // Reads the record after next_ into next_.
  void advance();
  // Asap: whether `r`'s device has a slot for it (a DMA) or is idle (a map
  // or unmap).
  bool can_issue(const TraceRecord& r) const;
  // Waits until next_ may issue: its time (honour). Asap: takes its slot,
  // or leaves the lead vacant and returns false.
  bool wait_until_due();
  // Before a DMA issues, arranges who issues next_: an idle thread woken at
  // next_'s time (honour) or now (asap, if next_ can issue), else the lead
  // is left vacant.
  Worker* hand_on();
  // Whether the leader may lead again after its DMA: the successor has not
  // started and the DMA (ending `remaining` from now) ends by its time.
  bool take_lead_back(Worker& successor, const sc_core::sc_time& remaining);
  // Issues `r`; returns the DMA's remaining annotated delay.
  sc_core::sc_time issue(Worker& w, const TraceRecord& r);
  // After a DMA: honour, the last thread waits for the latest end; asap,
  // the DMA's end frees its slot, and the thread takes up a vacant lead
  // that can go on (returns true).
  bool end_dma(DeviceReplayer& d, const sc_core::sc_time& remaining);
  void host_event(const TraceRecord& r);
  void host_thread();
  void apply(const TraceRecord& r);
  void register_stats(StatsRegistry& stats);

  std::unique_ptr<TraceReader> reader_;
  TraceTiming timing_;
  std::vector<DeviceReplayer*> devices_;
  TraceHost& host_;
  StatsRegistry& stats_;
  TraceRecord next_;
  bool has_next_ = false;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<Worker*> idle_;
  Worker* successor_ = nullptr;  // appointed and not yet leading
  sc_core::sc_time successor_due_;
  bool vacant_ = false;        // asap: no thread leads until a DMA ends
  sc_core::sc_time last_end_;  // honour: the latest end of a DMA no thread waited for
  std::deque<TraceRecord> host_queue_;
  sc_core::sc_event host_ready_;
  std::string error_, first_host_failure_;
  std::uint64_t maps_ = 0, unmaps_ = 0, host_failures_ = 0;
};

}  // namespace iommu_sim
