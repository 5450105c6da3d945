// Runs short jobs each in a SystemC thread of its own, as sc_spawn would,
// but reuses the threads of finished jobs instead of spawning new ones.
// SystemC keeps about 144 bytes for every process ever spawned, even once
// it has ended (measured with SystemC 2.3.3: 2 M spawns of a thread that
// waits 1 ns grow the resident set by 275 MiB), so a spawn per event grows
// memory without bound in a long run; a pool grows only to the largest
// number of jobs running at once.
#pragma once

#include <deque>
#include <functional>
#include <string>
#include <systemc>
#include <vector>

namespace iommu_sim {

class ProcessPool {
 public:
  // Threads are named `name`_0, `name`_1, ... (sc_gen_unique_name).
  explicit ProcessPool(std::string name) : name_(std::move(name)) {}
  ProcessPool(const ProcessPool&) = delete;
  ProcessPool& operator=(const ProcessPool&) = delete;

  // Starts `job` in this evaluation phase (IEEE 1666-2011 5.5.6: a spawned
  // process and one woken by an immediate notification both become
  // runnable in the current evaluation phase). Only while simulating, and
  // not from one of this pool's own jobs.
  void run(std::function<void()> job);

  // Threads made so far: the most jobs that were ever running at once.
  std::size_t threads() const { return workers_.size(); }

 private:
  struct Worker {
    std::function<void()> job;
    sc_core::sc_event go;
  };
  void loop(Worker& worker);

  std::string name_;
  std::deque<Worker> workers_;  // a deque: workers keep their addresses
  std::vector<Worker*> idle_;   // each waits on its `go`
};

}  // namespace iommu_sim
