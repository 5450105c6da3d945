// A kernel spin lock between host CPUs (Linux's queued spinlock: waiters
// take it in arrival order). A CPU that finds it held spins, and that time
// is counted as lock_wait on its CPU and in the lock's wait histogram; the
// acquisition then costs host.cpu.lock_transfer_ns when another CPU held the
// lock last, as its cache line moves. So the second of two CPUs arriving
// together waits exactly the first's hold time plus one transfer.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <systemc>

#include "model/host/host_cpu.h"
#include "model/stats.h"

namespace iommu_sim {

// What a lock, or a family of locks (one per IOVA domain), counts.
struct LockStats {
  std::uint64_t acquisitions = 0, contended = 0;
  Histogram wait;
  // Registers <prefix>.acquisitions, .contended and .lock_wait.
  void register_stats(const std::string& prefix, StatsRegistry& stats);
};

class SpinLock {
 public:
  SpinLock(double transfer_ns, LockStats& stats)
      : transfer_(transfer_ns, sc_core::SC_NS), stats_(stats) {}

  void lock(HostCpu& cpu);
  void unlock();

  class Guard {
   public:
    Guard(SpinLock& lock, HostCpu& cpu) : lock_(lock) { lock_.lock(cpu); }
    ~Guard() { lock_.unlock(); }
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;

   private:
    SpinLock& lock_;
  };

 private:
  sc_core::sc_time transfer_;
  bool held_ = false;
  int last_cpu_ = -1;
  std::deque<sc_core::sc_event*> waiting_;
  LockStats& stats_;
};

}  // namespace iommu_sim
