#include "model/host/iommu_driver.h"

#include <bit>

#include "iommu/formats/vtd_invalidation.h"
#include "iommu/formats/vtd_pasid.h"
#include "iommu/formats/vtd_registers.h"
#include "iommu/formats/vtd_root_context.h"
#include "model/hex.h"
#include "model/host/host_trace.h"

namespace iommu_sim {

namespace vtd = iommu::vtd;

IommuDriver::IommuDriver(HostBus& bus, FrameAllocator& tables, const HostParams& params,
                         HostCpus& cpus, StatsRegistry& stats)
    : bus_(bus),
      tables_(tables),
      params_(params),
      costs_(params_.cpu),
      cpus_(cpus),
      queue_lock_(params_.cpu.lock_transfer_ns, queue_lock_stats_) {
  queue_lock_stats_.register_stats("host.iq", stats);
}

Status IommuDriver::init() {
  cap_ = bus_.mmio_read(vtd::kRegCap, 8);
  ecap_ = bus_.mmio_read(vtd::kRegEcap, 8);
  const auto ecap = vtd::EcapRegister::decode(ecap_);
  if (!ecap.smts)
    return Status::error(ENODEV, "IOMMU does not support scalable mode (ECAP.SMTS=0)");
  if (!ecap.qi)
    return Status::error(ENODEV, "IOMMU does not support queued invalidation (ECAP.QI=0)");
  if (!ecap.flts) return Status::error(ENODEV, "IOMMU lacks first-level translation (ECAP.FLTS=0)");

  // Root table, scalable mode (RTADDR.TTM = 01b), latched with GCMD.SRTP.
  root_table_ = tables_.allocate(4096);
  bus_.mmio_write(vtd::kRegRtaddr, 8, root_table_ | vtd::kRtaddrScalableMode);
  bus_.mmio_write(vtd::kRegGcmd, 4, vtd::kGcmdSrtp);
  if ((bus_.mmio_read(vtd::kRegGsts, 4) & vtd::kGstsRtps) == 0) {
    return Status::error(EIO, "IOMMU did not report GSTS.RTPS after SRTP");
  }
  // Invalidation queue: one 4 KiB page (IQA.QS = 0) of 256-bit descriptors
  // (IQA.DW = 1), as Linux uses in scalable mode; plus a status page.
  queue_ = tables_.allocate(4096);
  status_addr_ = tables_.allocate(4096);
  bus_.mmio_write(vtd::kRegIqa, 8, queue_ | vtd::kIqaDw256);
  bus_.mmio_write(vtd::kRegIqt, 8, 0);
  tail_ = 0;
  bus_.mmio_write(vtd::kRegGcmd, 4, vtd::kGcmdQie);
  bus_.mmio_write(vtd::kRegGcmd, 4, vtd::kGcmdQie | vtd::kGcmdTe);
  const auto gsts = bus_.mmio_read(vtd::kRegGsts, 4);
  if ((gsts & vtd::kGstsTes) == 0 || (gsts & vtd::kGstsQies) == 0) {
    return Status::error(EIO, "IOMMU did not enable translation and queued invalidation");
  }
  return Status::success();
}

std::uint64_t IommuDriver::context_table(std::uint8_t bus, bool upper) {
  const std::uint64_t at = vtd::root_entry_address(root_table_, bus);
  std::array<std::uint64_t, 2> raw{bus_.read64(at), bus_.read64(at + 8)};
  auto root = vtd::ScalableRootEntry::decode(raw);
  bool& present = upper ? root.upper_present : root.lower_present;
  std::uint64_t& table = upper ? root.upper_context_table : root.lower_context_table;
  if (!present) {
    table = tables_.allocate(4096);
    present = true;
    raw = root.encode();
    bus_.write64(at, raw[0]);
    bus_.write64(at + 8, raw[1]);
  }
  return table;
}

std::uint64_t IommuDriver::pasid_directory(Bdf bdf, bool device_tlb) {
  const std::uint64_t table = context_table(bdf.bus, bdf.devfn() >= 0x80);
  const std::uint64_t at = vtd::scalable_context_entry_address(table, bdf.devfn());
  std::array<std::uint64_t, 4> raw{};
  for (unsigned i = 0; i < 4; ++i) raw[i] = bus_.read64(at + 8ull * i);
  auto ctx = vtd::ScalableContextEntry::decode(raw);
  if (!ctx.present) {
    const std::uint64_t entries = 1ull << (params_.pasid_dir_size_bits + 7);
    ctx = vtd::ScalableContextEntry{};
    ctx.present = true;
    ctx.pdts = static_cast<std::uint8_t>(params_.pasid_dir_size_bits);
    ctx.pasid_dir_ptr = tables_.allocate(entries * vtd::kPasidDirEntrySize);
    ctx.rid_pasid = 0;  // Linux: IOMMU_NO_PASID
    // VT-d spec 9.4 DTE: the device may send translation and translated
    // requests (Linux sets it when it enabled ATS on the device).
    ctx.dte = device_tlb;
    raw = ctx.encode();
    for (unsigned i = 0; i < 4; ++i) bus_.write64(at + 8ull * i, raw[i]);
  }
  return ctx.pasid_dir_ptr;
}

std::uint64_t IommuDriver::pasid_table(std::uint64_t dir, std::uint32_t pasid) {
  const std::uint64_t at = dir + vtd::pasid_dir_index(pasid) * vtd::kPasidDirEntrySize;
  auto entry = vtd::PasidDirEntry::decode(bus_.read64(at));
  if (!entry.present) {
    entry = vtd::PasidDirEntry{};
    entry.present = true;
    entry.pasid_table_ptr = tables_.allocate(4096);
    bus_.write64(at, entry.encode());
  }
  return entry.pasid_table_ptr;
}

Status IommuDriver::set_pasid_entry(Bdf bdf, std::uint32_t pasid, const PasidSetup& setup) {
  // Linux sizes a device's PASID table to its max_pasids, and
  // iommu_attach_device_pasid() refuses a PASID beyond it with EINVAL.
  if (pasid >= (64ull << (params_.pasid_dir_size_bits + 7))) {
    return Status::error(EINVAL,
                         "PASID " + std::to_string(pasid) +
                             " exceeds the PASID directory size (host.pasid_dir_size_bits)");
  }
  const std::uint64_t table = pasid_table(pasid_directory(bdf, setup.device_tlb), pasid);
  const std::uint64_t at = table + vtd::pasid_table_index(pasid) * vtd::kPasidEntrySize;
  std::array<std::uint64_t, 8> raw{};
  for (unsigned i = 0; i < 8; ++i) raw[i] = bus_.read64(at + 8ull * i);
  const auto old_entry = vtd::PasidEntry::decode(raw);
  const bool was_present = old_entry.present;
  vtd::PasidEntry pe{};
  pe.present = true;
  pe.pgtt = static_cast<std::uint8_t>(setup.pgtt);
  pe.did = setup.did;
  pe.flptptr = setup.fl_root;
  pe.flpm = setup.fl_levels == 5 ? 1 : 0;
  pe.slptptr = setup.sl_root;
  pe.aw = static_cast<std::uint8_t>(setup.sl_levels - 2);  // 3-level: 1, 4: 2, 5: 3
  pe.sre = setup.supervisor_requests;
  raw = pe.encode();
  // Linux writes the upper qwords before the one holding P (pasid.c
  // pasid_set_present after the rest), so the IOMMU never sees half an entry.
  for (unsigned i = 1; i < 8; ++i) bus_.write64(at + 8ull * i, raw[i]);
  bus_.write64(at, raw[0]);
  // A present entry may be cached, tagged with the domain it had: flush
  // that one (the new DID tags nothing yet).
  if (was_present) {
    return flush_pasid(old_entry.did, pasid,
                       setup.device_tlb ? std::optional<Bdf>(bdf) : std::nullopt);
  }
  return Status::success();
}

Status IommuDriver::flush_pasid(std::uint16_t did, std::uint32_t pasid,
                                std::optional<Bdf> device_tlb) {
  // PASID-cache then PASID-based IOTLB invalidation and a wait, the order
  // Linux's pasid.c uses after changing or clearing an entry.
  vtd::PasidCacheInvDesc pc{};
  pc.granularity = vtd::PasidCacheGranularity::Pasid;
  pc.did = did;
  pc.pasid = pasid;
  vtd::PasidIotlbInvDesc tlb{};
  tlb.granularity = vtd::PasidIotlbGranularity::Pasid;
  tlb.did = did;
  tlb.pasid = pasid;
  std::vector<std::array<std::uint64_t, 2>> descs;
  if (params_.bug != "no_pasid_cache_invalidation") descs.push_back(pc.encode());
  descs.push_back(tlb.encode());
  // Linux devtlb_invalidation_with_pasid: the device's whole PASID.
  if (device_tlb && params_.bug != "no_device_tlb_invalidation") {
    descs.push_back(device_tlb_descriptor(*device_tlb, pasid, 0, ~0ull));
  }
  return submit_and_wait(descs);
}

Status IommuDriver::clear_pasid_entry(Bdf bdf, std::uint32_t pasid, bool device_tlb) {
  if (pasid >= (64ull << (params_.pasid_dir_size_bits + 7))) {
    return Status::error(EINVAL, "PASID " + std::to_string(pasid) + " is beyond the directory");
  }
  const std::uint64_t table = pasid_table(pasid_directory(bdf, device_tlb), pasid);
  const std::uint64_t at = table + vtd::pasid_table_index(pasid) * vtd::kPasidEntrySize;
  std::array<std::uint64_t, 8> raw{};
  for (unsigned i = 0; i < 8; ++i) raw[i] = bus_.read64(at + 8ull * i);
  const auto entry = vtd::PasidEntry::decode(raw);
  if (!entry.present) {
    return Status::error(ENOENT, "device " + bdf.to_string() + " PASID " + std::to_string(pasid) +
                                     " has no PASID entry");
  }
  // Linux intel_pasid_tear_down_entry: clear P first, flush what the IOMMU
  // may hold, then clear the rest. From the moment P is clear the device's
  // DMA with this PASID is blocked.
  bus_.write64(at, raw[0] & ~1ull);
  if (Status s = flush_pasid(entry.did, pasid, device_tlb ? std::optional<Bdf>(bdf) : std::nullopt);
      !s.ok()) {
    return s;
  }
  for (unsigned i = 0; i < 8; ++i) bus_.write64(at + 8ull * i, 0);
  return Status::success();
}

Status IommuDriver::flush_range(std::uint16_t did, std::uint32_t pasid, std::uint64_t iova,
                                std::uint64_t length, bool second_level_only, bool leaf_only,
                                std::optional<Bdf> device_tlb) {
  InvalidationBatch batch;
  add_flush_range(batch, did, pasid, iova, length, second_level_only, leaf_only, device_tlb);
  return submit_and_wait(batch.descriptors());
}

void IommuDriver::add_flush_range(InvalidationBatch& batch, std::uint16_t did, std::uint32_t pasid,
                                  std::uint64_t iova, std::uint64_t length, bool second_level_only,
                                  bool leaf_only, std::optional<Bdf> device_tlb) const {
  // Smallest naturally aligned power-of-two region covering the range
  // (VT-d spec 6.5.2.4: ADDR with address mask AM); beyond CAP.MAMV the
  // whole PASID is invalidated instead.
  const auto mamv = vtd::CapRegister::decode(cap_).mamv;
  unsigned am = 0;
  while (am <= mamv) {
    const std::uint64_t size = 1ull << (12 + am);
    const std::uint64_t base = iova & ~(size - 1);
    if (base + size >= iova + length) break;
    ++am;
  }
  if (params_.bug == "mask_too_small" && am > 0 && am <= mamv) --am;
  // Both descriptor types name the range the same way: page-selective with
  // ADDR and AM, or everything of the domain (IOTLB) or PASID beyond MAMV.
  auto add_covering = [&](auto d, auto page_selective, auto all) {
    if (am <= mamv) {
      d.granularity = page_selective;
      d.addr = iova & ~((1ull << (12 + am)) - 1);
      d.am = static_cast<std::uint8_t>(am);
      d.ih = leaf_only;
    } else {
      d.granularity = all;
    }
    batch.add(d.encode());
  };
  if (second_level_only) {
    vtd::IotlbInvDesc d{};
    d.did = did;
    // Linux qi_flush_iotlb: drain reads and writes where the IOMMU can.
    const auto cap = vtd::CapRegister::decode(cap_);
    d.dr = cap.drd;
    d.dw = cap.dwd;
    add_covering(d, vtd::IotlbGranularity::Page, vtd::IotlbGranularity::Domain);
  } else {
    vtd::PasidIotlbInvDesc d{};
    d.did = did;
    d.pasid = pasid;
    add_covering(d, vtd::PasidIotlbGranularity::Page, vtd::PasidIotlbGranularity::Pasid);
  }
  // Linux flushes the IOTLB, then the device TLB (cache_tag_flush_range),
  // in one submission before the wait.
  if (device_tlb && params_.bug != "no_device_tlb_invalidation") {
    batch.add(device_tlb_descriptor(*device_tlb, pasid, iova, length));
  }
}

std::array<std::uint64_t, 2> IommuDriver::device_tlb_descriptor(Bdf bdf, std::uint32_t pasid,
                                                                std::uint64_t iova,
                                                                std::uint64_t length) const {
  unsigned order = 0;
  while (order < 52) {
    const std::uint64_t size = 1ull << (12 + order);
    if ((iova & ~(size - 1)) + size >= iova + length) break;
    ++order;
  }
  const std::uint64_t base = order >= 52 ? 0 : iova & ~((1ull << (12 + order)) - 1);
  const auto [addr, s] = vtd::ats_range_encode(base, order);
  vtd::PasidDeviceTlbInvDesc d{};
  d.sid = bdf.rid();
  d.pfsid = bdf.rid();  // a physical function is its own PF
  d.pasid = pasid;
  d.addr = addr;
  d.s = s;
  return d.encode();
}

Status IommuDriver::flush_device_tlb(Bdf bdf, std::uint32_t pasid, std::uint64_t iova,
                                     std::uint64_t length) {
  if (params_.bug == "no_device_tlb_invalidation") return Status::success();
  const std::array<std::array<std::uint64_t, 2>, 1> descs{
      device_tlb_descriptor(bdf, pasid, iova, length)};
  return submit_and_wait(descs);
}

std::vector<vtd::FaultRecord> IommuDriver::drain_faults() {
  std::vector<vtd::FaultRecord> out;
  const auto cap = vtd::CapRegister::decode(cap_);
  const std::uint64_t base = static_cast<std::uint64_t>(cap.fro) * 16;
  const unsigned records = cap.nfr + 1u;
  const auto fsts = static_cast<std::uint32_t>(bus_.mmio_read(vtd::kRegFsts, 4));
  if (fsts & vtd::kFstsPpf) {
    unsigned index = vtd::fsts_fri(fsts);
    for (unsigned n = 0; n < records; ++n, index = (index + 1) % records) {
      const std::uint64_t at = base + 16ull * index;
      const auto rec = vtd::FaultRecord::decode({bus_.mmio_read(at, 8), bus_.mmio_read(at + 8, 8)});
      if (!rec.f) break;
      out.push_back(rec);
      bus_.mmio_write(at + 12, 4, 0x80000000u);  // F is RW1C
    }
  }
  bus_.mmio_write(vtd::kRegFsts, 4, vtd::kFstsPfo);
  return out;
}

void IommuDriver::post(const std::array<std::uint64_t, 2>& d) {
  // 256-bit slots: the upper 128 bits are zero for these descriptor types.
  bus_.write64(queue_ + tail_, d[0]);
  bus_.write64(queue_ + tail_ + 8, d[1]);
  bus_.write64(queue_ + tail_ + 16, 0);
  bus_.write64(queue_ + tail_ + 24, 0);
  tail_ = (tail_ + 32) % queue_bytes_;
}

Status IommuDriver::submit_and_wait(std::span<const std::array<std::uint64_t, 2>> descriptors) {
  if (descriptors.size() + 1 >= queue_bytes_ / 32) {
    return Status::error(EINVAL, "too many descriptors for the invalidation queue");
  }
  HostCpu& cpu = cpus_.current();
  const HostCpu::Run run(cpu);
  TracedCall traced;
  if (trace::on(trace::Category::Host)) [[unlikely]]
    traced.begin(cpu, "driver.submit_and_wait", {{"descriptors", descriptors.size()}},
                 "(and one wait descriptor)");
  // Linux qi_submit_sync: the queue lock is held to post and to check the
  // status (and FSTS) each time round, and dropped while the CPU relaxes,
  // so CPUs waiting for their own invalidations queue behind each other's
  // status checks.
  const SpinLock::Guard guard(queue_lock_, cpu);
  const auto posted = post_locked(cpu, descriptors);
  if (!posted.status.ok()) return posted.status;
  // The bug: return as soon as the descriptors are posted; the status write
  // lands whenever the IOMMU gets to it.
  if (params_.bug == "no_wait_after_invalidation") return Status::success();
  const HostCpu::Activity waiting(cpu, CpuWork::InvWait);
  for (;;) {
    if (bus_.read32(posted.status_addr) == posted.token) break;
    if (Status s = check_queue_errors(posted.status_addr, posted.token); !s.ok()) return s;
    if (!HostBus::can_wait()) {
      return Status::error(EAGAIN, "invalidation wait cannot complete outside a simulation thread");
    }
    queue_lock_.unlock();
    sc_core::wait(sc_core::sc_time(params_.poll_interval_ns, sc_core::SC_NS));
    queue_lock_.lock(cpu);
  }
  ++waits_completed_;
  return Status::success();
}

IommuDriver::Posted IommuDriver::post_locked(
    HostCpu& cpu, std::span<const std::array<std::uint64_t, 2>> descriptors) {
  const HostCpu::Activity submitting(cpu, CpuWork::InvSubmit);
  // Room: Linux's reclaim_free_desc frees the slots of every submission
  // whose wait status the IOMMU has written (a cached read), oldest first.
  // A CPU has at most one submission in flight and host.cpus is bounded so
  // that the CPUs' submissions always fit; only a driver that does not
  // wait (host.bug) can fill the queue, and is refused.
  while (!in_queue_.empty() &&
         bus_.read32(in_queue_.front().status_addr) == in_queue_.front().token) {
    used_ -= in_queue_.front().bytes;
    in_queue_.pop_front();
  }
  const std::uint64_t need = (descriptors.size() + 1) * 32;
  if (used_ + need >= queue_bytes_) return {Status::error(EBUSY, "invalidation queue full")};
  // Each wait descriptor has its own status word, by its slot in the
  // queue (Linux's desc_status[wait_index]), so submissions of several
  // CPUs can be in flight at once.
  Posted p;
  p.token = next_status_++;
  p.status_addr = status_addr_ + 4 * (((tail_ + need - 32) % queue_bytes_) / 32);
  const std::uint32_t zero = 0;
  bus_.write(p.status_addr, std::span(reinterpret_cast<const std::uint8_t*>(&zero), 4));
  for (const auto& d : descriptors) post(d);
  vtd::InvWaitDesc wait{};
  wait.sw = true;
  wait.fn = true;
  wait.status_data = p.token;
  wait.status_addr = p.status_addr;
  post(wait.encode());
  HostCpu::spend_ns(costs_.descriptor_write_ns * static_cast<double>(descriptors.size() + 1));
  bus_.mmio_write(vtd::kRegIqt, 8, tail_);
  used_ += need;
  in_queue_.push_back({need, p.status_addr, p.token});
  return p;
}

Status IommuDriver::check_queue_errors(std::uint64_t status_addr, std::uint32_t token) {
  const auto fsts = static_cast<std::uint32_t>(bus_.mmio_read(vtd::kRegFsts, 4));
  if (fsts & vtd::kFstsIqe) {
    // Linux qi_check_fault: the queue stopped at a descriptor it found
    // invalid (IQH points at it). Put a wait descriptor in its place and
    // clear IQE so the queue goes on; this submission failed.
    const std::uint64_t at = bus_.mmio_read(vtd::kRegIqh, 8) & (queue_bytes_ - 1);
    const std::uint64_t bad = bus_.read64(queue_ + at);
    vtd::InvWaitDesc wait{};
    wait.sw = true;
    wait.fn = true;
    wait.status_data = token;
    wait.status_addr = status_addr;
    const auto w = wait.encode();
    bus_.write64(queue_ + at, w[0]);
    bus_.write64(queue_ + at + 8, w[1]);
    bus_.write64(queue_ + at + 16, 0);
    bus_.write64(queue_ + at + 24, 0);
    bus_.mmio_write(vtd::kRegFsts, 4, vtd::kFstsIqe);
    return Status::error(EINVAL, "invalidation queue error (FSTS.IQE): descriptor " + hex(bad) +
                                     " at IQH " + hex(at) + " is invalid");
  }
  if (fsts & vtd::kFstsIte) {
    // VT-d spec 6.5.2.10: the queue stopped after a device-TLB
    // invalidation whose completion never came. Clearing ITE lets it go
    // on; this wait is abandoned (Linux qi_check_fault returns -EAGAIN).
    bus_.mmio_write(vtd::kRegFsts, 4, vtd::kFstsIte);
    return Status::error(EIO, "device-TLB invalidation timed out (FSTS.ITE)");
  }
  return Status::success();
}

}  // namespace iommu_sim
