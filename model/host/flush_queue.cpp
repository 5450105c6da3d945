#include "model/host/flush_queue.h"

#include <algorithm>

#include "model/host/host_bus.h"
#include "model/host/host_trace.h"

namespace iommu_sim {

void FlushQueueStats::register_stats(const std::string& prefix, StatsRegistry& stats) {
  stats.counter(prefix + ".queued", &queued, "lazy unmaps put in a flush queue");
  stats.counter(prefix + ".flushes", &flushes,
                "flush-queue flushes: one invalidation of the whole domain and one wait each");
  stats.counter(prefix + ".full_flushes", &full_flushes, "flushes because a CPU's ring was full");
  stats.counter(prefix + ".timeout_flushes", &timeout_flushes,
                "flushes by the timer (host.flush_timeout_ns after the first unmap queued)");
  stats.counter(prefix + ".released", &released,
                "queued unmaps whose IOVA and table pages were given back after a flush");
  lock.register_stats(prefix, stats);
}

FlushQueue::FlushQueue(HostCpus& cpus, std::uint32_t size, double timeout_ns,
                       const HostCpuParams& costs, FlushQueueStats& stats, ProcessPool& timers,
                       Hooks hooks)
    : cpus_(cpus),
      capacity_(std::max<std::uint32_t>(size, 2) - 1),
      timeout_(timeout_ns, sc_core::SC_NS),
      costs_(costs),
      stats_(stats),
      hooks_(std::move(hooks)),
      rings_(cpus.count()),
      timers_(timers) {
  for (Ring& r : rings_) r.lock = std::make_unique<SpinLock>(costs.lock_transfer_ns, stats.lock);
}

Status FlushQueue::add(HostCpu& cpu, Entry entry) {
  Ring& ring = rings_[cpu.index()];
  Status s = Status::success();
  {
    SpinLock::Guard guard(*ring.lock, cpu);
    HostCpu::spend_ns(costs_.fq_add_ns);
    release_flushed(cpu, ring);
    if (ring.entries.size() >= capacity_) {
      ++stats_.full_flushes;
      s = flush(cpu, "fq.flush_full");
      release_flushed(cpu, ring);
    }
    entry.counter = started_;
    ring.entries.push_back(std::move(entry));
    ++stats_.queued;
  }
  if (!timer_on_) arm_timer(cpu);
  return s;
}

void FlushQueue::close(HostCpu& cpu) {
  closed_ = true;
  for (Ring& r : rings_) {
    for (Entry& e : r.entries) {
      hooks_.release(cpu, e);
      ++stats_.released;
    }
    r.entries.clear();
  }
}

std::uint64_t FlushQueue::queued() const {
  std::uint64_t n = 0;
  for (const Ring& r : rings_) n += r.entries.size();
  return n;
}

bool FlushQueue::empty() const {
  return std::all_of(rings_.begin(), rings_.end(), [](const Ring& r) { return r.entries.empty(); });
}

// fq_ring_free_locked: entries queued before a finished flush began.
void FlushQueue::release_flushed(HostCpu& cpu, Ring& ring) {
  auto it = ring.entries.begin();
  for (; it != ring.entries.end() && it->counter < finished_; ++it) {
    hooks_.release(cpu, *it);
    ++stats_.released;
  }
  ring.entries.erase(ring.entries.begin(), it);
}

// fq_flush_iotlb: flushes started and finished count around the domain's
// invalidation, so an entry is known safe once finished passes its stamp.
// A flush that failed (the invalidation queue reported an error) settles
// and releases nothing.
Status FlushQueue::flush(HostCpu& cpu, std::string_view what) {
  TracedCall traced;
  if (trace::on(trace::Category::Host)) [[unlikely]]
    traced.begin(cpu, what, {{"queued", queued()}});
  const std::uint64_t started = ++started_;
  ++stats_.flushes;
  if (Status s = hooks_.flush(); !s.ok()) return s;
  finished_ = std::max(finished_, started);
  for (Ring& r : rings_) {
    for (Entry& e : r.entries) {
      if (e.settled || e.counter >= started) continue;
      e.settled = true;
      hooks_.settle(e);
    }
  }
  return Status::success();
}

void FlushQueue::arm_timer(HostCpu& cpu) {
  // Before time 0 nothing is queued lazily (host set-up maps only).
  if (!HostBus::can_wait()) return;
  timer_on_ = true;
  const unsigned index = cpu.index();
  timers_.run([this, index] {
    cpus_.pin_current(index);
    sc_core::wait(timeout_);
    // The domain of a closed queue may be gone; the queue is not (its
    // owner keeps it for this timer), and nothing is left to flush.
    if (closed_) return;
    HostCpu& on = cpus_.cpu(index);
    const HostCpu::Run run(on);
    timer_on_ = false;
    ++stats_.timeout_flushes;
    (void)flush(on, "fq.flush_timeout");  // a failed flush leaves the entries for the next one
    for (Ring& r : rings_) {
      SpinLock::Guard guard(*r.lock, on);
      release_flushed(on, r);
    }
  });
}

}  // namespace iommu_sim
