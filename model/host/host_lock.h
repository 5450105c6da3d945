// Host software runs in more than one SystemC thread (the caller's and
// the lazy flush timer), and a call that waits (for an invalidation, an
// MMIO access) lets another one in. Like the mutexes of Linux's iommufd
// and the queued-invalidation lock, this lock makes each manager call
// atomic with respect to the others. It is re-entrant for the thread that
// holds it (a call that makes another call), which sc_mutex is not.
// (Before the simulation starts there is no process and nothing to lock.)
#pragma once

#include <systemc>

namespace iommu_sim {

class HostLock {
 public:
  class Guard {
   public:
    explicit Guard(HostLock& lock) : lock_(lock) { lock_.lock(); }
    ~Guard() { lock_.unlock(); }
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;

   private:
    HostLock& lock_;
  };

  void lock() {
    const sc_core::sc_process_handle me = sc_core::sc_get_current_process_handle();
    if (depth_ != 0 && owner_ == me) {
      ++depth_;
      return;
    }
    // Outside a process (host set-up before time 0) nothing runs
    // concurrently, and sc_mutex may not notify its event. The owner is
    // recorded only once the mutex is ours: a waiter must not overwrite
    // the holder's depth.
    if (me.valid()) mutex_.lock();
    owner_ = me;
    depth_ = 1;
  }
  void unlock() {
    if (--depth_ != 0) return;
    if (owner_.valid()) mutex_.unlock();
    owner_ = sc_core::sc_process_handle();
  }

 private:
  sc_core::sc_mutex mutex_;
  sc_core::sc_process_handle owner_;
  int depth_ = 0;
};

}  // namespace iommu_sim
