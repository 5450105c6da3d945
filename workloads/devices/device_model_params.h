// devices[]: device models with queues in host memory, each driven by its
// driver on the host CPUs through Linux's DMA API (docs/devices.md).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "model/param.h"

namespace iommu_sim {

enum class DeviceModelType : std::uint8_t { Nvme };

inline DeviceModelType parse_device_model_type(std::string_view) {
  return DeviceModelType::Nvme;
}

struct DeviceModelParams {
  std::string name;
  std::string type = "nvme";
  std::string device;
  std::uint32_t queues = 0;
  std::uint32_t queue_depth = 32;
  std::uint32_t io_size = 4096;
  double write_fraction = 0.0;
  std::uint64_t count = 10000;
  double start_ns = 0.0;
  double media_read_ns = 5000.0;
  double media_write_ns = 5000.0;
  std::uint32_t media_parallelism = 8;
  double doorbell_latency_ns = 400.0;
  double msi_latency_ns = 500.0;
  double submit_ns = 600.0;
  double complete_ns = 400.0;

  template <class V>
  void visit(V& v) {
    v(name, {"name", "", "required", "Label of the device model in stats.json (devices.<name>.*)."},
      "the devices.<name>.* statistic names");
    v(type,
      {"type",
       "",
       "nvme",
       "Which device: nvme, an NVMe controller with a submission/completion queue pair per "
       "queue (NVM Express Base spec 2.0).",
       0,
       0,
       false,
       {"nvme"}},
      "which devices.<name>.* statistics exist");
    v(device,
      {"device", "", "required",
       "The PCIe function (pcie.endpoints[].name) the model is; owned by the kernel, so it "
       "must not be in attach[]. Its DMAs carry no PASID and are translated by the DMA API's "
       "domain (host.dma_api)."},
      "pcie.<device>.*");
    v(queues,
      {"queues", "queue pairs", "0: one per host CPU, as Linux's nvme driver sets up",
       "I/O queue pairs; queue k is driven by CPU k. At most host.cpus.", 0, 64},
      "devices.<name>.q<k>.*, host.cpu.<n>.*");
    v(queue_depth,
      {"queue_depth", "entries", "32: fio's common iodepth",
       "Entries of each submission and completion queue; the driver keeps queue_depth - 1 "
       "I/Os in flight per queue (a full queue keeps one entry empty). At most the function's "
       "read tags (pcie.endpoints[].tags): each I/O in flight may have a read outstanding.",
       2, 4096},
      "devices.<name>.iops, latency");
    v(io_size,
      {"io_size", "bytes", "4 KiB: the random-read size of storage benchmarks",
       "Bytes per I/O, a multiple of 4 KiB up to 2 MiB; above 8 KiB the command's PRP2 points "
       "to a PRP list (NVMe Base spec 4.1.1).",
       4096, 2u << 20},
      "devices.<name>.gbps, host.dma_api.*, iommu.iotlb.*");
    v(write_fraction,
      {"write_fraction", "", "0: random reads",
       "Probability that an I/O is a write (the device reads the buffer) rather than a read "
       "(the device writes it).",
       0.0, 1.0},
      "memory.bytes_read, memory.bytes_written");
    v(count, {"count", "I/Os", "10000 per queue", "I/Os each queue completes.", 0, 1ull << 40},
      "devices.<name>.ios, simulated_time_ns");
    v(start_ns, {"start_ns", "ns", "0", "When the drivers start submitting.", 0.0, 1e15},
      "simulated_time_ns");
    v(media_read_ns,
      {"media_read_ns", "ns",
       "about 5 us: the 4 KiB random-read latency Intel gives for its Optane SSD DC P5800X",
       "Time the controller's media takes to read one I/O, after the command was fetched and "
       "before its data is written to the host.",
       0.0, 1e12},
      "devices.<name>.latency");
    v(media_write_ns,
      {"media_write_ns", "ns", "about 5 us: as media_read_ns (P5800X)",
       "Time the media takes to write one I/O, after its data was read from the host.", 0.0, 1e12},
      "devices.<name>.latency");
    v(media_parallelism,
      {"media_parallelism", "I/Os", "8: 1.5 M IOPS (P5800X) x 5 us = 7.5 I/Os at the media",
       "I/Os the media works on at once; the rest wait in the controller.", 1, 4096},
      "devices.<name>.iops, devices.<name>.media_wait");
    v(doorbell_latency_ns,
      {"doorbell_latency_ns", "ns",
       "assumed: a posted write's way from the root complex down to the device",
       "From the host's doorbell write to the controller acting on it.", 0.0, 1e9},
      "devices.<name>.latency");
    v(msi_latency_ns,
      {"msi_latency_ns", "ns",
       "assumed: the MSI-X write up to the root complex and the interrupt's delivery",
       "From the completion entry's write to the interrupt reaching the queue's CPU.", 0.0, 1e9},
      "devices.<name>.latency");
    v(submit_ns,
      {"submit_ns", "ns",
       "assumed: blk-mq and nvme_queue_rq preparing one command, about 2,000 cycles",
       "CPU time of the driver's work per I/O submitted, besides dma_map, the command write "
       "and the doorbell.",
       0.0, 1e9},
      "host.cpu.<n>.driver_ns");
    v(complete_ns,
      {"complete_ns", "ns",
       "assumed: nvme_handle_cqe and completing the request, about 1,200 cycles",
       "CPU time of the driver's work per completion, besides dma_unmap.", 0.0, 1e9},
      "host.cpu.<n>.driver_ns");
  }
};

}  // namespace iommu_sim
