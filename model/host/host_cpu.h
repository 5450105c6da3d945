// The host's CPUs (host.cpus). Driver code runs in SystemC threads, each
// pinned to one CPU; while it runs, the CPU's time goes to what the code is
// doing (an Activity), innermost first, so every picosecond is counted once:
// a dma_unmap that waits for the invalidation-queue lock charges the wait
// to lock_wait, not to unmap. A CPU runs one thread's driver code at a time
// (Run): a second thread pinned to it (the lazy flush timer on a CPU that
// is busy unmapping) starts once the first is done, where Linux would
// interleave a softirq; the difference is a few microseconds per timeout.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <systemc>
#include <unordered_map>
#include <vector>

#include "model/stats.h"

namespace iommu_sim {

// Where a CPU's time goes (host.cpu.<n>.<name>_ns).
enum class CpuWork : std::uint8_t {
  Map,        // dma_map_page: bookkeeping and PTE writes
  Unmap,      // dma_unmap_page: bookkeeping, PTE clears, flush-queue adds
  Iova,       // IOVA allocation and free
  InvSubmit,  // writing invalidation descriptors and the queue tail
  InvWait,    // polling for an invalidation wait's status write
  LockWait,   // spinning for a lock another CPU holds
  Interrupt,  // taking device interrupts
  Driver,     // a device driver's own work: descriptors, doorbells, completions
  Count
};
constexpr std::size_t kCpuWorkKinds = static_cast<std::size_t>(CpuWork::Count);
std::string_view cpu_work_name(CpuWork work);

class HostCpu {
 public:
  explicit HostCpu(unsigned index) : index_(index) {}
  unsigned index() const { return index_; }

  // Attributes the CPU's time to `work` while it lives.
  class Activity {
   public:
    Activity(HostCpu& cpu, CpuWork work);
    ~Activity();
    Activity(const Activity&) = delete;
    Activity& operator=(const Activity&) = delete;

   private:
    HostCpu& cpu_;
  };
  // Holds the CPU for the calling thread while it lives (re-entrant).
  class Run {
   public:
    explicit Run(HostCpu& cpu);
    ~Run();
    Run(const Run&) = delete;
    Run& operator=(const Run&) = delete;

   private:
    HostCpu& cpu_;
  };

  // Spends `t` of CPU time on the current activity (waits in a thread;
  // outside one, before time 0, host set-up is free).
  static void spend(const sc_core::sc_time& t);
  static void spend_ns(double ns) { spend(sc_core::sc_time(ns, sc_core::SC_NS)); }

  // Time spent on `work` up to now, the activity under way included (so a
  // run stopped or a warm-up ended in the middle of one counts it to there).
  std::uint64_t busy_ps(CpuWork work) const;
  std::uint64_t busy_ps() const;
  void register_stats(StatsRegistry& stats);

 private:
  void settle();
  void push(CpuWork work);
  void pop();
  void acquire();
  void release();

  unsigned index_;
  std::array<std::uint64_t, kCpuWorkKinds> ps_{};
  std::vector<CpuWork> stack_;
  std::uint64_t since_ps_ = 0;
  // Run: the holding thread, its depth, and the threads waiting in order.
  sc_core::sc_process_handle owner_;
  int depth_ = 0;
  std::deque<sc_core::sc_event*> waiting_;
};

// The CPUs, and which one each driver thread runs on.
class HostCpus {
 public:
  HostCpus(unsigned count, StatsRegistry& stats);
  unsigned count() const { return static_cast<unsigned>(cpus_.size()); }
  HostCpu& cpu(unsigned index) { return *cpus_.at(index); }
  // Runs the calling thread's driver code on `cpu` from now on.
  void pin_current(unsigned cpu);
  // The CPU the calling thread is pinned to; CPU 0 for any other thread
  // (the scenario's host steps, set-up before time 0).
  HostCpu& current();
  // Time all CPUs spent on `work`.
  std::uint64_t total_ps(CpuWork work) const;

 private:
  std::vector<std::unique_ptr<HostCpu>> cpus_;
  std::unordered_map<const void*, unsigned> pinned_;
};

}  // namespace iommu_sim
