// Primary fault logging (VT-d spec 7.2.1): non-recoverable faults are written
// into the fault recording registers in a ring; FSTS.PPF says a record is
// pending and FSTS.FRI which one comes first; when the next record is still
// owned by software (F=1), the fault is lost and FSTS.PFO is set, and every
// later fault is lost until software clears PFO. Software clears a record
// by writing 1 to its F bit.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "iommu/formats/vtd_fault.h"
#include "model/stats.h"

namespace iommu_sim {

struct FaultInfo {
  std::uint16_t source_id = 0;
  bool pasid_present = false;
  std::uint32_t pasid = 0;
  std::uint64_t address = 0;
  iommu::vtd::FaultReason reason{};
  bool read = true;  // request type: read (T=1) or write (T=0)
  bool privileged = false;
  bool execute = false;
};

class FaultLog {
 public:
  FaultLog(unsigned records, StatsRegistry& stats, const std::string& prefix);

  // Records a fault unless fault processing is disabled for it (FPD).
  // What became of a reported fault: written to record `index`, suppressed
  // by FPD, or lost (no free record: FSTS.PFO).
  struct Logged {
    enum class Kind : std::uint8_t { Recorded, Suppressed, Lost } kind;
    unsigned index = 0;
  };
  Logged report(const FaultInfo& f, bool fpd);

  // Register view: record i as two qwords (low, high), and FSTS bits.
  std::uint64_t record_qword(unsigned index, unsigned qword) const { return regs_[index][qword]; }
  // Software writes to the high qword of a record: writing F=1 clears it.
  void write_record_high(unsigned index, std::uint64_t value);
  std::uint32_t fsts() const;
  // Software write to FSTS: PFO, PPF(ro), IQE, ICE, ITE are RW1C.
  void write_fsts(std::uint32_t value);
  void set_fsts_bits(std::uint32_t bits) { fsts_other_ |= bits; }
  unsigned size() const { return static_cast<unsigned>(regs_.size()); }

 private:
  std::vector<std::array<std::uint64_t, 2>> regs_;
  unsigned next_ = 0;  // FRI: index the hardware writes next
  bool overflow_ = false;
  std::uint32_t fsts_other_ = 0;  // IQE, ICE, ITE
  std::uint64_t reported_ = 0, recorded_ = 0, suppressed_ = 0, lost_ = 0;
  std::array<std::uint64_t, 256> by_reason_{};
};

}  // namespace iommu_sim
