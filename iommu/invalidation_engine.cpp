#include "iommu/invalidation_engine.h"

#include "model/trace.h"

#include "iommu/formats/vtd_invalidation.h"
#include "iommu/formats/vtd_registers.h"

namespace iommu_sim {

namespace vtd = iommu::vtd;

namespace {

// The domain whose cached entries alone a descriptor invalidates, or none
// when it reaches beyond one (global, context-cache, device-TLB and IEC
// descriptors): domain- and page-selective IOTLB, PASID-based IOTLB, and
// domain- and PASID-selective PASID-cache invalidations (VT-d spec 6.5.2).
std::optional<std::uint16_t> domain_of(std::uint64_t qw0, std::uint64_t qw1) {
  switch (vtd::descriptor_type(qw0)) {
    case vtd::kDescIotlb: {
      const auto d = vtd::IotlbInvDesc::decode({qw0, qw1});
      if (d.granularity == vtd::IotlbGranularity::Global) return std::nullopt;
      return d.did;
    }
    case vtd::kDescPasidIotlb:
      return vtd::PasidIotlbInvDesc::decode({qw0, qw1}).did;
    case vtd::kDescPasidCache: {
      const auto d = vtd::PasidCacheInvDesc::decode({qw0, qw1});
      if (d.granularity == vtd::PasidCacheGranularity::Global) return std::nullopt;
      return d.did;
    }
    default:
      return std::nullopt;
  }
}

}  // namespace

InvalidationEngine::InvalidationEngine(Translator& translator, TablePort& port, FaultLog& faults,
                                       const DmaDrain& drain, bool drains, TimingMode mode,
                                       sc_core::sc_time descriptor_latency, StatsRegistry& stats,
                                       const std::string& prefix)
    : translator_(translator),
      port_(port),
      faults_(faults),
      drain_(drain),
      drains_(drains),
      mode_(mode),
      descriptor_latency_(descriptor_latency) {
  stats.counter(prefix + ".qi.descriptors", &executed_, "invalidation descriptors executed");
  stats.counter(prefix + ".qi.waits", &waits_, "invalidation wait descriptors completed");
  stats.counter(prefix + ".qi.errors", &errors_,
                "invalid descriptors that stopped the queue (FSTS.IQE)");
  stats.counter(prefix + ".qi.context_cache", &by_type_[vtd::kDescContextCache],
                "context-cache invalidation descriptors");
  stats.counter(prefix + ".qi.iotlb", &by_type_[vtd::kDescIotlb], "IOTLB invalidation descriptors");
  stats.counter(prefix + ".qi.pasid_iotlb", &by_type_[vtd::kDescPasidIotlb],
                "PASID-based IOTLB invalidation descriptors");
  stats.counter(prefix + ".qi.pasid_cache", &by_type_[vtd::kDescPasidCache],
                "PASID-cache invalidation descriptors");
  stats.counter(prefix + ".qi.device_tlb", &by_type_[vtd::kDescDeviceTlb],
                "device-TLB invalidation descriptors");
  stats.counter(prefix + ".qi.pasid_device_tlb", &by_type_[vtd::kDescPasidDeviceTlb],
                "PASID-based device-TLB invalidation descriptors");
  stats.histogram(prefix + ".qi.drain_time", &drain_time_, "ns",
                  "how long a draining IOTLB invalidation waited for DMAs translated before it "
                  "to finish (Timed mode)");
  stats.counter(prefix + ".qi.device_tlb_timeouts", &timeouts_,
                "device-TLB invalidations whose completion did not come in time (FSTS.ITE)");
}

void InvalidationEngine::enable(bool on) {
  // VT-d spec 10.4.23: enabling queued invalidation resets IQH to 0.
  const bool enabling = on && !enabled_;
  if (enabling) head_ = 0;
  enabled_ = on;
  // Software is to set IQT to 0 before it enables the queue (Linux
  // __dmar_enable_qi does). Descriptors already posted below a tail left
  // behind are fetched at once, as QEMU's vtd_handle_gcmd_qie does for the
  // guests that set the queue up that way, rather than sitting in the
  // queue, unfetched and with no error, until software next moves IQT.
  if (enabling && tail_ != head_) resume();
}

void InvalidationEngine::set_tail(std::uint64_t iqt) {
  tail_ = iqt & 0x7fff0;  // IQT.QT, bits 18:4
  if (trace::on(trace::Category::Qi)) [[unlikely]]
    trace_queue_depth(sc_core::SC_ZERO_TIME);
  if (mode_ == TimingMode::Functional) {
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    drain(delay);
  } else {
    tail_written_.notify(sc_core::SC_ZERO_TIME);
  }
}

void InvalidationEngine::resume() {
  if (mode_ == TimingMode::Functional) {
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    drain(delay);
  } else {
    tail_written_.notify(sc_core::SC_ZERO_TIME);
  }
}

void InvalidationEngine::run() {
  for (;;) {
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    drain(delay);
    sc_core::wait(tail_written_);
  }
}

void InvalidationEngine::drain(sc_core::sc_time& delay) {
  // VT-d spec 6.5.2.10: IQE and ITE stop the queue until software clears them.
  while (enabled_ && head_ != tail_ && (faults_.fsts() & (vtd::kFstsIqe | vtd::kFstsIte)) == 0) {
    const std::uint64_t base = iqa_ & ~0xfffull;
    std::array<std::uint64_t, 4> raw{};
    const auto bytes = descriptor_bytes();
    // A tail software moved past the end of the queue, or between two
    // 256-bit descriptors, is an invalidation queue error (VT-d spec
    // 10.4.22, IQT; QEMU vtd_fetch_inv_desc): nothing is fetched. So is a
    // head in such a place, where software rewriting IQA with the queue
    // enabled (setting DW, shrinking QS) leaves it: fetching from there, it
    // might never meet the tail.
    if (tail_ >= queue_bytes() || tail_ % bytes != 0 || head_ >= queue_bytes() ||
        head_ % bytes != 0) {
      ++errors_;
      faults_.set_fsts_bits(vtd::kFstsIqe);
      return;
    }
    // The descriptor's slice on a timeline starts with its fetch (only
    // traces read it: untraced, no clock is read).
    sc_core::sc_time fetched;
    if (trace::on(trace::Category::Qi)) [[unlikely]]
      fetched = sc_core::sc_time_stamp() + delay;
    bool ok = port_.read(base + head_,
                         std::span(reinterpret_cast<std::uint8_t*>(raw.data()), bytes), delay);
    delay += descriptor_latency_;
    sync_to(mode_, delay);
    const Outcome outcome = ok ? execute(raw[0], raw[1], fetched, delay) : Outcome::Invalid;
    if (outcome == Outcome::Invalid) {
      ++errors_;
      faults_.set_fsts_bits(vtd::kFstsIqe);
      return;  // IQH stays at the bad descriptor
    }
    if (outcome == Outcome::Halted) return;  // IQH stays at the wait
    if (vtd::descriptor_type(raw[0]) != vtd::kDescWait) {
      translator_.note_invalidation(domain_of(raw[0], raw[1]));
    }
    if (outcome == Outcome::TimedOut) {
      // The request went out; its completion did not come back. The queue
      // stops after it, and the waits behind it do not complete.
      ++timeouts_;
      ++executed_;
      head_ = (head_ + bytes) % queue_bytes();
      if (trace::on(trace::Category::Qi)) [[unlikely]]
        trace_queue_depth(delay);
      faults_.set_fsts_bits(vtd::kFstsIte);
      return;
    }
    ++executed_;
    head_ = (head_ + bytes) % queue_bytes();
    if (trace::on(trace::Category::Qi)) [[unlikely]]
      trace_queue_depth(delay);
  }
}

// One handler per descriptor type, as QEMU's vtd_process_*_desc: the
// dispatcher counts and traces, the handler does what the type says.
InvalidationEngine::Outcome InvalidationEngine::execute(std::uint64_t qw0, std::uint64_t qw1,
                                                        const sc_core::sc_time& fetched,
                                                        sc_core::sc_time& delay) {
  const unsigned type = vtd::descriptor_type(qw0);
  if (type < 16) ++by_type_[type];
  Outcome outcome = Outcome::Invalid;
  switch (type) {
    case vtd::kDescContextCache:
      outcome = process_context_cache(vtd::ContextCacheInvDesc::decode({qw0, qw1}));
      break;
    case vtd::kDescPasidCache:
      outcome = process_pasid_cache(vtd::PasidCacheInvDesc::decode({qw0, qw1}));
      break;
    case vtd::kDescIotlb:
      outcome = process_iotlb(vtd::IotlbInvDesc::decode({qw0, qw1}), delay);
      break;
    case vtd::kDescPasidIotlb:
      outcome = process_pasid_iotlb(vtd::PasidIotlbInvDesc::decode({qw0, qw1}), delay);
      break;
    case vtd::kDescWait:
      outcome = process_wait(vtd::InvWaitDesc::decode({qw0, qw1}), delay);
      break;
    case vtd::kDescDeviceTlb:
      outcome = process_device_tlb(vtd::DeviceTlbInvDesc::decode({qw0, qw1}), delay);
      break;
    case vtd::kDescPasidDeviceTlb:
      outcome = process_pasid_device_tlb(vtd::PasidDeviceTlbInvDesc::decode({qw0, qw1}), delay);
      break;
    case vtd::kDescIec:
      // No interrupt-remapping cache in this model: valid, completes at once.
      outcome = Outcome::Done;
      break;
    default:
      break;
  }
  if (trace::on(trace::Category::Qi)) [[unlikely]]
    trace_descriptor(qw0, qw1, outcome, fetched, delay);
  if (trace::on(trace::Category::Iotlb)) [[unlikely]]
    trace_iotlb_occupancy(type, delay);
  return outcome;
}

InvalidationEngine::Outcome InvalidationEngine::process_context_cache(
    const vtd::ContextCacheInvDesc& d) {
  auto& cc = translator_.context_cache();
  if (d.granularity == vtd::ContextCacheGranularity::Device) {
    // Function mask FM (VT-d spec 6.5.2.1): 0 masks nothing, 1 the most
    // significant function-number bit, 2 the two most, 3 all three.
    static constexpr std::uint16_t kIgnored[4] = {0x0, 0x4, 0x6, 0x7};
    const auto mask = static_cast<std::uint16_t>(~kIgnored[d.fm & 3]);
    cc.invalidate_if(
        [&](std::uint16_t sid, const ContextInfo&) { return (sid & mask) == (d.sid & mask); });
  } else {
    // Scalable-mode context entries carry no domain ID: domain-selective
    // invalidation is performed as global (VT-d spec 6.5.2.1).
    cc.invalidate_if([](std::uint16_t, const ContextInfo&) { return true; });
  }
  return Outcome::Done;
}

InvalidationEngine::Outcome InvalidationEngine::process_pasid_cache(
    const vtd::PasidCacheInvDesc& d) {
  auto& pc = translator_.pasid_cache();
  switch (d.granularity) {
    case vtd::PasidCacheGranularity::Domain:
      pc.invalidate_if([&](const PasidKey&, const PasidInfo& v) { return v.did == d.did; });
      return Outcome::Done;
    case vtd::PasidCacheGranularity::Pasid:
      pc.invalidate_if([&](const PasidKey& k, const PasidInfo& v) {
        return v.did == d.did && k.pasid == d.pasid;
      });
      return Outcome::Done;
    case vtd::PasidCacheGranularity::Global:
      pc.invalidate_if([](const PasidKey&, const PasidInfo&) { return true; });
      return Outcome::Done;
    default:
      return Outcome::Invalid;
  }
}

InvalidationEngine::Outcome InvalidationEngine::process_iotlb(const vtd::IotlbInvDesc& d,
                                                              sc_core::sc_time& delay) {
  auto& tlb = translator_.iotlb();
  auto& fl_psc = translator_.fl_psc();
  auto& sl_psc = translator_.sl_psc();
  // VT-d spec 6.5.2.3: the IOTLB descriptor covers second-level and
  // nested translations and the paging-structure caches behind them.
  // First-level caches of a nested domain hold host-physical table
  // addresses the second level produced, so they go with the domain.
  switch (d.granularity) {
    case vtd::IotlbGranularity::Global:
      tlb.invalidate_all();
      fl_psc.invalidate_all();
      sl_psc.invalidate_all();
      break;
    case vtd::IotlbGranularity::Domain:
      tlb.invalidate_domain(d.did);
      fl_psc.invalidate_domain(d.did);
      sl_psc.invalidate_domain(d.did);
      break;
    case vtd::IotlbGranularity::Page:
      if (d.am > kMaxAddressMask) return Outcome::Invalid;
      tlb.invalidate_range(d.did, std::nullopt, d.addr, d.am);
      // IH=1: only leaf entries changed; the paging-structure caches stay.
      if (!d.ih) {
        sl_psc.invalidate_range(d.did, std::nullopt, d.addr, d.am);
        fl_psc.invalidate_domain(d.did);
      }
      break;
    default:
      return Outcome::Invalid;
  }
  // DR/DW take effect because CAP.DRD and CAP.DWD are set.
  if (d.dr || d.dw) hold_for_drain(d.dr, d.dw, delay);
  return Outcome::Done;
}

InvalidationEngine::Outcome InvalidationEngine::process_pasid_iotlb(const vtd::PasidIotlbInvDesc& d,
                                                                    sc_core::sc_time& delay) {
  auto& tlb = translator_.iotlb();
  auto& fl_psc = translator_.fl_psc();
  // VT-d spec 6.5.2.4: first-level and nested translations of the PASID,
  // and its first-level paging-structure caches (all of them for the
  // PASID-selective form, those covering the range unless IH=1 for the
  // page-selective one).
  switch (d.granularity) {
    case vtd::PasidIotlbGranularity::Pasid:
      tlb.invalidate_pasid(d.did, d.pasid);
      fl_psc.invalidate_pasid(d.did, d.pasid);
      break;
    case vtd::PasidIotlbGranularity::Page:
      if (d.am > kMaxAddressMask) return Outcome::Invalid;
      tlb.invalidate_range(d.did, d.pasid, d.addr, d.am);
      if (!d.ih) fl_psc.invalidate_range(d.did, d.pasid, d.addr, d.am);
      break;
    default:
      return Outcome::Invalid;
  }
  // The descriptor has no DR/DW fields; this model drains reads and writes
  // for it, as an implementation that always drains may (decision in
  // docs/oracles.md, "Draining").
  hold_for_drain(true, true, delay);
  return Outcome::Done;
}

InvalidationEngine::Outcome InvalidationEngine::process_wait(const vtd::InvWaitDesc& d,
                                                             sc_core::sc_time& delay) {
  // Every earlier descriptor has completed once the device-TLB
  // invalidations still out have been answered; one that timed out set
  // FSTS.ITE and the queue halts here (VT-d spec 6.5.2.10).
  while (device_tlb_outstanding_ != 0) sc_core::wait(device_tlb_answered_);
  if (faults_.fsts() & vtd::kFstsIte) return Outcome::Halted;
  if (d.sw) {
    const std::uint32_t data = d.status_data;
    if (!port_.write(d.status_addr,
                     std::span(reinterpret_cast<const std::uint8_t*>(&data), sizeof data), delay)) {
      return Outcome::Invalid;
    }
  }
  if (d.iflag) ics_ |= vtd::kIcsIwc;
  ++waits_;
  return Outcome::Done;
}

InvalidationEngine::Outcome InvalidationEngine::process_device_tlb(const vtd::DeviceTlbInvDesc& d,
                                                                   sc_core::sc_time& delay) {
  // VT-d spec 6.5.2.5: the device's translations of requests without
  // PASID, in the range ADDR and S encode.
  const auto range = vtd::ats_range_decode(d.addr, d.s);
  AtsInvalidation inv;
  inv.base = range.base;
  inv.size = range.size;
  return invalidate_device_tlb(d.sid, inv, delay);
}

InvalidationEngine::Outcome InvalidationEngine::process_pasid_device_tlb(
    const vtd::PasidDeviceTlbInvDesc& d, sc_core::sc_time& delay) {
  // VT-d spec 6.5.2.6: one PASID's (or with G every PASID's) translations.
  const auto range = vtd::ats_range_decode(d.addr, d.s);
  AtsInvalidation inv;
  inv.all_pasids = d.g;
  inv.pasid_present = true;
  inv.pasid = d.pasid;
  inv.base = range.base;
  inv.size = range.size;
  return invalidate_device_tlb(d.sid, inv, delay);
}

void InvalidationEngine::hold_for_drain(bool reads, bool writes, sc_core::sc_time& delay) {
  // Functional mode keeps no order between DMAs and invalidations.
  if (mode_ != TimingMode::Timed || !drains_) return;
  const sc_core::sc_time now = sc_core::sc_time_stamp() + delay;
  const sc_core::sc_time done = drain_.done(reads, writes);
  const sc_core::sc_time held = done > now ? done - now : sc_core::SC_ZERO_TIME;
  drain_time_.record(held.value());
  delay += held;
}

InvalidationEngine::Outcome InvalidationEngine::invalidate_device_tlb(std::uint16_t sid,
                                                                      const AtsInvalidation& inv,
                                                                      sc_core::sc_time& delay) {
  if (mode_ == TimingMode::Timed) {
    // The request goes out and the engine moves on; the answer (or the
    // time-out) comes back in a process of its own.
    ++device_tlb_outstanding_;
    device_tlb_answers_.run([this, sid, inv, sent = delay] {
      sc_core::sc_time until = sent;
      const bool answered = device_tlb_ && device_tlb_(sid, inv, until);
      sc_core::wait(until);
      if (!answered) {
        ++timeouts_;
        faults_.set_fsts_bits(vtd::kFstsIte);
      }
      --device_tlb_outstanding_;
      device_tlb_answered_.notify(sc_core::SC_ZERO_TIME);
    });
    return Outcome::Done;
  }
  // A device the IOMMU cannot reach (no ATS) never completes: time-out.
  if (!device_tlb_ || !device_tlb_(sid, inv, delay)) return Outcome::TimedOut;
  return Outcome::Done;
}

}  // namespace iommu_sim
