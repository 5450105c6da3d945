#include "pcie/endpoint.h"

#include <algorithm>

#include "model/trace.h"
#include "pcie/tlp_wire.h"

namespace iommu_sim {

Endpoint::Endpoint(sc_core::sc_module_name name, const std::string& function, Bdf bdf,
                   Bdf requester_id, const AtsParams& ats, std::uint32_t tags, std::uint32_t mrrs,
                   sc_core::sc_time dma_latency, TimingMode mode, std::uint64_t seed,
                   StatsRegistry& stats)
    : sc_module(name),
      dma_in("dma_in", this),
      link("link"),
      ats_invalidation("ats_invalidation"),
      function_(function),
      bdf_(bdf),
      requester_id_(requester_id),
      mrrs_(mrrs),
      tags_(tags),
      dma_latency_(dma_latency),
      ats_(ats.enabled),
      invalidation_latency_(sc_core::sc_time(ats.invalidation_latency_ns, sc_core::SC_NS)),
      mode_(mode),
      atc_(ats.atc, stats, "pcie." + function + ".atc", seed),
      waits_for_dmas_(ats.bug != "invalidation_completes_before_dmas"),
      dma_done_("dma_done") {
  free_tags_.set_capacity(tags);
  free_tags_.assign(tags, 0);  // all free from time 0
  ats_invalidation.register_b_transport(this, &Endpoint::invalidate);
  const std::string prefix = "pcie." + function;
  stats.counter(prefix + ".requests", &requests_, "DMA requests this function sent upstream");
  stats.counter(prefix + ".tag_waits", &tag_waits_,
                "read or translation requests that found every tag taken and waited for one "
                "(Timed mode; pcie.endpoints[].tags)");
  stats.counter(prefix + ".unsupported_request", &unsupported_,
                "requests answered with Unsupported Request (blocked by the IOMMU)");
  stats.counter(prefix + ".ats.translation_requests", &translation_requests_,
                "ATS Translation Requests sent (ATC misses; pcie.endpoints[].ats)");
  stats.counter(prefix + ".ats.translation_failures", &translation_failures_,
                "Translation Completions without the access asked for (R/W=0): the DMA "
                "is not sent");
  stats.counter(prefix + ".ats.invalidate_requests", &invalidate_requests_,
                "ATS Invalidate Requests received from the IOMMU");
}

void Endpoint::b_transport(tlm::tlm_generic_payload& p, sc_core::sc_time& delay) {
  auto* attrs = p.get_extension<PcieAttrs>();
  if (attrs == nullptr) {
    // A workload bug, not a model state: refuse the request visibly.
    p.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
    return;
  }
  if (issue_observer_ != nullptr) note_issue(p, *attrs, delay);
  attrs->requester_id = requester_id_.rid();
  attrs->completion = CompletionStatus::Success;
  // Tracing costs one test here and one at the end; an untraced DMA leaves
  // trace_id as it was (only traced events read it).
  const bool traced = trace::on(trace::Category::Fabric);
  if (traced) [[unlikely]]
    trace_issue(p, *attrs, delay);
  ++requests_;
  delay += dma_latency_;
  if (ats_ && attrs->at == AddressType::Untranslated) {
    send_translated(p, *attrs, delay);
  } else {
    send_tagged(p, delay);
  }
  if (attrs->completion == CompletionStatus::UnsupportedRequest) ++unsupported_;
  if (traced) [[unlikely]]
    trace_complete(p, *attrs, delay);
}

void Endpoint::note_issue(const tlm::tlm_generic_payload& p, const PcieAttrs& attrs,
                          const sc_core::sc_time& delay) {
  issue_observer_->issued(issue_index_,
                          {(clock_.now() + delay).value(), p.get_address(), p.get_data_length(),
                           attrs.pasid_present, attrs.pasid, p.is_write()});
}

std::uint32_t Endpoint::tags_for(const tlm::tlm_generic_payload& p) const {
  return p.is_read() ? pcie_wire::read_requests(p.get_address(), p.get_data_length(), mrrs_) : 0;
}

std::uint64_t Endpoint::take_tag(std::uint64_t arrival) {
  // Tags come back in the order their requests returned, which is nearly
  // the order they are free again: the oldest is almost always free by
  // `arrival`, and then any free tag will do. Otherwise the one free
  // soonest is searched for.
  std::uint64_t free_at = free_tags_.front();
  if (free_at <= arrival) {
    free_tags_.pop_front();
    return free_at;
  }
  const auto soonest = std::min_element(free_tags_.begin(), free_tags_.end());
  free_at = *soonest;
  free_tags_.erase(soonest);
  return free_at;
}

void Endpoint::send_with_tags(tlm::tlm_generic_payload& p, std::uint32_t n,
                              sc_core::sc_time& delay) {
  // A read longer than all the tags allow goes out with all of them.
  n = std::min(n, tags_);
  bool waited = free_tags_.size() < n;
  while (free_tags_.size() < n) {
    // The tags are out on requests still in flight: wait for them back.
    sync_to(mode_, delay);
    ++tag_waiters_;
    sc_core::wait(tag_returned_);
    --tag_waiters_;
  }
  // Times as picosecond counts: this runs once per read.
  const std::uint64_t now = clock_.now().value();
  const std::uint64_t arrival = now + delay.value();
  std::uint64_t start = arrival;
  for (std::uint32_t i = 0; i < n; ++i) start = std::max(start, take_tag(arrival));
  if (start > arrival) {
    waited = true;
    delay += sc_core::sc_time::from_value(start - arrival);
  }
  if (waited) ++tag_waits_;
  link->b_transport(p, delay);
  const std::uint64_t back = clock_.now().value() + delay.value();
  for (std::uint32_t i = 0; i < n; ++i) free_tags_.push_back(back);
  // A notification costs the kernel a delta cycle: only when someone waits.
  if (tag_waiters_ > 0) tag_returned_.notify(sc_core::SC_ZERO_TIME);
}

const Endpoint::AtcEntry* Endpoint::atc_lookup(bool pasid_present, std::uint32_t pasid,
                                               std::uint64_t iova) {
  for (const unsigned shift : {12u, 21u, 30u}) {
    if ((atc_shifts_ & (1u << shift)) == 0) continue;
    const AtcKey key{pasid_present, pasid, iova >> shift, static_cast<std::uint8_t>(shift)};
    if (const AtcEntry* e = atc_.probe(key, atc_index(key))) {
      atc_.count_lookup(true);
      return e;
    }
  }
  atc_.count_lookup(false);
  return nullptr;
}

void Endpoint::send_translated(tlm::tlm_generic_payload& p, PcieAttrs& attrs,
                               sc_core::sc_time& delay) {
  const std::uint64_t iova = p.get_address();
  const bool write = p.is_write();
  const AtcEntry* entry = atc_lookup(attrs.pasid_present, attrs.pasid, iova);
  if (trace::on(trace::Category::Ats)) [[unlikely]]
    trace_atc(p, attrs, entry, false, delay);
  AtcEntry fetched;
  // PCIe Base spec 10.3.1: a translation that was being asked for when an
  // Invalidate Request arrived may be stale; it is not used, the function
  // asks again.
  for (std::uint64_t asked = ~0ull;
       (entry == nullptr || !(write ? entry->write : entry->read)) && asked != invalidations_;) {
    asked = invalidations_;
    // Translation Request (PCIe Base spec 10.2.2): a read of the page's
    // translation, No Write set unless the DMA writes.
    ++translation_requests_;
    PcieAttrs request = attrs;
    request.at = AddressType::TranslationRequest;
    request.no_write = !write;
    std::uint64_t completion_data = 0;
    tlm::tlm_generic_payload tr;
    tr.set_extension(&request);
    tr.set_command(tlm::TLM_READ_COMMAND);
    tr.set_address(iova & ~0xfffull);
    tr.set_data_ptr(reinterpret_cast<unsigned char*>(&completion_data));
    tr.set_data_length(8);
    tr.set_streaming_width(8);
    tr.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    send_tagged(tr, delay);  // an 8-byte read: one tag
    tr.clear_extension(&request);
    if (request.completion != CompletionStatus::Success ||
        !(write ? request.translation_write : request.translation_read)) {
      // No translation for the access: the function does not send the DMA.
      ++translation_failures_;
      attrs.completion = request.completion == CompletionStatus::Success
                             ? CompletionStatus::UnsupportedRequest
                             : request.completion;
      p.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
      return;
    }
    fetched.page = request.translation;
    fetched.shift = request.translation_shift;
    fetched.read = request.translation_read;
    fetched.write = request.translation_write;
    fetched.filled_ps = sc_core::sc_time_stamp().value();
    if (asked != invalidations_) continue;  // an invalidation overtook it
    const AtcKey key{attrs.pasid_present, attrs.pasid, iova >> fetched.shift, fetched.shift};
    atc_.insert(key, fetched, atc_index(key));
    atc_shifts_ |= 1u << fetched.shift;
    entry = &fetched;
    if (trace::on(trace::Category::Ats)) [[unlikely]]
      trace_atc(p, attrs, entry, true, delay);
  }
  const std::uint64_t translated = entry->page | (iova & ((1ull << entry->shift) - 1));
  TranslationRequest req{requester_id_.rid(), attrs.pasid_present, attrs.pasid,   iova, write,
                         attrs.privileged,    attrs.execute,       attrs.trace_id};
  TranslationResult res;
  std::uint64_t sent_ps = 0;
  if (observer_ != nullptr) {
    res.ok = true;
    res.address = translated;
    // Without a PASID the IOMMU used the context entry's RID_PASID; the
    // host sets it to 0 (Linux IOMMU_NO_PASID).
    res.pasid = attrs.pasid_present ? attrs.pasid : 0;
    res.source = TranslationSource::DeviceTlb;
    res.filled_ps = entry->filled_ps;
    sent_ps = clock_.now().value();
    observer_->translated(req, res);
  }
  attrs.at = AddressType::Translated;
  p.set_address(translated);
  const std::uint64_t dma = next_dma_++;
  in_flight_.insert(dma);
  send_tagged(p, delay);
  if (mode_ == TimingMode::Timed) {
    dmas_done_ = std::max(dmas_done_, clock_.now() + delay);
  }
  in_flight_.erase(dma);
  dma_done_.notify(sc_core::SC_ZERO_TIME);
  if (observer_ != nullptr) {
    sync_to(mode_, delay);  // checked when it finishes
    observer_->landed(req, res, sent_ps);
  }
  p.set_address(iova);
  attrs.at = AddressType::Untranslated;
}

void Endpoint::invalidate(int, tlm::tlm_generic_payload& p, sc_core::sc_time& delay) {
  const auto* inv = p.get_extension<AtsInvalidation>();
  if (inv == nullptr || !ats_) {
    p.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
    return;
  }
  ++invalidate_requests_;
  if (mode_ == TimingMode::Timed) {
    sc_core::wait(delay);  // the request has arrived
    delay = sc_core::SC_ZERO_TIME;
  }
  // PCIe Base spec 10.3.1: from now on no request uses the entries (a
  // Translation Request on the way is asked again)...
  ++invalidations_;
  const std::uint64_t first = inv->base >> 12, last = (inv->base + inv->size - 1) >> 12;
  atc_.invalidate_if([&](const AtcKey& k, const AtcEntry&) {
    const bool pasid_matches =
        inv->all_pasids || (k.pasid_present == inv->pasid_present && k.pasid == inv->pasid);
    // The entry's 4 KiB pages [lo, hi] overlap the invalidated ones.
    const std::uint64_t lo = k.page << (k.shift - 12);
    const std::uint64_t hi = lo + (1ull << (k.shift - 12)) - 1;
    return pasid_matches && lo <= last && hi >= first;
  });
  // ...and the completion goes back only after the requests that may have
  // used them, all those sent before now, have finished.
  if (mode_ == TimingMode::Timed && waits_for_dmas_) {
    const std::uint64_t sent_before = next_dma_;
    while (!in_flight_.empty() && *in_flight_.begin() < sent_before) sc_core::wait(dma_done_);
    const sc_core::sc_time done = dmas_done_;
    if (done > sc_core::sc_time_stamp()) sc_core::wait(done - sc_core::sc_time_stamp());
  }
  delay += invalidation_latency_;
  p.set_response_status(tlm::TLM_OK_RESPONSE);
}

}  // namespace iommu_sim
