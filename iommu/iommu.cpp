#include "iommu/iommu.h"

#include "model/trace.h"

#include <cstring>

#include "iommu/formats/vtd_registers.h"

namespace iommu_sim {

namespace vtd = iommu::vtd;
using sc_core::sc_time;

namespace {

// Capability registers (VT-d spec 11.4.2, 11.4.3) describing what this model
// implements; software reads them instead of assuming.
std::uint64_t make_cap(const IommuParams& p, std::uint64_t frcd_offset) {
  vtd::CapRegister c{};
  c.nd = static_cast<std::uint8_t>((p.domain_id_bits - 4) / 2);
  // VT-d spec 11.4.2: SAGAW bit n = AW n supported (1: 39-bit 3-level,
  // 2: 48-bit 4-level, 3: 57-bit 5-level), as far as MGAW reaches.
  c.sagaw = static_cast<std::uint8_t>(0b0010 | (p.address_width >= 48 ? 0b0100 : 0) |
                                      (p.address_width >= 57 ? 0b1000 : 0));
  c.sllps = 0b11;  // 2 MiB and 1 GiB second-level pages
  c.mgaw = static_cast<std::uint8_t>(p.address_width - 1);
  c.fro = static_cast<std::uint16_t>(frcd_offset / 16);
  c.nfr = static_cast<std::uint8_t>(p.fault_records - 1);
  c.psi = true;
  c.mamv = kMaxAddressMask;  // page-selective invalidation up to 1 GiB
  c.fl1gp = true;
  // Invalidations can drain translated DMA reads and writes (DR/DW,
  // VT-d spec 6.5.2.3); Linux qi_flush_iotlb sets them when these are set.
  c.drd = true;
  c.dwd = true;
  c.fl5lp = p.address_width >= 57;
  return c.encode();
}

std::uint64_t make_ecap() {
  vtd::EcapRegister e{};
  e.c = true;  // page walks are coherent with CPU caches
  e.qi = true;
  e.pt = true;
  e.iro = 0x50;  // IOTLB registers at 0x500 (unused: queued invalidation only)
  e.srs = true;
  e.pasid = true;
  e.pss = 19;  // 20-bit PASIDs
  e.smts = true;
  e.flts = true;
  e.slts = true;
  e.nest = true;
  e.slads = true;  // second-level A/D when the PASID entry sets SSADE
  e.dt = true;     // device TLBs (ATS) supported
  return e.encode();
}

constexpr std::uint64_t kFrcdOffset = 0x400;

}  // namespace

Iommu::Iommu(sc_core::sc_module_name name, const IommuParams& params, TimingMode mode,
             std::uint64_t seed, StatsRegistry& stats, const std::string& prefix)
    : sc_module(name),
      upstream("upstream", this),
      dma_out("dma_out"),
      table_mem("table_mem"),
      regs("regs", this),
      ats_invalidation("ats_invalidation"),
      params_(params),
      mode_(mode),
      lookup_latency_(ns(params.lookup_latency_ns)),
      register_latency_(ns(params.register_latency_ns)),
      cap_(make_cap(params, kFrcdOffset)),
      ecap_(make_ecap()),
      table_port_(table_mem, mode),
      translator_(params, table_port_, mode, seed, stats, prefix),
      faults_(params.fault_records, stats, prefix),
      invalidation_(translator_, table_port_, faults_, drain_,
                    params.bug != "wait_completes_before_drain", mode,
                    ns(params.descriptor_latency_ns), stats, prefix),
      frcd_offset_(kFrcdOffset) {
  dma_out.bind(dma_backward_);
  table_mem.bind(table_backward_);
  invalidation_.set_device_tlb_invalidator(
      [this](std::uint16_t sid, const AtsInvalidation& inv, sc_core::sc_time& delay) {
        return invalidate_device_tlb(sid, inv, delay);
      });
  if (mode_ == TimingMode::Timed) {
    sc_core::sc_spawn([this] { invalidation_.run(); }, "invalidation_engine");
  }
  stats.counter(prefix + ".requests", &requests_, "DMA requests received");
  stats.counter(prefix + ".translated", &translated_, "requests translated and forwarded");
  stats.counter(prefix + ".blocked", &faulted_, "requests blocked by a translation fault");
  stats.counter(prefix + ".untranslated", &passthrough_,
                "requests forwarded untranslated because GSTS.TES=0");
  stats.counter(prefix + ".malformed", &malformed_,
                "requests rejected as malformed (no PcieAttrs, or crossing a 4 KiB boundary)");
  stats.counter(prefix + ".ats.translation_requests", &ats_translation_requests_,
                "ATS Translation Requests answered (PCIe Base spec 10.2.2)");
  stats.counter(prefix + ".ats.translated", &ats_translated_,
                "translated requests let through untranslated (context entry DTE=1)");
  stats.counter(prefix + ".ats.blocked", &ats_blocked_,
                "translation or translated requests from devices whose context entry has DTE=0");
  stats.histogram(prefix + ".ats.invalidation_time", &ats_invalidation_time_, "ns",
                  "from sending an ATS Invalidate Request to its completion");
  stats.histogram(prefix + ".translation_latency", &translation_latency_, "ns",
                  "from arrival at the IOMMU to translation done (hit: lookup latency)");
  stats.derived(
      prefix + ".iotlb.hit_rate",
      [this] {
        const double n = translator_.iotlb().hits() + translator_.iotlb().misses();
        return n == 0 ? 0.0 : translator_.iotlb().hits() / n;
      },
      "IOTLB hits / IOTLB lookups");
}

void Iommu::dma_b_transport(tlm::tlm_generic_payload& p, sc_time& delay) {
  ++requests_;
  auto* attrs = p.get_extension<PcieAttrs>();
  const std::uint64_t iova = p.get_address();
  // PCIe Base spec 2.2.7: a request must not cross a 4 KiB boundary.
  if (attrs == nullptr || (iova & 0xfff) + p.get_data_length() > 0x1000) {
    ++malformed_;
    p.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
    if (attrs != nullptr) attrs->completion = CompletionStatus::UnsupportedRequest;
    return;
  }
  if ((gsts_ & vtd::kGstsTes) == 0) {
    // VT-d spec 10.4.5: with translation disabled, DMA is not remapped.
    ++passthrough_;
    dma_out->b_transport(p, delay);
    return;
  }
  if (attrs->at == AddressType::TranslationRequest) {
    translation_request(p, *attrs, delay);
    return;
  }
  if (attrs->at == AddressType::Translated) {
    translated_request(p, *attrs, delay);
    return;
  }
  // The caches are consulted when the lookup completes; Timed mode waits
  // until then so the lookup sees the caches as they are at that instant.
  // Functional mode never waits, so the latency is what the delay grew by;
  // Timed mode reads the clock (no library call on the functional path).
  const bool timed = mode_ == TimingMode::Timed;
  const sc_time arrival = timed ? clock_.now() + delay : delay;
  if (trace::on(trace::Category::Fabric)) [[unlikely]]
    trace_arrival(p, *attrs, delay);
  delay += lookup_latency_;
  sync_to(mode_, delay);

  const TranslationRequest req{
      attrs->requester_id, attrs->pasid_present, attrs->pasid,   iova,
      p.is_write(),        attrs->privileged,    attrs->execute, attrs->trace_id};
  const TranslationResult res = translator_.translate(req, root_table_, delay);
  const sc_time done = timed ? clock_.now() + delay : delay;
  translation_latency_.record((done - arrival).value());
  if (!res.ok) {
    ++faulted_;
    const FaultInfo fault{req.source_id, req.pasid_present, res.pasid,      iova,
                          res.reason,    !req.write,        req.privileged, req.execute};
    const auto logged = faults_.report(fault, res.fault_processing_disabled);
    if (trace::on(trace::Category::Fault)) [[unlikely]]
      trace_fault(fault, logged, delay);
    attrs->completion = CompletionStatus::UnsupportedRequest;
    p.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
    return;
  }
  ++translated_;
  std::uint64_t translated_ps = 0;
  if (observer_ != nullptr) {
    translated_ps = clock_.now().value();
    observer_->translated(req, res);
  }
  if (trace::on(trace::Category::Fabric)) [[unlikely]]
    trace_translated(req, res, delay);
  p.set_address(res.address);
  const sc_time sent = delay;
  dma_out->b_transport(p, delay);
  // The request finishes what memory added after `done`: its write
  // visible, or its read's data back. Invalidations that drain wait until
  // then.
  if (timed) drain_.forwarded(p.is_write(), done + (delay - sent));
  if (observer_ != nullptr) {
    // The oracle checks the request when it finishes, against what the host
    // has been told by then.
    sync_to(mode_, delay);
    observer_->landed(req, res, translated_ps);
  }
  p.set_address(iova);
}

void Iommu::translation_request(tlm::tlm_generic_payload& p, PcieAttrs& attrs, sc_time& delay) {
  ++ats_translation_requests_;
  delay += lookup_latency_;
  sync_to(mode_, delay);
  // The translation is checked for the access the device will make: a read,
  // and a write too unless the request says No Write.
  const TranslationRequest req{attrs.requester_id, attrs.pasid_present, attrs.pasid,
                               p.get_address(),    !attrs.no_write,     attrs.privileged,
                               attrs.execute,      attrs.trace_id};
  const TranslationResult res = translator_.translate(req, root_table_, delay);
  if (trace::on(trace::Category::Ats)) [[unlikely]]
    trace_translation_request(req, res, delay);
  if (!res.device_tlb) {
    // VT-d spec 4.2.3: a device whose context entry has DTE=0 (or none) may
    // not ask.
    ++ats_blocked_;
    attrs.completion = CompletionStatus::UnsupportedRequest;
    p.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
    return;
  }
  // A translation that fails is no fault: the completion says R=W=0 and the
  // device decides what to do (VT-d spec 4.2.3). A successful one covers
  // the page the IOMMU's translation covers (PCIe Base spec 10.2.3: S=1
  // with the size encoded in the address for more than 4 KiB).
  const std::uint8_t shift = res.ok ? res.page_shift : 12;
  attrs.translation = res.address & ~((1ull << shift) - 1);
  attrs.translation_shift = shift;
  attrs.translation_read = res.ok;
  attrs.translation_write = res.ok && !attrs.no_write;
  p.set_response_status(tlm::TLM_OK_RESPONSE);
}

void Iommu::translated_request(tlm::tlm_generic_payload& p, PcieAttrs& attrs, sc_time& delay) {
  delay += lookup_latency_;
  sync_to(mode_, delay);
  if (!translator_.device_tlb_enabled(attrs.requester_id, root_table_, delay)) {
    // VT-d spec 4.2.4: translated requests need DTE=1; otherwise blocked.
    ++ats_blocked_;
    ++faulted_;
    faults_.report(
        FaultInfo{attrs.requester_id, attrs.pasid_present, attrs.pasid, p.get_address(),
                  vtd::FaultReason::kSmDteClear, !p.is_write(), attrs.privileged, attrs.execute},
        false);
    attrs.completion = CompletionStatus::UnsupportedRequest;
    p.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
    return;
  }
  ++ats_translated_;
  if (trace::on(trace::Category::Ats)) [[unlikely]]
    trace_translated_request(p, attrs, delay);
  dma_out->b_transport(p, delay);
}

bool Iommu::invalidate_device_tlb(std::uint16_t sid, const AtsInvalidation& inv, sc_time& delay) {
  const auto port = device_tlbs_.find(sid);
  if (port == device_tlbs_.end()) return false;  // nobody answers
  const sc_time message(params_.device_tlb_message_latency_ns, sc_core::SC_NS);
  tlm::tlm_generic_payload p;
  AtsInvalidation request = inv;
  p.set_extension(&request);
  p.set_command(tlm::TLM_IGNORE_COMMAND);
  p.set_address(inv.base);
  p.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  // The request leaves at now + delay. The device may wait (Timed mode) for
  // its DMAs before answering, so the round trip is measured on the clock.
  const sc_time leaves = sc_core::sc_time_stamp() + delay;
  sc_time annotated = delay + message;
  ats_invalidation[port->second]->b_transport(p, annotated);
  p.clear_extension(&request);
  annotated += message;  // the completion back
  const sc_time arrives = sc_core::sc_time_stamp() + annotated;
  const sc_time took = arrives - leaves;
  ats_invalidation_time_.record(took.value());
  const sc_time timeout(params_.device_tlb_timeout_ns, sc_core::SC_NS);
  // Past the time-out the IOMMU has given up (VT-d spec 6.5.2.10).
  const sc_time until = took <= timeout ? arrives : leaves + timeout;
  delay =
      until > sc_core::sc_time_stamp() ? until - sc_core::sc_time_stamp() : sc_core::SC_ZERO_TIME;
  const bool answered = took <= timeout && p.is_response_ok();
  if (trace::on(trace::Category::Ats)) [[unlikely]] {
    trace_device_tlb_invalidation(sid, inv, answered, leaves, until);
  }
  return answered;
}

std::uint64_t Iommu::read_register64(std::uint64_t offset) {
  if (offset >= frcd_offset_ && offset < frcd_offset_ + 16ull * faults_.size()) {
    const auto rel = offset - frcd_offset_;
    return faults_.record_qword(static_cast<unsigned>(rel / 16),
                                static_cast<unsigned>(rel % 16 / 8));
  }
  switch (offset) {
    case vtd::kRegVer:
      return 0x30;  // version 3.0: the first with scalable mode
    case vtd::kRegCap:
      return cap_;
    case vtd::kRegEcap:
      return ecap_;
    case vtd::kRegGcmd:
      return static_cast<std::uint64_t>(gsts_) << 32;  // GCMD reads 0; GSTS above it
    case vtd::kRegRtaddr:
      return rtaddr_;
    case vtd::kRegFsts & ~7ull:
      return static_cast<std::uint64_t>(faults_.fsts()) << 32;
    case vtd::kRegIqh:
      return invalidation_.head();
    case vtd::kRegIqt:
      return invalidation_.tail();
    case vtd::kRegIqa:
      return invalidation_.queue_address();
    case vtd::kRegIcs & ~7ull:
      return static_cast<std::uint64_t>(invalidation_.ics()) << 32;
    default:
      return 0;
  }
}

void Iommu::write_register64(std::uint64_t offset, std::uint64_t value, std::uint64_t mask) {
  if (offset >= frcd_offset_ && offset < frcd_offset_ + 16ull * faults_.size()) {
    const auto rel = offset - frcd_offset_;
    if (rel % 16 == 8) faults_.write_record_high(static_cast<unsigned>(rel / 16), value & mask);
    return;
  }
  switch (offset) {
    case vtd::kRegGcmd:
      if (mask & 0xffffffffull) write_gcmd(static_cast<std::uint32_t>(value));
      return;
    case vtd::kRegRtaddr:
      rtaddr_ = (rtaddr_ & ~mask) | (value & mask);
      return;
    case vtd::kRegFsts & ~7ull:
      if (mask >> 32) {
        // IQE and ITE stop the queue; clearing them lets it go on.
        constexpr std::uint32_t kStops = vtd::kFstsIqe | vtd::kFstsIte;
        const bool stopped = faults_.fsts() & kStops;
        faults_.write_fsts(static_cast<std::uint32_t>(value >> 32));
        if (stopped && !(faults_.fsts() & kStops)) invalidation_.resume();
      }
      return;
    case vtd::kRegIqt:
      invalidation_.set_tail((invalidation_.tail() & ~mask) | (value & mask));
      return;
    case vtd::kRegIqa:
      invalidation_.set_queue_address((invalidation_.queue_address() & ~mask) | (value & mask));
      return;
    case vtd::kRegIcs & ~7ull:
      if (mask >> 32) invalidation_.write_ics(static_cast<std::uint32_t>(value >> 32));
      return;
    default:
      return;  // read-only or unimplemented: writes are ignored, as in hardware
  }
}

void Iommu::write_gcmd(std::uint32_t value) {
  // VT-d spec 11.4.4: SRTP latches RTADDR (one-shot, reported in GSTS.RTPS);
  // TE and QIE are level commands mirrored in GSTS.
  if (value & vtd::kGcmdSrtp) {
    root_table_ = rtaddr_;
    gsts_ |= vtd::kGstsRtps;
  }
  if (value & vtd::kGcmdTe) {
    gsts_ |= vtd::kGstsTes;
  } else {
    gsts_ &= ~vtd::kGstsTes;
  }
  const bool qie = value & vtd::kGcmdQie;
  invalidation_.enable(qie);
  if (qie) {
    gsts_ |= vtd::kGstsQies;
  } else {
    gsts_ &= ~vtd::kGstsQies;
  }
}

std::uint64_t Iommu::read_register(std::uint64_t offset, unsigned size) {
  const std::uint64_t v = read_register64(offset & ~7ull);
  const unsigned shift = static_cast<unsigned>(offset & 7) * 8;
  return size == 8 ? v : (v >> shift) & 0xffffffffull;
}

void Iommu::write_register(std::uint64_t offset, unsigned size, std::uint64_t value) {
  const unsigned shift = static_cast<unsigned>(offset & 7) * 8;
  const std::uint64_t mask = size == 8 ? ~0ull : 0xffffffffull << shift;
  write_register64(offset & ~7ull, size == 8 ? value : value << shift, mask);
}

bool Iommu::regs_access(tlm::tlm_generic_payload& p) {
  const unsigned len = p.get_data_length();
  const std::uint64_t off = p.get_address();
  if ((len != 4 && len != 8) || off % len != 0 || off >= 0x1000) {
    p.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return false;
  }
  if (p.is_read()) {
    const std::uint64_t v = read_register(off, len);
    std::memcpy(p.get_data_ptr(), &v, len);
  } else {
    std::uint64_t v = 0;
    std::memcpy(&v, p.get_data_ptr(), len);
    write_register(off, len, v);
  }
  p.set_response_status(tlm::TLM_OK_RESPONSE);
  return true;
}

void Iommu::regs_b_transport(tlm::tlm_generic_payload& p, sc_time& delay) {
  delay += register_latency_;
  regs_access(p);
}

unsigned Iommu::regs_transport_dbg(tlm::tlm_generic_payload& p) {
  return regs_access(p) ? p.get_data_length() : 0;
}

}  // namespace iommu_sim
