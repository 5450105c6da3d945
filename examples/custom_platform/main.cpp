// A SystemC platform of one's own around iommu-sim's IOMMU: the DMA
// initiator and the memory are this file's; the IOMMU, the host driver and
// the ioasid manager are iommu-sim's (docs/integration.md walks through it).
//
//   DmaEngine.socket --> Iommu.upstream   Iommu.dma_out   --> Memory.socket
//   HostBus.mmio     --> Iommu.regs       Iommu.table_mem --> Memory.socket
//                                         HostBus.mem     --> Memory.socket
//
// The host maps one 4 KiB page at IOVA 0x100000 for function 01:00.0,
// PASID 1. The device reads it twice (a table walk, then an IOTLB hit),
// then reads the next page, which nothing maps: a fault.
#include <tlm_utils/multi_passthrough_target_socket.h>
#include <tlm_utils/simple_initiator_socket.h>

#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <systemc>
#include <tlm>
#include <vector>

#include <iommu_sim/iommu/formats/vtd_fault.h>
#include <iommu_sim/iommu/iommu.h>
#include <iommu_sim/model/host/ioasid_manager.h>

namespace {

constexpr iommu_sim::Bdf kNic{1, 0, 0};  // the device's requester ID, 01:00.0
constexpr std::uint32_t kPasid = 1;
constexpr std::uint64_t kIova = 0x100000;

// The device: DMA reads as function kNic, PASID kPasid, from a SystemC thread.
class DmaEngine : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<DmaEngine> socket{"socket"};

  explicit DmaEngine(sc_core::sc_module_name name) : sc_module(name) {}

  // Reads data.size() bytes at `iova` (a request may not cross a 4 KiB
  // boundary) and returns once they are back, with the completion status.
  iommu_sim::CompletionStatus read(std::uint64_t iova, std::vector<unsigned char>& data) {
    // The IOMMU finds the device's tables by requester ID and PASID; it
    // rejects a request without this extension as malformed.
    iommu_sim::PcieAttrs attrs;
    attrs.requester_id = kNic.rid();
    attrs.pasid_present = true;
    attrs.pasid = kPasid;
    tlm::tlm_generic_payload p;
    p.set_command(tlm::TLM_READ_COMMAND);
    p.set_address(iova);
    p.set_data_ptr(data.data());
    p.set_data_length(static_cast<unsigned>(data.size()));
    p.set_streaming_width(static_cast<unsigned>(data.size()));
    p.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    p.set_extension(&attrs);
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    socket->b_transport(p, delay);
    wait(delay);                // loosely timed: the data is back `delay` after the call returned
    p.clear_extension(&attrs);  // ours, not the payload's to delete
    return attrs.completion;
  }
};

// A flat 4 MiB. DMA and the IOMMU's table walks come by b_transport; the
// host's stores and loads and the IOMMU's read of an entry whose Accessed
// bit it sets come by transport_dbg. It notes where the last DMA landed:
// a request carrying PcieAttrs, unlike the walk's reads.
class Memory : public sc_core::sc_module {
 public:
  tlm_utils::multi_passthrough_target_socket<Memory> socket{"socket"};
  std::uint64_t last_dma_address = 0;

  explicit Memory(sc_core::sc_module_name name) : sc_module(name) {
    socket.register_b_transport(this, &Memory::b_transport);
    socket.register_transport_dbg(this, &Memory::transport_dbg);
  }

 private:
  void b_transport(int /*initiator*/, tlm::tlm_generic_payload& p, sc_core::sc_time& delay) {
    if (p.get_extension<iommu_sim::PcieAttrs>() != nullptr) last_dma_address = p.get_address();
    delay += sc_core::sc_time(50, sc_core::SC_NS);
    transport_dbg(0, p);
  }

