// The IOMMU front end's trace events (model/trace.h): a request arriving
// from the root complex, its translation forwarded, a fault and what the
// fault log did with it, ATS translation requests and device-TLB
// invalidations.
#include <sstream>

#include "iommu/iommu.h"
#include "model/hex.h"
#include "model/trace.h"

namespace iommu_sim {

namespace vtd = iommu::vtd;
using trace::Category;

namespace {
trace::Event event_at(Category c, std::string_view what, std::int32_t requester, std::int64_t pasid,
                      const sc_core::sc_time& delay) {
  trace::Event e;
  e.category = c;
  e.what = what;
  e.time_ps = (sc_core::sc_time_stamp() + delay).value();
  e.requester = requester;
  e.pasid = pasid;
  return e;
}
}  // namespace

void Iommu::trace_arrival(const tlm::tlm_generic_payload& p, const PcieAttrs& attrs,
                          const sc_core::sc_time& delay) const {
  auto e = event_at(Category::Fabric, "iommu.arrive", attrs.requester_id,
                    attrs.pasid_present ? std::int64_t{attrs.pasid} : -1, delay);
  e.text = std::string("request reaches the IOMMU: ") + (p.is_write() ? "write " : "read ") +
           std::to_string(p.get_data_length()) + " B at " + hex(p.get_address()) +
           " (the lookup takes iommu.lookup_latency_ns)";
  e.fields = {{"address", p.get_address()}, {"write", p.is_write() ? 1 : 0}};
  e.flow = attrs.trace_id;
  trace::emit(e);
}

void Iommu::trace_translated(const TranslationRequest& r, const TranslationResult& res,
                             const sc_core::sc_time& delay) const {
  static constexpr std::string_view kSource[] = {"walk", "IOTLB", "merged walk", "pass-through",
                                                 "device TLB"};
  auto e = event_at(Category::Fabric, "iommu.translated", r.source_id, res.pasid, delay);
  e.text = "translated " + hex(r.iova) + " -> " + hex(res.address) + " (from " +
           std::string(kSource[static_cast<unsigned>(res.source)]) + "), forwarded to memory";
  e.fields = {{"iova", r.iova}, {"address", res.address}, {"page_shift", res.page_shift}};
  e.flow = r.trace_id;
  trace::emit(e);
}

void Iommu::trace_fault(const FaultInfo& f, const FaultLog::Logged& logged,
                        const sc_core::sc_time& delay) const {
  auto e = event_at(Category::Fault, "fault", f.source_id,
                    f.pasid_present ? std::int64_t{f.pasid} : -1, delay);
  std::ostringstream t;
  const auto code = static_cast<unsigned>(f.reason);
  t << "fault 0x" << std::hex << code << std::dec << " " << vtd::fault_reason_name(f.reason)
    << ", VT-d " << vtd::fault_reason_section(f.reason) << ", at " << hex(f.address) << ", "
    << (f.read ? "read" : "write") << ": ";
  switch (logged.kind) {
    case FaultLog::Logged::Kind::Recorded:
      t << "written to fault record " << logged.index;
      break;
    case FaultLog::Logged::Kind::Suppressed:
      t << "not recorded (FPD set on the path)";
      break;
    case FaultLog::Logged::Kind::Lost:
      t << "lost: no free fault record (FSTS.PFO)";
      break;
  }
  t << "; the request completes with Unsupported Request";
  e.text = t.str();
  e.track = "iommu.faults";  // an instant on the IOMMU's faults track of a timeline
  e.fields = {{"reason", code},
              {"address", f.address},
              {"record", logged.index},
              {"logged", static_cast<unsigned>(logged.kind)}};
  trace::emit(e);
}

void Iommu::trace_translation_request(const TranslationRequest& r, const TranslationResult& res,
                                      const sc_core::sc_time& delay) const {
  auto e = event_at(Category::Ats, "ats.translation_request", r.source_id, res.pasid, delay);
  std::ostringstream t;
  t << "ATS translation request for " << hex(r.iova) << ": ";
  if (!res.device_tlb) {
    t << "refused, context entry has DTE=0 (VT-d 4.2.3)";
  } else if (!res.ok) {
    t << "completion with R=W=0 (no translation)";
  } else {
    t << "completion " << hex(res.address) << ", " << (1ull << res.page_shift) / 1024
      << " KiB page";
  }
  e.text = t.str();
  e.fields = {{"iova", r.iova}, {"ok", res.ok ? 1 : 0}, {"address", res.address}};
  trace::emit(e);
}

void Iommu::trace_translated_request(const tlm::tlm_generic_payload& p, const PcieAttrs& attrs,
                                     const sc_core::sc_time& delay) const {
  auto e = event_at(Category::Ats, "ats.translated", attrs.requester_id,
                    attrs.pasid_present ? std::int64_t{attrs.pasid} : -1, delay);
  e.text = "translated request to " + hex(p.get_address()) +
           ": the context entry has DTE=1, so it goes to memory untranslated (VT-d 4.2.4)";
  e.fields = {{"address", p.get_address()}};
  trace::emit(e);
}

void Iommu::trace_device_tlb_invalidation(std::uint16_t sid, const AtsInvalidation& inv,
                                          bool answered, const sc_core::sc_time& sent,
                                          const sc_core::sc_time& done) const {
  trace::Event e;
  e.category = Category::Ats;
  e.what = "ats.invalidate";
  e.time_ps = sent.value();
  e.requester = sid;
  e.pasid = inv.pasid_present && !inv.all_pasids ? std::int64_t{inv.pasid} : -1;
  std::ostringstream t;
  t << "ATS Invalidate Request " << hex(inv.base) << " +" << hex(inv.size)
    << (inv.all_pasids ? " (every PASID)" : "") << ": "
    << (answered ? "completed after " : "timed out after ") << trace::ns((done - sent).value())
    << " ns";
  e.text = t.str();
  e.fields = {{"base", inv.base}, {"size", inv.size}, {"answered", answered ? 1 : 0}};
  trace::emit(e);
}

}  // namespace iommu_sim
