#include "model/host/host_cpu.h"

#include <algorithm>
#include <numeric>
#include <stdexcept>

#include "model/host/host_bus.h"

namespace iommu_sim {

namespace {

const void* current_process() {
  return sc_core::sc_get_current_process_handle().get_process_object();
}

std::uint64_t now_ps() {
  return sc_core::sc_time_stamp().value();
}

}  // namespace

std::string_view cpu_work_name(CpuWork work) {
  switch (work) {
    case CpuWork::Map:
      return "map";
    case CpuWork::Unmap:
      return "unmap";
    case CpuWork::Iova:
      return "iova";
    case CpuWork::InvSubmit:
      return "inv_submit";
    case CpuWork::InvWait:
      return "inv_wait";
    case CpuWork::LockWait:
      return "lock_wait";
    case CpuWork::Interrupt:
      return "interrupt";
    case CpuWork::Driver:
      return "driver";
    case CpuWork::Count:
      break;
  }
  return "?";
}

HostCpu::Activity::Activity(HostCpu& cpu, CpuWork work) : cpu_(cpu) {
  cpu_.push(work);
}
HostCpu::Activity::~Activity() {
  cpu_.pop();
}

HostCpu::Run::Run(HostCpu& cpu) : cpu_(cpu) {
  cpu_.acquire();
}
HostCpu::Run::~Run() {
  cpu_.release();
}

void HostCpu::spend(const sc_core::sc_time& t) {
  if (HostBus::can_wait() && t != sc_core::SC_ZERO_TIME) sc_core::wait(t);
}

std::uint64_t HostCpu::busy_ps(CpuWork work) const {
  std::uint64_t ps = ps_[static_cast<std::size_t>(work)];
  const std::uint64_t now = now_ps();
  if (!stack_.empty() && stack_.back() == work && now > since_ps_) ps += now - since_ps_;
  return ps;
}

std::uint64_t HostCpu::busy_ps() const {
  std::uint64_t ps = std::accumulate(ps_.begin(), ps_.end(), std::uint64_t{0});
  const std::uint64_t now = now_ps();
  if (!stack_.empty() && now > since_ps_) ps += now - since_ps_;
  return ps;
}

void HostCpu::settle() {
  const std::uint64_t now = now_ps();
  if (!stack_.empty()) ps_[static_cast<std::size_t>(stack_.back())] += now - since_ps_;
  since_ps_ = now;
}

void HostCpu::push(CpuWork work) {
  settle();
  stack_.push_back(work);
}

void HostCpu::pop() {
  settle();
  stack_.pop_back();
}

void HostCpu::acquire() {
  if (!HostBus::can_wait()) return;
  const sc_core::sc_process_handle me = sc_core::sc_get_current_process_handle();
  if (depth_ != 0 && owner_ == me) {
    ++depth_;
    return;
  }
  if (depth_ == 0) {
    owner_ = me;
    depth_ = 1;
    return;
  }
  // release() hands the CPU to the first waiter and then wakes it.
  sc_core::sc_event turn;
  waiting_.push_back(&turn);
  sc_core::wait(turn);
  owner_ = me;
}

void HostCpu::release() {
  if (!HostBus::can_wait() || --depth_ != 0) return;
  owner_ = sc_core::sc_process_handle();
  if (waiting_.empty()) return;
  sc_core::sc_event* next = waiting_.front();
  waiting_.pop_front();
  // The waiter's handle is not known here; it becomes the owner as it
  // resumes, and nothing else can take the CPU in between (depth_ != 0).
  depth_ = 1;
  next->notify(sc_core::SC_ZERO_TIME);
}

void HostCpu::register_stats(StatsRegistry& stats) {
  const std::string prefix = "host.cpu." + std::to_string(index_) + ".";
  for (std::size_t k = 0; k < kCpuWorkKinds; ++k) {
    const auto work = static_cast<CpuWork>(k);
    stats.derived(
        prefix + std::string(cpu_work_name(work)) + "_ns",
        [this, work] { return static_cast<double>(busy_ps(work)) / 1000.0; },
        "CPU time spent on " + std::string(cpu_work_name(work)) + " (ns)");
  }
  stats.derived(
      prefix + "utilisation",
      [this, &stats] {
        // Over the time since the statistics' epoch (a warm-up's end).
        const std::uint64_t now = now_ps(), from = stats.epoch_ps();
        const std::uint64_t t = now > from ? now - from : 0;
        return t == 0 ? 0.0 : static_cast<double>(busy_ps()) / static_cast<double>(t);
      },
      "fraction of the simulated time the CPU ran driver code (all kinds of work)");
  // A warm-up's end: the time spent so far is left out, and an activity
  // under way counts from there.
  stats.on_restart([this](std::uint64_t epoch_ps) {
    ps_.fill(0);
    since_ps_ = std::max(since_ps_, epoch_ps);
  });
}

HostCpus::HostCpus(unsigned count, StatsRegistry& stats) {
  for (unsigned i = 0; i < count; ++i) {
    cpus_.push_back(std::make_unique<HostCpu>(i));
    cpus_.back()->register_stats(stats);
  }
  // Sums over the CPUs: what a sweep over host.cpus compares.
  for (std::size_t k = 0; k < kCpuWorkKinds; ++k) {
    const auto work = static_cast<CpuWork>(k);
    stats.derived(
        "host.cpu.all." + std::string(cpu_work_name(work)) + "_ns",
        [this, work] { return static_cast<double>(total_ps(work)) / 1000.0; },
        "CPU time of all CPUs spent on " + std::string(cpu_work_name(work)) + " (ns)");
  }
  stats.derived(
      "host.cpu.all.busy_ns",
      [this] {
        std::uint64_t ps = 0;
        for (const auto& c : cpus_) ps += c->busy_ps();
        return static_cast<double>(ps) / 1000.0;
      },
      "CPU time of all CPUs running driver code, every kind of work (ns)");
}

std::uint64_t HostCpus::total_ps(CpuWork work) const {
  std::uint64_t ps = 0;
  for (const auto& c : cpus_) ps += c->busy_ps(work);
  return ps;
}

void HostCpus::pin_current(unsigned cpu) {
  if (cpu >= cpus_.size()) throw std::logic_error("pin_current: no such CPU");
  pinned_[current_process()] = cpu;
}

HostCpu& HostCpus::current() {
  if (!HostBus::can_wait()) return *cpus_.front();
  const auto it = pinned_.find(current_process());
  return *cpus_.at(it == pinned_.end() ? 0 : it->second);
}

}  // namespace iommu_sim
