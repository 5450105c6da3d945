#include "iommu/fault_log.h"

#include <cstdio>

#include "iommu/formats/vtd_registers.h"

namespace iommu_sim {

namespace vtd = iommu::vtd;

namespace {
// Fault reasons this model raises; each gets a counter with a stable name.
constexpr vtd::FaultReason kReachable[] = {
    vtd::FaultReason::kSmRootEntryAccess,
    vtd::FaultReason::kSmRootEntryNotPresent,
    vtd::FaultReason::kSmContextEntryAccess,
    vtd::FaultReason::kSmContextEntryNotPresent,
    vtd::FaultReason::kSmDteClear,
    vtd::FaultReason::kSmPasidTooLarge,
    vtd::FaultReason::kSmPasidDirAccess,
    vtd::FaultReason::kSmPasidDirEntryNotPresent,
    vtd::FaultReason::kSmPasidEntryAccess,
    vtd::FaultReason::kSmPasidEntryNotPresent,
    vtd::FaultReason::kSmInvalidPasidEntry,
    vtd::FaultReason::kSmSreClear,
    vtd::FaultReason::kSmFirstLevelEntryAccess,
    vtd::FaultReason::kSmFirstLevelEntryNotPresent,
    vtd::FaultReason::kSmFirstLevelEntryReserved,
    vtd::FaultReason::kSmNestedFirstLevelBeyondMgaw,
    vtd::FaultReason::kSmNestedFlPml4ReadDenied,
    vtd::FaultReason::kSmNestedFirstLevelReadDenied,
    vtd::FaultReason::kSmNestedFirstLevelWriteDenied,
    vtd::FaultReason::kSmSecondLevelEntryAccess,
    vtd::FaultReason::kSmSecondLevelPermission,
    vtd::FaultReason::kSmSecondLevelEntryReserved,
    vtd::FaultReason::kSmNonCanonical,
    vtd::FaultReason::kSmUserAccessSupervisorPage,
    vtd::FaultReason::kSmExecuteDenied,
    vtd::FaultReason::kSmAddressBeyondMax,
    vtd::FaultReason::kSmSecondLevelAddressBeyondMax,
    vtd::FaultReason::kSmWriteDenied,
    vtd::FaultReason::kSmReadDenied,
};
}  // namespace

FaultLog::FaultLog(unsigned records, StatsRegistry& stats, const std::string& prefix)
    : regs_(records, {0, 0}) {
  stats.counter(prefix + ".faults.total", &reported_,
                "translation faults (non-recoverable), whether recorded or not");
  stats.counter(prefix + ".faults.recorded", &recorded_, "faults written to a fault record");
  stats.counter(prefix + ".faults.suppressed", &suppressed_,
                "faults not recorded because FPD was set in an entry on the path");
  stats.counter(prefix + ".faults.overflow", &lost_,
                "faults lost: the next fault record was still pending, or FSTS.PFO was still "
                "set (VT-d spec 7.2.1)");
  for (auto reason : kReachable) {
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02x", static_cast<unsigned>(reason));
    stats.counter(prefix + ".faults.reason." + hex, &by_reason_[static_cast<unsigned>(reason)],
                  std::string("faults with reason ") + hex + ": " +
                      std::string(vtd::fault_reason_name(reason)));
  }
}

FaultLog::Logged FaultLog::report(const FaultInfo& f, bool fpd) {
  ++reported_;
  ++by_reason_[static_cast<unsigned>(f.reason)];
  if (fpd) {
    ++suppressed_;
    return {Logged::Kind::Suppressed};
  }
  // VT-d spec 7.2.1: while FSTS.PFO is set no fault is recorded, even in a
  // record software has freed since (QEMU's vtd_report_frcd_fault checks
  // PFO first too); software clears PFO once it has drained the records.
  if (overflow_) {
    ++lost_;
    return {Logged::Kind::Lost};
  }
  auto& slot = regs_[next_];
  if (vtd::FaultRecord::decode(slot).f) {
    // VT-d spec 7.2.1: no free record -> primary fault overflow.
    overflow_ = true;
    ++lost_;
    return {Logged::Kind::Lost};
  }
  vtd::FaultRecord rec{};
  rec.fi = f.address & ~0xfffull;
  rec.sid = f.source_id;
  rec.pp = f.pasid_present;
  rec.pv = f.pasid;
  rec.fr = static_cast<std::uint8_t>(f.reason);
  rec.t = f.read;  // T: 1 = read request, 0 = write request
  rec.f = true;
  slot = rec.encode();
  ++recorded_;
  const Logged logged{Logged::Kind::Recorded, next_};
  next_ = (next_ + 1) % regs_.size();
  return logged;
}

void FaultLog::write_record_high(unsigned index, std::uint64_t value) {
  if (index >= regs_.size()) return;
  // F (bit 127, bit 63 of the high qword) is RW1C; the rest is read-only.
  if ((value >> 63) & 1) regs_[index][1] &= ~(1ull << 63);
}

std::uint32_t FaultLog::fsts() const {
  bool pending = false;
  unsigned first = 0;
  // FRI names the oldest pending record: search forward from the next slot.
  for (unsigned i = 0; i < regs_.size(); ++i) {
    const unsigned idx = (next_ + i) % regs_.size();
    if ((regs_[idx][1] >> 63) & 1) {
      pending = true;
      first = idx;
      break;
    }
  }
  std::uint32_t v = fsts_other_;
  if (overflow_) v |= vtd::kFstsPfo;
  if (pending) v |= vtd::kFstsPpf | (first << 8);
  return v;
}

void FaultLog::write_fsts(std::uint32_t value) {
  if (value & vtd::kFstsPfo) overflow_ = false;
  fsts_other_ &= ~(value & (vtd::kFstsIqe | vtd::kFstsIce | vtd::kFstsIte));
}

}  // namespace iommu_sim
