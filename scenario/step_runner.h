// What the steps of a running scenario share: the platform they drive and
// the names earlier steps gave (contexts, IOASes and HWPTs, guest tables,
// automatically chosen IOVAs). The run functions of the action table
// (host_steps.cpp, guest_steps.cpp, device_steps.cpp) work on it.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <systemc>
#include <tlm>

#include "model/host/guest_page_table.h"
#include "model/platform/platform.h"
#include "scenario/actions.h"
#include "scenario/step_params.h"

namespace iommu_sim {

class StepRunner {
 public:
  // Sends a DMA request from a function into the fabric (the timeline's
  // initiator socket of that function).
  using DmaPort =
      std::function<void(const std::string& device, tlm::tlm_generic_payload&, sc_core::sc_time&)>;

  StepRunner(Platform& platform, DmaPort dma);
  // Names the platform's address spaces, which exist once the simulation
  // has started.
  void name_platform_objects();

  // The step with every address written as a name replaced by the IOVA
  // that name stands for plus its offset (an unknown name: 0, so the call
  // fails as for any address nothing is mapped at).
  StepParams resolved(const StepParams& step) const;

  Platform& platform() { return platform_; }
  IoasidManager& manager() { return platform_.manager(); }
  void dma(const std::string& device, tlm::tlm_generic_payload& p, sc_core::sc_time& delay) {
    dma_(device, p, delay);
  }

  // A name whose creating step failed resolves to an ID nothing has, so
  // the call fails as it would for a stale ID (ENOENT; a context that is
  // not open, EBADF).
  ContextId context(const std::string& name) const;
  IoasId object(const std::string& name) const;
  GuestPageTable* table(const std::string& name) const;

  void name_context(const std::string& name, ContextId id) { contexts_[name] = id; }
  void name_object(const std::string& name, IoasId id) { objects_[name] = id; }
  void name_iova(const std::string& name, std::uint64_t iova) { iovas_[name] = iova; }
  void add_table(const std::string& name, std::unique_ptr<GuestPageTable> t) {
    tables_[name] = std::move(t);
  }

 private:
  Platform& platform_;
  DmaPort dma_;
  std::map<std::string, ContextId> contexts_;
  std::map<std::string, IoasId> objects_;  // IOASes and HWPTs
  std::map<std::string, std::unique_ptr<GuestPageTable>> tables_;
  std::map<std::string, std::uint64_t> iovas_;
};

// An outcome as the report prints it: "ok" or "<errno name>: <message>".
std::string describe(const Status& s);

// The run functions the action table names.
std::string run_open(StepRunner& r, const StepParams& s, std::string& what);
std::string run_close(StepRunner& r, const StepParams& s, std::string& what);
std::string run_bind(StepRunner& r, const StepParams& s, std::string& what);
std::string run_ioas_alloc(StepRunner& r, const StepParams& s, std::string& what);
std::string run_ioas_destroy(StepRunner& r, const StepParams& s, std::string& what);
std::string run_map(StepRunner& r, const StepParams& s, std::string& what);
std::string run_copy(StepRunner& r, const StepParams& s, std::string& what);
std::string run_unmap(StepRunner& r, const StepParams& s, std::string& what);
std::string run_reserve(StepRunner& r, const StepParams& s, std::string& what);
std::string run_allow_iovas(StepRunner& r, const StepParams& s, std::string& what);
std::string run_iova_ranges(StepRunner& r, const StepParams& s, std::string& what);
std::string run_hwpt_alloc(StepRunner& r, const StepParams& s, std::string& what);
std::string run_hwpt_alloc_nested(StepRunner& r, const StepParams& s, std::string& what);
std::string run_hwpt_destroy(StepRunner& r, const StepParams& s, std::string& what);
std::string run_attach(StepRunner& r, const StepParams& s, std::string& what);
std::string run_replace(StepRunner& r, const StepParams& s, std::string& what);
std::string run_detach(StepRunner& r, const StepParams& s, std::string& what);
std::string run_invalidate(StepRunner& r, const StepParams& s, std::string& what);
std::string run_guest_table(StepRunner& r, const StepParams& s, std::string& what);
std::string run_guest_map(StepRunner& r, const StepParams& s, std::string& what);
std::string run_guest_unmap(StepRunner& r, const StepParams& s, std::string& what);
std::string run_dma(StepRunner& r, const StepParams& s, std::string& what);
std::string run_faults(StepRunner& r, const StepParams& s, std::string& what);

// The action table's own checks.
void check_dma(const StepParams& s, const StepFail& fail);
void check_faults(const StepParams& s, const StepFail& fail);
void check_map(const StepParams& s, const StepFail& fail);
void check_hwpt_alloc(const StepParams& s, const StepFail& fail);
void check_invalidate(const StepParams& s, const StepFail& fail);

}  // namespace iommu_sim