  unsigned transport_dbg(int /*initiator*/, tlm::tlm_generic_payload& p) {
    const std::uint64_t at = p.get_address();
    const unsigned length = p.get_data_length();
    if (at > bytes_.size() || length > bytes_.size() - at) {
      p.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
      return 0;
    }
    if (p.is_read()) {
      std::memcpy(p.get_data_ptr(), bytes_.data() + at, length);
    } else {
      std::memcpy(bytes_.data() + at, p.get_data_ptr(), length);
    }
    p.set_response_status(tlm::TLM_OK_RESPONSE);
    return length;
  }

  std::vector<unsigned char> bytes_ = std::vector<unsigned char>(4 << 20);
};

// Host calls return an errno and a message; here any failure is a bug.
void check(const iommu_sim::Status& s, const char* call) {
  if (s.ok()) return;
  std::fprintf(stderr, "%s: %s\n", call, s.message.c_str());
  std::exit(1);
}

}  // namespace

int sc_main(int /*argc*/, char* /*argv*/[]) {
  iommu_sim::StatsRegistry stats;  // the blocks register their counters here
  Memory memory("memory");
  iommu_sim::Iommu iommu("iommu", iommu_sim::IommuParams{}, iommu_sim::TimingMode::Timed,
                         /*seed=*/1, stats);
  iommu_sim::HostBus host("host");
  DmaEngine nic("nic");
  nic.socket.bind(iommu.upstream);
  iommu.dma_out.bind(memory.socket);
  iommu.table_mem.bind(memory.socket);
  host.mem.bind(memory.socket);
  host.mmio.bind(iommu.regs);

  // Host software: tables from 1 MiB, the memory behind mappings from 2 MiB.
  iommu_sim::HostParams params;
  params.table_region = 0x100000;
  params.data_region = 0x200000;
  iommu_sim::HostCpus cpus(1, stats);
  iommu_sim::FrameAllocator tables(params.table_region);
  iommu_sim::FrameAllocator data(params.data_region);
  iommu_sim::IommuDriver driver(host, tables, params, cpus, stats);
  iommu_sim::IoasidManager manager(host, driver, tables, data, params, cpus, stats);

  sc_core::sc_spawn([&] {
    // As a VMM does with iommufd: an address space mapping one page, and
    // the device bound to a context and attached to it at PASID 1.
    check(driver.init(), "init");
    const auto ioas = manager.create_ioas();  // first-level, 4 levels, 4 KiB pages
    check(ioas.status, "create_ioas");
    check(manager.map(ioas.id, kIova, 4096, /*writable=*/true), "map");
    manager.set_devices({{"nic", kNic, /*group=*/0}});
    const iommu_sim::ContextId ctx = manager.open_context();
    check(manager.bind(ctx, "nic", "nic"), "bind");
    check(manager.attach_device(ctx, "nic", kPasid, ioas.id), "attach_device");
    const std::string text = "hello from memory";
    host.write(*manager.physical(ioas.id, kIova),
               std::vector<std::uint8_t>(text.begin(), text.end()));

    std::vector<unsigned char> buffer(text.size());
    nic.read(kIova, buffer);  // an IOTLB miss: the IOMMU walks the tables
    std::printf("translated: IOVA 0x%" PRIx64 " -> physical 0x%" PRIx64 ", read \"%s\"\n", kIova,
                memory.last_dma_address, std::string(buffer.begin(), buffer.end()).c_str());
    nic.read(kIova, buffer);
    std::printf("read again: IOTLB hits %" PRIu64 "\n", iommu.translator().iotlb().hits());
    const iommu_sim::CompletionStatus completion = nic.read(kIova + 0x1000, buffer);
    for (const auto& fault : manager.read_faults(ctx)) {
      const auto reason = iommu::vtd::FaultReason{fault.reason};
      std::printf("unmapped: IOVA 0x%" PRIx64 " -> %s, fault reason 0x%02x (%s)\n", fault.page,
                  std::string(iommu_sim::completion_name(completion)).c_str(), fault.reason,
                  std::string(iommu::vtd::fault_reason_name(reason)).c_str());
    }
  });
  sc_core::sc_start();
  return 0;
}
