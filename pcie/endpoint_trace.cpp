// A function's traced DMA (model/trace.h, category fabric): a slice on the
// function's timeline track from issue to completion, whose id the IOMMU's
// events carry as their flow.
#include "model/hex.h"
#include "model/trace.h"
#include "pcie/endpoint.h"

namespace iommu_sim {

namespace {
std::string describe(const tlm::tlm_generic_payload& p, const PcieAttrs& attrs) {
  std::string s = p.is_write() ? "write " : "read ";
  s += std::to_string(p.get_data_length()) + " B at " + hex(p.get_address());
  if (attrs.at == AddressType::Translated) s += " (translated)";
  if (attrs.at == AddressType::TranslationRequest) s += " (ATS translation request)";
  return s;
}
}  // namespace

// The slice of one DMA on the function's track: its Begin at the issue,
// its End at the completion, both named by the DMA's trace id.
trace::Event Endpoint::dma_event(trace::Phase phase, std::string_view what, const PcieAttrs& attrs,
                                 const sc_core::sc_time& delay) const {
  trace::Event e;
  e.category = trace::Category::Fabric;
  e.phase = phase;
  e.what = what;
  e.time_ps = (sc_core::sc_time_stamp() + delay).value();
  e.requester = attrs.requester_id;
  e.pasid = attrs.pasid_present ? std::int64_t{attrs.pasid} : -1;
  e.track = "pcie." + function_;
  e.id = attrs.trace_id;
  return e;
}

void Endpoint::trace_issue(const tlm::tlm_generic_payload& p, PcieAttrs& attrs,
                           const sc_core::sc_time& delay) const {
  attrs.trace_id = trace::next_id();
  trace::Event e = dma_event(trace::Phase::Begin, "dma.issue", attrs, delay);
  e.text = function_ + " issues DMA " + std::to_string(attrs.trace_id) + ": " + describe(p, attrs) +
           " (pcie.endpoints[].dma_latency_ns to reach its link)";
  e.fields = {{"address", p.get_address()},
              {"length", p.get_data_length()},
              {"write", p.is_write() ? 1 : 0}};
  e.flow = attrs.trace_id;
  trace::emit(e);
}

void Endpoint::trace_complete(const tlm::tlm_generic_payload& p, const PcieAttrs& attrs,
                              const sc_core::sc_time& delay) const {
  trace::Event e = dma_event(trace::Phase::End, "dma.complete", attrs, delay);
  e.text = function_ + " DMA " + std::to_string(attrs.trace_id) +
           " completes: " + std::string(completion_name(attrs.completion));
  e.fields = {{"ok", p.is_response_ok() ? 1 : 0},
              {"completion", static_cast<unsigned>(attrs.completion)}};
  trace::emit(e);
}

void Endpoint::trace_atc(const tlm::tlm_generic_payload& p, const PcieAttrs& attrs,
                         const AtcEntry* entry, bool filled, const sc_core::sc_time& delay) const {
  trace::Event e;
  e.category = trace::Category::Ats;
  e.what = filled ? "atc.fill" : "atc.probe";
  e.time_ps = (sc_core::sc_time_stamp() + delay).value();
  e.requester = requester_id_.rid();
  e.pasid = attrs.pasid_present ? std::int64_t{attrs.pasid} : -1;
  const bool usable = entry != nullptr && (p.is_write() ? entry->write : entry->read);
  if (filled) {
    e.text = function_ +
             "'s device TLB (ATC) fill: " + hex(p.get_address() >> entry->shift << entry->shift) +
             " -> " + hex(entry->page) + ", " + std::to_string((1ull << entry->shift) / 1024) +
             " KiB, R=" + std::to_string(entry->read) + " W=" + std::to_string(entry->write);
  } else {
    e.text = function_ + "'s device TLB (ATC) probe " + hex(p.get_address()) + ": " +
             (usable ? "hit, the DMA goes out translated"
              : entry != nullptr
                  ? "hit without the right to " + std::string(p.is_write() ? "write" : "read") +
                        ": asks the IOMMU (Translation Request)"
                  : "miss: asks the IOMMU (Translation Request, PCIe 10.2.2)");
  }
  e.fields = {{"hit", entry != nullptr ? 1 : 0}, {"usable", usable ? 1 : 0}};
  trace::emit(e);
}

}  // namespace iommu_sim
