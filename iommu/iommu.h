// A VT-d-like DMA remapping unit as a SystemC module.
//   upstream   <- DMA requests from the root complex (PcieAttrs required)
//   dma_out    -> translated requests to memory
//   table_mem  -> the IOMMU's own reads/writes of tables, descriptors, status
//   regs       <- host MMIO to the register file (VT-d spec 10.4 / 11.4)
// It knows nothing about the host: software programs it through registers
// and through the structures it leaves in memory.
#pragma once

#include <tlm_utils/multi_passthrough_initiator_socket.h>
#include <tlm_utils/simple_initiator_socket.h>
#include <map>
#include <memory>
#include <systemc>
#include <tlm>

#include "iommu/dma_drain.h"
#include "iommu/fault_log.h"
#include "iommu/invalidation_engine.h"
#include "iommu/iommu_params.h"
#include "iommu/table_port.h"
#include "iommu/translation_observer.h"
#include "iommu/translator.h"
#include "model/direct_target_socket.h"
#include "model/kernel_clock.h"
#include "model/pcie_attrs.h"
#include "model/stats.h"
#include "model/timing_mode.h"

namespace iommu_sim {

class Iommu : public sc_core::sc_module {
  // The sockets' targets, declared before they name them.
  void dma_b_transport(tlm::tlm_generic_payload& p, sc_core::sc_time& delay);
  void regs_b_transport(tlm::tlm_generic_payload& p, sc_core::sc_time& delay);
  unsigned regs_transport_dbg(tlm::tlm_generic_payload& p);

 public:
  DirectTargetSocket<Iommu, &Iommu::dma_b_transport> upstream;
  tlm::tlm_initiator_socket<> dma_out;
  tlm::tlm_initiator_socket<> table_mem;
  DirectTargetSocket<Iommu, &Iommu::regs_b_transport, &Iommu::regs_transport_dbg> regs;
  // ATS Invalidate Requests to the devices with a device TLB, one binding
  // each (add_device_tlb says which requester ID is behind which).
  tlm_utils::multi_passthrough_initiator_socket<Iommu, 32, tlm::tlm_base_protocol_types, 0,
                                                sc_core::SC_ZERO_OR_MORE_BOUND>
      ats_invalidation;

  // `seed` drives random cache replacement (the run's seed).
  Iommu(sc_core::sc_module_name name, const IommuParams& params, TimingMode mode,
        std::uint64_t seed, StatsRegistry& stats, const std::string& stats_prefix = "iommu");

  Translator& translator() { return translator_; }
  // The root table the hardware uses (RTADDR as latched by GCMD.SRTP).
  std::uint64_t root_table() const { return root_table_; }
  std::uint32_t address_width() const { return params_.address_width; }
  void set_observer(TranslationObserver* observer) { observer_ = observer; }
  // The device sending with requester ID `sid` is on ats_invalidation[port].
  void add_device_tlb(std::uint16_t sid, int port) { device_tlbs_[sid] = port; }
  const Histogram& translation_latency() const { return translation_latency_; }

  // Register access as the MMIO socket performs it (offset, 4 or 8 bytes).
  std::uint64_t read_register(std::uint64_t offset, unsigned size);
  void write_register(std::uint64_t offset, unsigned size, std::uint64_t value);

 private:
  // PCIe ATS: a Translation Request answered with a Translation Completion,
  // and a translated request let through if the device may send those.
  void translation_request(tlm::tlm_generic_payload& p, PcieAttrs& attrs, sc_core::sc_time& delay);
  void translated_request(tlm::tlm_generic_payload& p, PcieAttrs& attrs, sc_core::sc_time& delay);
  bool invalidate_device_tlb(std::uint16_t sid, const AtsInvalidation& inv,
                             sc_core::sc_time& delay);
  // iommu_trace.cpp: events of the traced decisions (model/trace.h).
  void trace_arrival(const tlm::tlm_generic_payload& p, const PcieAttrs& attrs,
                     const sc_core::sc_time& delay) const;
  void trace_translated(const TranslationRequest& r, const TranslationResult& res,
                        const sc_core::sc_time& delay) const;
  void trace_fault(const FaultInfo& f, const FaultLog::Logged& logged,
                   const sc_core::sc_time& delay) const;
  void trace_translation_request(const TranslationRequest& r, const TranslationResult& res,
                                 const sc_core::sc_time& delay) const;
  void trace_translated_request(const tlm::tlm_generic_payload& p, const PcieAttrs& attrs,
                                const sc_core::sc_time& delay) const;
  void trace_device_tlb_invalidation(std::uint16_t sid, const AtsInvalidation& inv, bool answered,
                                     const sc_core::sc_time& sent,
                                     const sc_core::sc_time& done) const;
  bool regs_access(tlm::tlm_generic_payload& p);
  void write_gcmd(std::uint32_t value);
  std::uint64_t read_register64(std::uint64_t offset);
  void write_register64(std::uint64_t offset, std::uint64_t value, std::uint64_t byte_mask);

  // The initiator sockets need a backward interface; nothing calls it (LT only).
  struct NoBackward : tlm::tlm_bw_transport_if<> {
    tlm::tlm_sync_enum nb_transport_bw(tlm::tlm_generic_payload&, tlm::tlm_phase&,
                                       sc_core::sc_time&) override {
      return tlm::TLM_COMPLETED;
    }
    void invalidate_direct_mem_ptr(sc_dt::uint64, sc_dt::uint64) override {}
  };
  NoBackward dma_backward_, table_backward_;

  IommuParams params_;
  TimingMode mode_;
  sc_core::sc_time lookup_latency_;
  sc_core::sc_time register_latency_;
  std::uint64_t cap_, ecap_;
  std::uint64_t rtaddr_ = 0;      // as written by software
  std::uint64_t root_table_ = 0;  // latched by GCMD.SRTP
  std::uint32_t gsts_ = 0;
  TablePort table_port_;
  Translator translator_;
  FaultLog faults_;
  DmaDrain drain_;
  InvalidationEngine invalidation_;
  std::uint64_t frcd_offset_;
  TranslationObserver* observer_ = nullptr;
  KernelClock clock_;
  std::map<std::uint16_t, int> device_tlbs_;
  std::uint64_t ats_translation_requests_ = 0, ats_translated_ = 0, ats_blocked_ = 0;
  Histogram ats_invalidation_time_;

  std::uint64_t requests_ = 0, translated_ = 0, faulted_ = 0, passthrough_ = 0, malformed_ = 0;
  Histogram translation_latency_;
};

}  // namespace iommu_sim
