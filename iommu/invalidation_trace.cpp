// The invalidation engine's trace events (model/trace.h, category qi): each
// descriptor decoded, as the VT-d spec's 6.5.2 tables name its fields, with
// what came of it.
#include <sstream>

#include "iommu/invalidation_engine.h"
#include "model/hex.h"
#include "model/trace.h"

namespace iommu_sim {

namespace vtd = iommu::vtd;

namespace {

std::string describe(std::uint64_t qw0, std::uint64_t qw1) {
  std::ostringstream t;
  switch (vtd::descriptor_type(qw0)) {
    case vtd::kDescContextCache: {
      const auto d = vtd::ContextCacheInvDesc::decode({qw0, qw1});
      static constexpr const char* kG[] = {"?", "global", "domain", "device"};
      t << "context-cache invalidation (6.5.2.1), " << kG[static_cast<unsigned>(d.granularity) & 3];
      if (d.granularity == vtd::ContextCacheGranularity::Device) {
        t << ", SID " << trace::bdf_string(d.sid) << " FM " << static_cast<unsigned>(d.fm);
      }
      break;
    }
    case vtd::kDescPasidCache: {
      const auto d = vtd::PasidCacheInvDesc::decode({qw0, qw1});
      t << "PASID-cache invalidation (6.5.2.2), granularity "
        << static_cast<unsigned>(d.granularity) << ", DID " << d.did << " PASID " << d.pasid;
      break;
    }
    case vtd::kDescIotlb: {
      const auto d = vtd::IotlbInvDesc::decode({qw0, qw1});
      static constexpr const char* kG[] = {"?", "global", "domain", "page"};
      t << "IOTLB invalidation (6.5.2.3), " << kG[static_cast<unsigned>(d.granularity) & 3]
        << ", DID " << d.did;
      if (d.granularity == vtd::IotlbGranularity::Page) {
        t << ", " << hex(d.addr) << " AM " << static_cast<unsigned>(d.am) << " ("
          << (4096ull << d.am) / 1024 << " KiB) IH " << d.ih;
      }
      t << " DR " << d.dr << " DW " << d.dw;
      break;
    }
    case vtd::kDescPasidIotlb: {
      const auto d = vtd::PasidIotlbInvDesc::decode({qw0, qw1});
      t << "PASID-based IOTLB invalidation (6.5.2.4), "
        << (d.granularity == vtd::PasidIotlbGranularity::Page ? "page" : "PASID") << ", DID "
        << d.did << " PASID " << d.pasid;
      if (d.granularity == vtd::PasidIotlbGranularity::Page) {
        t << ", " << hex(d.addr) << " AM " << static_cast<unsigned>(d.am) << " IH " << d.ih;
      }
      break;
    }
    case vtd::kDescWait: {
      const auto d = vtd::InvWaitDesc::decode({qw0, qw1});
      t << "invalidation wait (6.5.2.8), SW " << d.sw << " IF " << d.iflag << " FN " << d.fn;
      if (d.sw) t << ", status " << hex(d.status_data) << " -> " << hex(d.status_addr);
      break;
    }
    case vtd::kDescDeviceTlb: {
      const auto d = vtd::DeviceTlbInvDesc::decode({qw0, qw1});
      const auto range = vtd::ats_range_decode(d.addr, d.s);
      t << "device-TLB invalidation (6.5.2.5), SID " << trace::bdf_string(d.sid) << ", "
        << hex(range.base) << " +" << hex(range.size);
      break;
    }
    case vtd::kDescPasidDeviceTlb: {
      const auto d = vtd::PasidDeviceTlbInvDesc::decode({qw0, qw1});
      const auto range = vtd::ats_range_decode(d.addr, d.s);
      t << "PASID-based device-TLB invalidation (6.5.2.6), SID " << trace::bdf_string(d.sid)
        << (d.g ? ", every PASID" : ", PASID " + std::to_string(d.pasid)) << ", " << hex(range.base)
        << " +" << hex(range.size);
      break;
    }
    case vtd::kDescIec:
      t << "interrupt-entry-cache invalidation (6.5.2.7)";
      break;
    default:
      t << "descriptor of unknown type " << vtd::descriptor_type(qw0);
      break;
  }
  return t.str();
}

}  // namespace

void InvalidationEngine::trace_descriptor(std::uint64_t qw0, std::uint64_t qw1, Outcome outcome,
                                          const sc_core::sc_time& fetched,
                                          const sc_core::sc_time& delay) const {
  static constexpr const char* kOutcome[] = {"done", "invalid: FSTS.IQE", "timed out: FSTS.ITE",
                                             "halted: FSTS.ITE set"};
  trace::Event e;
  e.category = trace::Category::Qi;
  e.what = "qi.descriptor";
  e.phase = trace::Phase::Complete;
  e.time_ps = fetched.value();
  e.duration_ps = (sc_core::sc_time_stamp() + delay - fetched).value();
  e.track = "iommu.qi";
  e.text = describe(qw0, qw1) + " [" + hex(qw1) + ":" + hex(qw0) + "] at IQH " + hex(head_) + ": " +
           kOutcome[static_cast<unsigned>(outcome)];
  e.fields = {{"type", vtd::descriptor_type(qw0)},
              {"qw0", qw0},
              {"qw1", qw1},
              {"head", head_},
              {"outcome", static_cast<unsigned>(outcome)}};
  trace::emit(e);
}

// Descriptors between head and tail: what software queued and the engine
// has not finished.
void InvalidationEngine::trace_queue_depth(const sc_core::sc_time& delay) const {
  const std::uint64_t bytes = (tail_ + queue_bytes() - head_) % queue_bytes();
  trace::counter(trace::Category::Qi, "qi.depth", "iommu.qi", "invalidation queue",
                 (sc_core::sc_time_stamp() + delay).value(), "descriptors",
                 bytes / descriptor_bytes());
}

// After a descriptor of a type that removes IOTLB entries.
void InvalidationEngine::trace_iotlb_occupancy(unsigned type, const sc_core::sc_time& delay) const {
  if (type != vtd::kDescIotlb && type != vtd::kDescPasidIotlb) return;
  trace::counter(trace::Category::Iotlb, "iotlb.occupancy", "iommu.iotlb", "IOTLB occupancy",
                 (sc_core::sc_time_stamp() + delay).value(), "entries",
                 translator_.iotlb().occupancy());
}

}  // namespace iommu_sim
