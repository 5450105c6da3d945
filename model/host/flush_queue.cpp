#include "model/host/flush_queue.h"

#include <algorithm>

#include "model/host/host_bus.h"

namespace iommu_sim {

void FlushQueueStats::register_stats(StatsRegistry& stats) {
  stats.counter("host.fq.queued", &queued, "lazy unmaps put in a flush queue");
  stats.counter("host.fq.flushes", &flushes,
                "flush-queue flushes: one invalidation of the whole domain and one wait each");
  stats.counter("host.fq.full_flushes", &full_flushes, "flushes because a CPU's ring was full");
  stats.counter("host.fq.timeout_flushes", &timeout_flushes,
                "flushes by the timer (host.flush_timeout_ns after the first unmap queued)");
  stats.counter("host.fq.released", &released,
                "queued unmaps whose IOVA and table pages were given back after a flush");
  lock.register_stats("host.fq", stats);
}

FlushQueue::FlushQueue(HostCpus& cpus, std::uint32_t size, double timeout_ns,
                       const HostCpuParams& costs, FlushQueueStats& stats, Hooks hooks)
    : cpus_(cpus),
      capacity_(std::max<std::uint32_t>(size, 2) - 1),
      timeout_(timeout_ns, sc_core::SC_NS),
      costs_(costs),
      stats_(stats),
      hooks_(std::move(hooks)),
      rings_(cpus.count()) {
  for (Ring& r : rings_) r.lock = std::make_unique<SpinLock>(costs.lock_transfer_ns, stats.lock);
}

void FlushQueue::add(HostCpu& cpu, Entry entry) {
  Ring& ring = rings_[cpu.index()];
  {
    SpinLock::Guard guard(*ring.lock, cpu);
    HostCpu::spend_ns(costs_.fq_add_ns);
    release_flushed(cpu, ring);
    if (ring.entries.size() >= capacity_) {
      ++stats_.full_flushes;
      flush();
      release_flushed(cpu, ring);
    }
    entry.counter = started_;
    ring.entries.push_back(std::move(entry));
    ++stats_.queued;
  }
  if (!timer_on_) arm_timer(cpu);
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
void FlushQueue::flush() {
  const std::uint64_t started = ++started_;
  ++stats_.flushes;
  hooks_.flush();
  finished_ = std::max(finished_, started);
  for (Ring& r : rings_) {
    for (Entry& e : r.entries) {
      if (e.settled || e.counter >= started) continue;
      e.settled = true;
      hooks_.settle(e);
    }
  }
}

void FlushQueue::arm_timer(HostCpu& cpu) {
  // Before time 0 nothing is queued lazily (host set-up maps only).
  if (!HostBus::can_wait()) return;
  timer_on_ = true;
  const unsigned index = cpu.index();
  sc_core::sc_spawn([this, index] {
    cpus_.pin_current(index);
    sc_core::wait(timeout_);
    HostCpu& on = cpus_.cpu(index);
    const HostCpu::Run run(on);
    timer_on_ = false;
    ++stats_.timeout_flushes;
    flush();
    for (Ring& r : rings_) {
      SpinLock::Guard guard(*r.lock, on);
      release_flushed(on, r);
    }
  });
}

}  // namespace iommu_sim
