// Host calls on a timeline (model/trace.h, category host): each traced
// call is a slice on the track of the CPU it runs on, "host.cpu<n>". A call
// begins its slice once it holds what makes it run alone (HostCpu::Run, or
// the manager's lock), so the calls it makes nest inside it. Untraced, a
// call pays one branch where it begins and one where it ends; the event
// and its text are built out of line, only when traced:
//
//   TracedCall traced;
//   if (trace::on(trace::Category::Host)) [[unlikely]]
//     traced.begin(cpu, "dma_api.map", {{"physical", physical}, {"length", length}});
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "model/host/host_cpu.h"
#include "model/trace.h"

namespace iommu_sim {

class TracedCall {
 public:
  using Args = std::initializer_list<std::pair<std::string_view, std::uint64_t>>;

  TracedCall() = default;
  ~TracedCall() {
    if (id_ != 0) [[unlikely]]
      end();
  }
  TracedCall(const TracedCall&) = delete;
  TracedCall& operator=(const TracedCall&) = delete;

  // Begins the slice `what` ("ioas.map") on `cpu`'s track; the text lists
  // `args` and then `note` (a label, a reason).
  void begin(const HostCpu& cpu, std::string_view what, Args args, std::string_view note = {});

 private:
  void end();

  std::uint64_t id_ = 0;
  unsigned cpu_ = 0;
  std::string_view what_;
};

}  // namespace iommu_sim
