// devices[]: device models with queues in host memory, each driven by its
// driver on the host CPUs through Linux's DMA API (docs/devices.md).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "model/param.h"

namespace iommu_sim {

enum class DeviceModelType : std::uint8_t { Nvme, Nic, Accelerator };

// The loader admits only the names visit() lists.
inline DeviceModelType parse_device_model_type(std::string_view type) {
  if (type == "nic") return DeviceModelType::Nic;
  if (type == "accelerator") return DeviceModelType::Accelerator;
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
  std::uint32_t packet_size = 1500;
  double offered_gbps = 10.0;
  double tx_gbps = 0.0;
  std::uint32_t completions_per_interrupt = 32;
  double interrupt_delay_ns = 8000.0;
  std::uint32_t rx_engines = 8;
  std::uint64_t buffer_size = 64ull << 20;
  double rx_ns = 300.0;
  double tx_ns = 400.0;

  template <class V>
  void visit(V& v) {
    v(name, {"name", "", "required", "Label of the device model in stats.json (devices.<name>.*)."},
      "the devices.<name>.* statistic names");
    v(type,
      {"type",
       "",
       "nvme",
       "Which device: nvme, an NVMe controller with a submission/completion queue pair per "
       "queue (NVM Express Base spec 2.0); nic, an Ethernet NIC with a receive and a transmit "
       "descriptor ring per queue pair (Intel 82599 legacy descriptors); accelerator, a device "
       "streaming 4 KiB DMAs over one long-lived buffer the host maps once. Fields marked NVMe "
       "only or NIC only are ignored by the other type.",
       0,
       0,
       false,
       {"nvme", "nic", "accelerator"}},
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
       "read tags (pcie.endpoints[].tags): each I/O in flight may have a read outstanding. "
       "NIC: descriptors of each receive and transmit ring, of which the driver gives the "
       "device queue_depth - 1 (no tag limit: the NIC reads one descriptor at a time).",
       2, 4096},
      "devices.<name>.iops, latency, rx_dropped");
    v(io_size,
      {"io_size", "bytes", "4 KiB: the random-read size of storage benchmarks",
       "NVMe only. Bytes per I/O, a multiple of 4 KiB up to 2 MiB; above 8 KiB the command's "
       "PRP2 points to a PRP list (NVMe Base spec 4.1.1).",
       4096, 2u << 20},
      "devices.<name>.gbps, host.dma_api.*, iommu.iotlb.*");
    v(write_fraction,
      {"write_fraction", "", "0: random reads",
       "NVMe only. Probability that an I/O is a write (the device reads the buffer) rather than a "
       "read "
       "(the device writes it).",
       0.0, 1.0},
      "memory.bytes_read, memory.bytes_written");
    v(count,
      {"count", "I/Os or packets", "10000 per queue",
       "I/Os each queue completes. NIC: packets that arrive for each queue, received or "
       "dropped, and, with tx_gbps, packets each queue sends.",
       0, 1ull << 40},
      "devices.<name>.ios, rx_packets, simulated_time_ns");
    v(start_ns,
      {"start_ns", "ns", "0",
       "When the drivers start submitting (NIC: when the first packet arrives and the "
       "driver starts sending).",
       0.0, 1e15},
      "simulated_time_ns");
    v(media_read_ns,
      {"media_read_ns", "ns",
       "about 5 us: the 4 KiB random-read latency Intel gives for its Optane SSD DC P5800X",
       "NVMe only. Time the controller's media takes to read one I/O, after the command was "
       "fetched and "
       "before its data is written to the host.",
       0.0, 1e12},
      "devices.<name>.latency");
    v(media_write_ns,
      {"media_write_ns", "ns", "about 5 us: as media_read_ns (P5800X)",
       "NVMe only. Time the media takes to write one I/O, after its data was read from the host.",
       0.0, 1e12},
      "devices.<name>.latency");
    v(media_parallelism,
      {"media_parallelism", "I/Os", "8: 1.5 M IOPS (P5800X) x 5 us = 7.5 I/Os at the media",
       "NVMe only. I/Os the media works on at once; the rest wait in the controller.", 1, 4096},
      "devices.<name>.iops, devices.<name>.media_wait");
    v(doorbell_latency_ns,
      {"doorbell_latency_ns", "ns",
       "assumed: a posted write's way from the root complex down to the device",
       "From the host's doorbell write to the controller acting on it.", 0.0, 1e9},
      "devices.<name>.latency");
    v(msi_latency_ns,
      {"msi_latency_ns", "ns",
       "assumed: the MSI-X write up to the root complex and the interrupt's delivery",
       "From the completion entry's write (NIC: the interrupt's moderation ending) to the "
       "interrupt reaching the queue's CPU.",
       0.0, 1e9},
      "devices.<name>.latency");
    v(submit_ns,
      {"submit_ns", "ns",
       "assumed: blk-mq and nvme_queue_rq preparing one command, about 2,000 cycles",
       "NVMe only. CPU time of the driver's work per I/O submitted, besides dma_map, the command "
       "write "
       "and the doorbell.",
       0.0, 1e9},
      "host.cpu.<n>.driver_ns");
    v(complete_ns,
      {"complete_ns", "ns",
       "assumed: nvme_handle_cqe and completing the request, about 1,200 cycles",
       "NVMe only. CPU time of the driver's work per completion, besides dma_unmap.", 0.0, 1e9},
      "host.cpu.<n>.driver_ns");
    visit_nic(v);
  }

