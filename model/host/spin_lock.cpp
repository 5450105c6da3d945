#include "model/host/spin_lock.h"

#include "model/host/host_bus.h"

namespace iommu_sim {

void LockStats::register_stats(const std::string& prefix, StatsRegistry& stats) {
  stats.counter(prefix + ".acquisitions", &acquisitions, "times the lock was taken");
  stats.counter(prefix + ".contended", &contended,
                "acquisitions that found the lock held by another CPU");
  stats.histogram(prefix + ".lock_wait", &wait, "ns",
                  "time from asking for the lock to holding it: spinning while others hold it "
                  "plus the cache-line transfer (host.cpu.lock_transfer_ns)",
                  1000.0);
}

void SpinLock::lock(HostCpu& cpu) {
  ++stats_.acquisitions;
  // Before time 0 (host set-up) nothing runs concurrently and time is free.
  if (!HostBus::can_wait()) {
    held_ = true;
    last_cpu_ = static_cast<int>(cpu.index());
    return;
  }
  HostCpu::Activity spinning(cpu, CpuWork::LockWait);
  const std::uint64_t asked_ps = sc_core::sc_time_stamp().value();
  if (held_) {
    ++stats_.contended;
    // unlock() passes the lock to the first waiter, which wakes holding it.
    sc_core::sc_event turn;
    waiting_.push_back(&turn);
    sc_core::wait(turn);
  }
  held_ = true;
  // The first acquisition finds the line in this CPU's cache or memory
  // alike; a transfer is counted only between CPUs.
  if (last_cpu_ >= 0 && last_cpu_ != static_cast<int>(cpu.index())) HostCpu::spend(transfer_);
  last_cpu_ = static_cast<int>(cpu.index());
  stats_.wait.record(sc_core::sc_time_stamp().value() - asked_ps);
}

void SpinLock::unlock() {
  if (waiting_.empty()) {
    held_ = false;
    return;
  }
  sc_core::sc_event* next = waiting_.front();
  waiting_.pop_front();
  next->notify(sc_core::SC_ZERO_TIME);
}

}  // namespace iommu_sim
