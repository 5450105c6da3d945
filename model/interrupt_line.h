// One MSI-X vector from a device to a host CPU. raise() sends the
// interrupt, which arrives `after` later (the MSI-X write's way to the
// CPU); a driver takes interrupts with take(), which returns at once if one
// has arrived, so an interrupt that arrived while the driver was busy is
// not lost (PCI Local Bus spec 6.8.2: the MSI-X Pending Bit), and several
// that arrived meanwhile are taken as one, as the pending bit holds one.
#pragma once

#include <cstdint>
#include <deque>
#include <systemc>

namespace iommu_sim {

class InterruptLine {
 public:
  // `after` must be the same for every raise of a line (arrivals in order).
  void raise(const sc_core::sc_time& after) {
    ++raised_;
    arrivals_.push_back(sc_core::sc_time_stamp() + after);
    event_.notify(after);
  }
  // Waits until an interrupt has arrived and takes every one that has
  // (call from a SystemC thread).
  void take() {
    for (;;) {
      // A copy: the kernel's time moves on during the waits below.
      // NOLINTNEXTLINE(performance-unnecessary-copy-initialization)
      const sc_core::sc_time now = sc_core::sc_time_stamp();
      if (!arrivals_.empty() && arrivals_.front() <= now) break;
      if (arrivals_.empty()) {
        sc_core::wait(event_);
      } else {
        sc_core::wait(arrivals_.front() - now);
      }
    }
    while (!arrivals_.empty() && arrivals_.front() <= sc_core::sc_time_stamp()) {
      arrivals_.pop_front();
    }
    ++taken_;
  }
  std::uint64_t raised() const { return raised_; }
  std::uint64_t taken() const { return taken_; }

 private:
  sc_core::sc_event event_;
  std::deque<sc_core::sc_time> arrivals_;
  std::uint64_t raised_ = 0, taken_ = 0;
};

}  // namespace iommu_sim