 private:
  template <class V>
  void visit_nic(V& v) {
    v(packet_size,
      {"packet_size", "bytes",
       "1500: the Ethernet MTU (IEEE 802.3), the size of a full-sized frame's payload",
       "NIC only. Bytes of each packet, received or sent; each buffer is packet_size rounded "
       "up to 4 KiB pages. Up to 9000: a jumbo frame.",
       64, 9000},
      "devices.<name>.rx_bytes, host.dma_api.*, iommu.iotlb.*");
    v(offered_gbps,
      {"offered_gbps", "Gb/s", "10: a 10GbE port at line rate",
       "NIC only. The receive load on the wire: a packet every (packet_size + 20) x 8 / "
       "offered_gbps ns (20 bytes of preamble, start delimiter and inter-frame gap per "
       "packet, IEEE 802.3), each to the next queue in turn (RSS spreading flows evenly). "
       "Above 0.",
       0.0, 400.0},
      "devices.<name>.rx_pps, rx_dropped");
    v(tx_gbps,
      {"tx_gbps", "Gb/s", "0: no transmit",
       "NIC only. The load the driver sends, spaced as offered_gbps's, each queue taking "
       "every queues-th packet; 0 sends nothing.",
       0.0, 400.0},
      "devices.<name>.tx_packets");
    v(completions_per_interrupt,
      {"completions_per_interrupt", "completions",
       "assumed: 32, a typical frame-count coalescing setting (ethtool -C rx-frames)",
       "NIC only. A queue's interrupt is sent after this many receive and transmit "
       "completions, or interrupt_delay_ns after the first of a smaller batch.",
       1, 4096},
      "devices.<name>.interrupts, host.cpu.<n>.interrupt_ns");
    v(interrupt_delay_ns,
      {"interrupt_delay_ns", "ns",
       "assumed: 8 us, an interrupt throttling interval (82599 EITR) of 125,000 "
       "interrupts/s",
       "NIC only. Longest a completion waits for its queue's interrupt to be sent.", 0.0, 1e9},
      "devices.<name>.latency, interrupts");
    v(rx_engines,
      {"rx_engines", "packets",
       "assumed: 8; a NIC prefetches receive descriptors in batches (82599 RXDCTL.PTHRESH) and "
       "its data writes are posted, so it overlaps the DMAs of several packets per queue",
       "NIC only. Packets a queue moves into host memory at once (descriptor read, data, "
       "write-back each). With 1, a queue handles one packet per DMA round trip.",
       1, 256},
      "devices.<name>.rx_pps, rx_dropped");
    v(buffer_size,
      {"buffer_size", "bytes",
       "64 MiB: assumed, a working buffer of a GPU or offload kernel; 32 pages of 2 MiB",
       "Accelerator only. The buffer the host maps once (2 MiB aligned, so 2 MiB pages) and the "
       "device streams over: sequential 4 KiB DMAs, queue_depth in flight, count in all, "
       "write_fraction of them writes. A multiple of 4 KiB.",
       4096, 1ull << 36},
      "workload.<name>.*, iommu.iotlb.hit_rate, pcie.<device>.atc.*");
    v(rx_ns,
      {"rx_ns", "ns", "assumed: building an skb and handing it to the stack, about 1,000 cycles",
       "NIC only. CPU time of the driver's work per received packet, besides dma_unmap, the "
       "refill's dma_map and descriptor write.",
       0.0, 1e9},
      "host.cpu.<n>.driver_ns");
    v(tx_ns,
      {"tx_ns", "ns", "assumed: ndo_start_xmit and freeing the sent skb, about 1,300 cycles",
       "NIC only. CPU time of the driver's work per sent packet, besides dma_map, the "
       "descriptor write, the doorbell and dma_unmap.",
       0.0, 1e9},
      "host.cpu.<n>.driver_ns");
  }
};

}  // namespace iommu_sim
