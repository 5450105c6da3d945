#include "model/host/drivers/nvme_driver.h"

#include <algorithm>

#include "model/timing_mode.h"
#include "workloads/devices/nvme_format.h"

namespace iommu_sim {

struct NvmeDriver::Slot {
  std::uint64_t buffer = 0;                 // physical
  std::uint64_t prp_list = 0, prp_bus = 0;  // the slot's PRP list page
  std::uint64_t mapped = 0;                 // bus address while in flight
  std::uint64_t submitted_ps = 0;
};

struct NvmeDriver::Queue {
  std::uint16_t qid = 0;
  unsigned cpu = 0;
  std::uint64_t sq = 0, cq = 0;  // physical
  std::uint32_t depth = 0, sq_tail = 0, cq_head = 0;
  bool phase = true;  // the phase tag a new completion carries
  std::vector<Slot> slots;
  std::vector<std::uint16_t> free;  // command IDs not in flight
  // The queue's loop steers by completed; ios counts the same for
  // devices.<name>.q<k>.ios, where a warm-up may zero it.
  std::uint64_t submitted = 0, completed = 0, ios = 0;
  InterruptLine irq;
};

NvmeDriver::NvmeDriver(const DeviceModelParams& params, std::uint32_t queues, HostBus& bus,
                       HostCpus& cpus, const HostCpuParams& costs, MmioRegisters& registers,
                       std::uint64_t seed, StatsRegistry& stats)
    : params_(params),
      bus_(bus),
      cpus_(cpus),
      costs_(costs),
      registers_(registers),
      rng_(seed),
      stats_(stats) {
  for (std::uint32_t k = 0; k < queues; ++k) {
    auto q = std::make_unique<Queue>();
    q->qid = static_cast<std::uint16_t>(k + 1);
    q->cpu = k % cpus.count();
    q->depth = params.queue_depth;
    queues_.push_back(std::move(q));
  }
  register_stats(stats);
}

NvmeDriver::~NvmeDriver() = default;

std::pair<std::uint64_t, std::uint64_t> NvmeDriver::queue_memory(std::size_t k) const {
  return {queues_.at(k)->sq, queues_.at(k)->cq};
}

std::uint64_t NvmeDriver::mapped(std::size_t k, std::uint16_t cid) const {
  return queues_.at(k)->slots.at(cid).mapped;
}

void NvmeDriver::register_stats(StatsRegistry& stats) {
  const std::string prefix = "devices." + params_.name + ".";
  stats.counter(prefix + "ios", &ios_, "I/Os completed");
  stats.counter(prefix + "bytes", &bytes_, "bytes the completed I/Os moved");
  stats.counter(prefix + "errors", &errors_, "I/Os completed with an error status");
  stats.counter(prefix + "map_failures", &map_failures_, "I/Os not submitted: dma_map failed");
  stats.counter(prefix + "interrupts", &interrupts_, "interrupts the driver took");
  stats.histogram(prefix + "latency", &latency_, "ns",
                  "from the driver starting an I/O's submission to its completion handled", 1000.0);
  stats.derived(
      prefix + "iops", [this] { return per_second(ios_, first_submit_ps_, last_completion_ps_); },
      "I/Os completed per second of simulated time, first submission to last completion");
  stats.derived(
      prefix + "gbps", [this] { return gbps(bytes_, first_submit_ps_, last_completion_ps_); },
      "data moved, in Gb/s over the same time");
  for (const auto& q : queues_) {
    const Queue* raw = q.get();
    stats.counter(prefix + "q" + std::to_string(q->qid) + ".ios", &q->ios,
                  "I/Os completed by this queue");
    stats.derived(
        prefix + "q" + std::to_string(q->qid) + ".iops",
        [this, raw] { return per_second(raw->ios, first_submit_ps_, last_completion_ps_); },
        "this queue's I/Os per second over the device's active time");
  }
  // After a warm-up the rates run from its end.
  stats.on_restart([this](std::uint64_t epoch_ps) {
    if (!started_) return;
    first_submit_ps_ = epoch_ps;
    last_completion_ps_ = epoch_ps;
  });
}

void NvmeDriver::start(FrameAllocator& memory, const CreateQueuePair& create, DmaApi* dma,
                       int handle) {
  dma_ = DeviceMapper(dma, handle);
  for (auto& qp : queues_) {
    Queue& q = *qp;
    const std::uint64_t sq_bytes = std::uint64_t{q.depth} * nvme::kSqeBytes;
    const std::uint64_t cq_bytes = std::uint64_t{q.depth} * nvme::kCqeBytes;
    q.sq = memory.allocate(sq_bytes);
    q.cq = memory.allocate(cq_bytes);
    const std::uint64_t sq_bus = dma_.map(q.sq, sq_bytes, false);
    const std::uint64_t cq_bus = dma_.map(q.cq, cq_bytes, true);
    q.slots.resize(q.depth);
    for (std::uint32_t i = 0; i < q.depth; ++i) {
      Slot& s = q.slots[i];
      s.buffer = memory.allocate(params_.io_size);
      if (params_.io_size > 2 * nvme::kPageBytes) {
        s.prp_list = memory.allocate(nvme::kPageBytes);
        s.prp_bus = dma_.map(s.prp_list, nvme::kPageBytes, false);
      }
      q.free.push_back(static_cast<std::uint16_t>(q.depth - 1 - i));
    }
    create(q.qid, sq_bus, cq_bus, q.depth, q.irq);
    sc_core::sc_spawn([this, &q] { run(q); });
  }
}

void NvmeDriver::run(Queue& q) {
  cpus_.pin_current(q.cpu);
  if (params_.start_ns > 0) sc_core::wait(ns(params_.start_ns));
  // A queue of depth entries holds depth - 1 commands (spec 4.1: full
  // when the tail is one behind the head).
  const std::uint64_t window = q.depth - 1;
  while (q.completed < params_.count) {
    while (q.submitted < params_.count && q.submitted - q.completed < window) submit(q);
    if (q.completed == q.submitted) continue;  // every I/O failed to map
    q.irq.take();
    ++interrupts_;
    {
      HostCpu& cpu = cpus_.cpu(q.cpu);
      const HostCpu::Run run(cpu);
      const HostCpu::Activity irq(cpu, CpuWork::Interrupt);
      HostCpu::spend_ns(costs_.interrupt_ns);
    }
    reap(q);
  }
}

void NvmeDriver::submit(Queue& q) {
  HostCpu& cpu = cpus_.cpu(q.cpu);
  const HostCpu::Run run(cpu);
  const std::uint64_t now = sc_core::sc_time_stamp().value();
  if (!started_) {
    started_ = true;
    first_submit_ps_ = now;
  }
  ++q.submitted;
  {
    const HostCpu::Activity driver(cpu, CpuWork::Driver);
    HostCpu::spend_ns(params_.submit_ns);
  }
  const std::uint16_t cid = q.free.back();
  Slot& s = q.slots[cid];
  const bool write =
      uniform_real_distribution<double>(0.0, 1.0)(rng_) < params_.write_fraction;
  // A read is the device writing the buffer (DMA_FROM_DEVICE).
  s.mapped = dma_.map(s.buffer, params_.io_size, !write);
  if (s.mapped == 0) {
    ++map_failures_;
    ++q.completed;
    ++q.ios;
    stats_.work_done();
    return;
  }
  q.free.pop_back();
  s.submitted_ps = now;
  nvme::Command c;
  c.opcode = write ? nvme::kOpWrite : nvme::kOpRead;
  c.cid = cid;
  c.prp1 = s.mapped;
  c.prp2 = write_prps(s, s.mapped);
  c.slba = rng_() % (1ull << 32);
  c.nlb = static_cast<std::uint16_t>(params_.io_size / nvme::kPageBytes - 1);
  const auto raw = c.encode();
  const HostCpu::Activity driver(cpu, CpuWork::Driver);
  bus_.write(q.sq + std::uint64_t{q.sq_tail} * nvme::kSqeBytes, raw);
  q.sq_tail = (q.sq_tail + 1) % q.depth;
  HostCpu::spend_ns(costs_.mmio_write_ns);
  registers_.mmio_write(nvme::sq_tail_doorbell(q.qid), q.sq_tail);
}

// PRP2: the second page, or the PRP list of the pages after the first.
std::uint64_t NvmeDriver::write_prps(Slot& s, std::uint64_t address) {
  const std::uint64_t pages = params_.io_size / nvme::kPageBytes;
  if (pages == 1) return 0;
  if (pages == 2) return address + nvme::kPageBytes;
  for (std::uint64_t i = 1; i < pages; ++i)
    bus_.write64(s.prp_list + 8 * (i - 1), address + i * nvme::kPageBytes);
  return s.prp_bus;
}

void NvmeDriver::reap(Queue& q) {
  HostCpu& cpu = cpus_.cpu(q.cpu);
  const HostCpu::Run run(cpu);
  bool any = false;
  for (;;) {
    std::array<std::uint8_t, nvme::kCqeBytes> raw{};
    bus_.read(q.cq + std::uint64_t{q.cq_head} * nvme::kCqeBytes, raw);
    const nvme::Completion e = nvme::Completion::decode(raw);
    if (e.phase != q.phase) break;  // not written yet
    any = true;
    q.cq_head = (q.cq_head + 1) % q.depth;
    if (q.cq_head == 0) q.phase = !q.phase;
    finish(q, e.cid, e.status);
  }
  if (!any) return;
  const HostCpu::Activity driver(cpu, CpuWork::Driver);
  HostCpu::spend_ns(costs_.mmio_write_ns);
  registers_.mmio_write(nvme::cq_head_doorbell(q.qid), q.cq_head);
}

void NvmeDriver::finish(Queue& q, std::uint16_t cid, std::uint16_t status) {
  HostCpu& cpu = cpus_.cpu(q.cpu);
  {
    const HostCpu::Activity driver(cpu, CpuWork::Driver);
    HostCpu::spend_ns(params_.complete_ns);
  }
  Slot& s = q.slots.at(cid);
  dma_.unmap(s.mapped, params_.io_size);
  q.free.push_back(cid);
  ++q.completed;
  ++q.ios;
  if (status != 0) {
    ++errors_;
  } else {
    ++ios_;
    bytes_ += params_.io_size;
  }
  last_completion_ps_ = sc_core::sc_time_stamp().value();
  latency_.record(last_completion_ps_ - s.submitted_ps);
  stats_.work_done();
}

}  // namespace iommu_sim
