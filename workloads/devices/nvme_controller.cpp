#include "workloads/devices/nvme_controller.h"

#include <algorithm>

#include "model/timing_mode.h"
#include "workloads/devices/device_dma.h"

namespace iommu_sim {

NvmeController::NvmeController(sc_core::sc_module_name name, const DeviceModelParams& params,
                               StatsRegistry& stats)
    : sc_module(name), socket("socket"), params_(params), media_free_(params.media_parallelism) {
  const std::string prefix = "devices." + params.name + ".";
  stats.counter(prefix + "commands", &commands_, "commands the controller fetched");
  stats.counter(prefix + "transfer_errors", &transfer_errors_,
                "commands completed with Data Transfer Error: a DMA of theirs was blocked");
  stats.histogram(prefix + "media_wait", &media_wait_, "ns",
                  "from a command's fetch to the media starting on it "
                  "(devices[].media_parallelism busy)",
                  1000.0);
}

void NvmeController::create_queue_pair(std::uint16_t qid, std::uint64_t sq, std::uint64_t cq,
                                       std::uint32_t depth, InterruptLine& irq) {
  auto q = std::make_unique<Queue>();
  q->qid = qid;
  q->sq = sq;
  q->cq = cq;
  q->depth = depth;
  q->irq = &irq;
  Queue& ref = *q;
  queues_.push_back(std::move(q));
  sc_core::sc_spawn([this, &ref] { fetch_thread(ref); });
  // An engine per command the queue can hold, so that no command waits
  // for anything but the media (bounded: host memory for threads).
  constexpr std::uint32_t kMaxEngines = 4096;
  for (std::uint32_t i = 0; i < depth && engines_ < kMaxEngines; ++i, ++engines_) {
    sc_core::sc_spawn([this] { command_thread(); });
  }
}

NvmeController::Queue* NvmeController::find(std::uint16_t qid) {
  for (auto& q : queues_) {
    if (q->qid == qid) return q.get();
  }
  return nullptr;
}

NvmeController::QueueState NvmeController::queue_state(std::uint16_t qid) {
  const Queue* q = find(qid);
  if (q == nullptr) return {};
  return {q->sq_head, q->sq_tail, q->cq_tail, q->cq_head, q->phase};
}

void NvmeController::mmio_write(std::uint64_t offset, std::uint32_t value) {
  if (offset < 0x1000 || (offset - 0x1000) % 4 != 0) return;  // not a doorbell
  const auto qid = static_cast<std::uint16_t>((offset - 0x1000) / 8);
  Queue* q = find(qid);
  if (q == nullptr || value >= q->depth) return;  // an invalid doorbell write is ignored
  if (offset == nvme::cq_head_doorbell(qid)) {
    q->cq_head = value;
    q->cq_room.notify(sc_core::SC_ZERO_TIME);
    return;
  }
  const sc_core::sc_time after = ns(params_.doorbell_latency_ns);
  q->tail_writes.emplace_back(sc_core::sc_time_stamp() + after, value);
  q->doorbell.notify(after);
}

bool NvmeController::apply_arrived_tails(Queue& q) {
  while (!q.tail_writes.empty() && q.tail_writes.front().first <= sc_core::sc_time_stamp()) {
    q.sq_tail = q.tail_writes.front().second;
    q.tail_writes.pop_front();
  }
  return q.sq_head != q.sq_tail;
}

void NvmeController::fetch_thread(Queue& q) {
  std::array<std::uint8_t, nvme::kSqeBytes> raw{};
  for (;;) {
    if (!apply_arrived_tails(q)) {
      if (q.tail_writes.empty()) {
        sc_core::wait(q.doorbell);
      } else {
        sc_core::wait(q.tail_writes.front().first - sc_core::sc_time_stamp());
      }
      continue;
    }
    const bool ok = device_dma(socket, q.sq + std::uint64_t{q.sq_head} * nvme::kSqeBytes,
                               raw.data(), raw.size(), false);
    q.sq_head = (q.sq_head + 1) % q.depth;
    ++commands_;
    nvme::Command c = nvme::Command::decode(raw);
    if (!ok) {
      complete(q, c, false);
      continue;
    }
    work_.push_back({&q, c, sc_core::sc_time_stamp().value()});
    work_ready_.notify(sc_core::SC_ZERO_TIME);
  }
}

void NvmeController::command_thread() {
  std::vector<std::uint8_t>& data = buffers_.emplace_back(params_.io_size, 0x5a);
  for (;;) {
    while (work_.empty()) sc_core::wait(work_ready_);
    const Work w = work_.front();
    work_.pop_front();
    const bool read = w.command.opcode == nvme::kOpRead;
    bool ok = true;
    if (read) {
      run_media(params_.media_read_ns, w.fetched_ps);
      ok = transfer(w.command, data);
    } else {
      ok = transfer(w.command, data);
      run_media(params_.media_write_ns, w.fetched_ps);
    }
    complete(*w.queue, w.command, ok);
  }
}

void NvmeController::run_media(double ns_busy, std::uint64_t fetched_ps) {
  if (media_free_ == 0) {
    sc_core::sc_event turn;
    media_waiting_.push_back(&turn);
    sc_core::wait(turn);  // the finishing command passed its unit on
  } else {
    --media_free_;
  }
  media_wait_.record(sc_core::sc_time_stamp().value() - fetched_ps);
  sc_core::wait(ns(ns_busy));
  if (media_waiting_.empty()) {
    ++media_free_;
    return;
  }
  media_waiting_.front()->notify(sc_core::SC_ZERO_TIME);
  media_waiting_.pop_front();
}

// PRP1 is the first page; PRP2 the second when there are two, else a PRP
// list of the remaining pages (NVMe Base spec 4.1.1), read first.
bool NvmeController::transfer(const nvme::Command& c, std::vector<std::uint8_t>& data) {
  const std::uint64_t pages = c.nlb + 1u;
  // A command larger than the I/Os this model was built for fails as a
  // transfer would.
  if (pages * nvme::kPageBytes > data.size()) return false;
  std::vector<std::uint64_t> prps{c.prp1};
  if (pages == 2) prps.push_back(c.prp2);
  if (pages > 2) {
    std::vector<std::uint64_t> list(pages - 1);
    if (!device_dma(socket, c.prp2, reinterpret_cast<std::uint8_t*>(list.data()), 8 * list.size(),
                    false)) {
      return false;
    }
    prps.insert(prps.end(), list.begin(), list.end());
  }
  const bool to_host = c.opcode == nvme::kOpRead;
  bool ok = true;
  for (std::uint64_t i = 0; i < pages && ok; ++i) {
    ok = device_dma(socket, prps[i], data.data() + i * nvme::kPageBytes, nvme::kPageBytes, to_host);
  }
  return ok;
}

void NvmeController::complete(Queue& q, const nvme::Command& c, bool ok) {
  if (!ok) ++transfer_errors_;
  // A full completion queue (tail one behind head) waits for the host.
  while ((q.cq_tail + 1) % q.depth == q.cq_head) sc_core::wait(q.cq_room);
  nvme::Completion e;
  e.sq_head = static_cast<std::uint16_t>(q.sq_head);
  e.sq_id = q.qid;
  e.cid = c.cid;
  e.phase = q.phase;
  e.status = ok ? 0 : nvme::kStatusDataTransferError;
  auto raw = e.encode();
  const std::uint64_t at = q.cq + std::uint64_t{q.cq_tail} * nvme::kCqeBytes;
  q.cq_tail = (q.cq_tail + 1) % q.depth;
  if (q.cq_tail == 0) q.phase = !q.phase;
  device_dma(socket, at, raw.data(), raw.size(), true);
  q.irq->raise(ns(params_.msi_latency_ns));
}

}  // namespace iommu_sim
