// The steps on the device side: one DMA from a function, and a read of the
// faults a context was handed.
#include "model/config_loader.h"
#include "model/dma_payload.h"
#include "model/hex.h"
#include "scenario/step_runner.h"

namespace iommu_sim {

std::string run_dma(StepRunner& r, const StepParams& s, std::string& what) {
  what = std::string(s.write ? "dma write " : "dma read ") + s.device +
         (s.pasid_present ? " pasid " + std::to_string(s.pasid) : " no pasid") + " " + hex(s.iova);
  PcieAttrs a;
  a.pasid_present = s.pasid_present;
  a.pasid = s.pasid;
  DmaPayload dma(s.iova, s.size, s.write, 0x5a, a);
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  r.dma(s.device, dma.payload(), delay);
  sc_core::wait(delay);
  switch (dma.attrs().completion) {
    case CompletionStatus::Success:
      return "ok";
    case CompletionStatus::UnsupportedRequest:
      return "unsupported_request";
    case CompletionStatus::CompleterAbort:
      return "completer_abort";
  }
  return "unknown completion";
}

void check_dma(const StepParams& s, const StepFail& fail) {
  if (s.iova % s.size != 0 || s.iova % 4096 + s.size > 4096) {
    fail("iova", "must be aligned to size and the request must not cross a 4 KiB page");
  }
}

std::string run_faults(StepRunner& r, const StepParams& s, std::string& what) {
  what = "faults " + s.context;
  const auto faults = r.manager().read_faults(r.context(s.context));
  std::string got;
  bool same = faults.size() == s.faults.size();
  for (std::size_t i = 0; i < faults.size(); ++i) {
    const auto& f = faults[i];
    got += (i ? ", " : "") + f.label + " " + hex(f.reason) + " at " + hex(f.page);
    if (i < s.faults.size()) {
      const FaultExpectParams& e = s.faults[i];
      same = same && e.label == f.label && parse_u64(e.reason) == f.reason &&
             (!e.given.contains("address") || e.address == f.page);
    }
  }
  if (same) return "ok";
  std::string want;
  for (const FaultExpectParams& e : s.faults) {
    want += (want.empty() ? "" : ", ") + e.label + " " + e.reason +
            (e.given.contains("address") ? " at " + hex(e.address) : std::string());
  }
  return "EFAULT: read [" + got + "], expected [" + want + "]";
}

void check_faults(const StepParams& s, const StepFail& fail) {
  for (std::size_t k = 0; k < s.faults.size(); ++k) {
    const auto r = parse_u64(s.faults[k].reason);
    if (!r || *r > 0xff) {
      fail("faults[" + std::to_string(k) + "].reason",
           "must be a fault reason like \"0x71\", not \"" + s.faults[k].reason + "\"");
    }
  }
}

}  // namespace iommu_sim
