#include "model/process_pool.h"

namespace iommu_sim {

void ProcessPool::run(std::function<void()> job) {
  if (idle_.empty()) {
    Worker& w = workers_.emplace_back();
    w.job = std::move(job);
    sc_core::sc_spawn([this, &w] { loop(w); }, sc_core::sc_gen_unique_name(name_.c_str()));
    return;
  }
  Worker* w = idle_.back();
  idle_.pop_back();
  w->job = std::move(job);
  w->go.notify();
}

void ProcessPool::loop(Worker& worker) {
  for (;;) {
    // Run in place: kept in the worker, the job's captures stay reachable
    // (and are freed with the pool) when the simulation ends mid-job; a
    // copy on this thread's stack would be lost with it.
    worker.job();
    worker.job = nullptr;
    // Idle and waiting with no yield between, so run() never notifies a
    // worker that is not yet waiting.
    idle_.push_back(&worker);
    sc_core::wait(worker.go);
  }
}

}  // namespace iommu_sim
