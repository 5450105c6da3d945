#include "tests/support/dma_probe.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "model/dma_payload.h"

namespace iommu_sim::test {

DmaResult DmaProbe::issue(const DmaRequest& r) {
  DmaResult out;
  PcieAttrs a;
  a.pasid_present = r.pasid_present;
  a.pasid = r.pasid;
  a.privileged = r.privileged;
  a.execute = r.execute;
  a.at = r.at;
  DmaPayload dma(r.address, r.size, r.write, r.fill, a);
  tlm::tlm_generic_payload& p = dma.payload();
  const sc_core::sc_time start = sc_core::sc_time_stamp();
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  socket->b_transport(p, delay);
  wait(delay);
  out.latency = sc_core::sc_time_stamp() - start;
  out.ok = p.is_response_ok();
  out.completion = dma.attrs().completion;
  out.data = dma.data();
  return out;
}

TestBench::TestBench(PlatformConfig config) {
  start_fresh_kernel();
  platform_ = std::make_unique<Platform>(config);
  for (const TopoNode& n : platform_->topology().nodes) {
    if (is_bridge(n.kind)) continue;
    std::string module = "probe_" + n.name;
    std::replace(module.begin(), module.end(), '.', '_');
    auto probe = std::make_unique<DmaProbe>(module.c_str());
    probe->socket.bind(platform_->endpoint(n.name).dma_in);
    probes_.emplace(n.name, std::move(probe));
  }
}

void TestBench::run(std::function<void()> script) {
  sc_core::sc_spawn([s = std::move(script)] { s(); }, "script");
  platform_->run();
  if (allow_violations_) return;
  const DmaOracle& oracle = platform_->oracle();
  EXPECT_EQ(oracle.violations(), 0u)
      << (oracle.listed().empty() ? std::string() : oracle.listed().front().to_string());
}

PlatformConfig default_config_without_workloads() {
  PlatformConfig c;
  c.workloads.clear();
  c.oracle.enabled = true;  // every test is also checked for ordering and isolation
  // Latencies computed by hand leave the links' serialisation out
  // (tests/sim/test_links.cpp adds it back and checks it).
  c.pcie.link_model = "latency";
  return c;
}

void spawn_page_writes(TestBench& tb, const std::string& function, std::uint64_t address, int count,
                       sc_core::sc_time& last_done) {
  for (int i = 0; i < count; ++i) {
    sc_core::sc_spawn([&tb, function, address, &last_done] {
      tb.probe(function).issue({.address = address, .write = true, .size = 4096});
      last_done = std::max(last_done, sc_core::sc_time_stamp());
    });
  }
}

PlatformConfig two_groups_config_without_attachments() {
  PlatformConfig c = default_config_without_workloads();
  c.pcie.ports = {{.name = "rp0", .acs_capability = "sv,rr,cr,uf", .acs_control = "sv,rr,cr,uf"}};
  c.pcie.endpoints = {{.name = "nic", .parent = "rp0", .functions = 2}, {.name = "ssd"}};
  c.attach.clear();
  return c;
}

void place_behind_switch(PlatformConfig& c, const std::string& cap, const std::string& ctl) {
  const std::string iso = "sv,rr,cr,uf";
  c.pcie.ports = {{.name = "rp0", .acs_capability = iso, .acs_control = iso},
                  {.name = "sw", .kind = "switch_upstream", .parent = "rp0"},
                  {.name = "d0",
                   .kind = "downstream_port",
                   .parent = "sw",
                   .acs_capability = cap,
                   .acs_control = ctl},
                  {.name = "d1",
                   .kind = "downstream_port",
                   .parent = "sw",
                   .acs_capability = cap,
                   .acs_control = ctl}};
  c.pcie.endpoints = {{.name = "gpu", .parent = "d0"}, {.name = "nic", .parent = "d1"}};
  c.attach = {{"nic", 1, "as0"}};
}

PlatformConfig timing_config_without_workloads() {
  PlatformConfig c = default_config_without_workloads();
  c.memory.latency_ns = 80;
  c.memory.bandwidth_gbps = 16;
  c.pcie.link_latency_ns = 100;
  c.pcie.root_complex_latency_ns = 20;
  c.iommu.lookup_latency_ns = 3;
  return c;
}

sc_core::sc_time read_time(unsigned bytes) {
  return sc_core::sc_time(80, sc_core::SC_NS) + sc_core::sc_time(bytes * 62.5, sc_core::SC_PS);
}

void make_nested(PlatformConfig& c, unsigned fl, unsigned sl) {
  c.address_spaces = {{.name = "gpa",
                       .translation = "second_level",
                       .levels = sl,
                       .mappings = {{.iova = 0, .size = 64ull << 20}}},
                      {.name = "guest",
                       .translation = "nested",
                       .levels = fl,
                       .parent = "gpa",
                       .mappings = {{.iova = 0x100000, .size = 1ull << 20}}}};
  c.attach = {{"nic0", 1, "guest"}};
}

void disable_paging_structure_caches(PlatformConfig& c) {
  for (PscParams* psc : {&c.iommu.fl_psc, &c.iommu.sl_psc}) {
    psc->pd.enabled = psc->pdpt.enabled = psc->pml4.enabled = psc->pml5.enabled = false;
  }
}

}  // namespace iommu_sim::test
