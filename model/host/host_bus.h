// The host CPU's view of the machine: loads and stores to physical memory and
// to the IOMMU's registers. Called from a SystemC thread, MMIO accesses take
// their latency in simulated time; called from the start-up hook (firmware
// and driver set-up before time 0), they take none. Memory stores are cacheable CPU stores,
// modelled as instantaneous, and made through the debug interface.
#pragma once

#include <tlm_utils/simple_initiator_socket.h>
#include <cstdint>
#include <functional>
#include <span>
#include <systemc>
#include <tlm>

namespace iommu_sim {

class HostBus : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<HostBus> mem;
  tlm_utils::simple_initiator_socket<HostBus> mmio;

  explicit HostBus(sc_core::sc_module_name name);

  // Runs `setup` once the sockets are bound, before any process runs.
  void at_start(std::function<void()> setup) { setup_ = std::move(setup); }

  void write(std::uint64_t addr, std::span<const std::uint8_t> data);
  void read(std::uint64_t addr, std::span<std::uint8_t> data);
  void write64(std::uint64_t addr, std::uint64_t v) {
    write(addr, std::span(reinterpret_cast<const std::uint8_t*>(&v), 8));
  }
  std::uint64_t read64(std::uint64_t addr) {
    std::uint64_t v = 0;
    read(addr, std::span(reinterpret_cast<std::uint8_t*>(&v), 8));
    return v;
  }
  std::uint32_t read32(std::uint64_t addr) {
    std::uint32_t v = 0;
    read(addr, std::span(reinterpret_cast<std::uint8_t*>(&v), 4));
    return v;
  }
  std::uint64_t mmio_read(std::uint64_t offset, unsigned size);
  void mmio_write(std::uint64_t offset, unsigned size, std::uint64_t value);

  // True when called from a SystemC thread, which may wait.
  static bool can_wait();

 private:
  void start_of_simulation() override {
    if (setup_) setup_();
  }
  std::uint64_t mmio_access(tlm::tlm_command cmd, std::uint64_t offset, unsigned size,
                            std::uint64_t value);
  std::function<void()> setup_;
};

}  // namespace iommu_sim
