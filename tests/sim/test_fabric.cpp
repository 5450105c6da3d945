// Routing of memory requests by address through switches in simulated time
// (PCIe Base spec 2.2.4.1, ACS 6.12): peer requests below one switch go
// straight to the peer unless the ingress port's ACS redirects, blocks or
// rejects them; everything else reaches the IOMMU; the root complex routes
// translated BAR addresses back down.
#include <gtest/gtest.h>

#include "iommu/formats/vtd_pasid.h"
#include "iommu/formats/vtd_root_context.h"
#include "tests/support/dma_probe.h"

namespace iommu_sim::test {
namespace {

namespace vtd = iommu::vtd;
using sc_core::SC_NS;
using sc_core::sc_time;

const std::string kIso = "sv,rr,cr,uf";

PlatformConfig switch_config(const std::string& cap, const std::string& ctl) {
  PlatformConfig c = default_config_without_workloads();
  c.pcie.link_latency_ns = 100;
  c.pcie.switch_latency_ns = 110;
  c.pcie.root_complex_latency_ns = 20;
  place_behind_switch(c, cap, ctl);
  return c;
}

std::uint64_t bar_of(Platform& p, const std::string& function) {
  const auto& t = p.topology();
  return t.nodes.at(t.find(function)).bar_base;
}

TEST(Fabric, WithoutAcsAPeerRequestGoesStraightToThePeerOnTheShortPath) {
  TestBench tb(switch_config("", ""));
  auto& p = tb.platform();
  DmaResult w, r;
  tb.run([&] {
    const std::uint64_t bar = bar_of(p, "nic") + 0x40;
    w = tb.probe("gpu").issue({.address = bar, .write = true, .fill = 0x77});
    r = tb.probe("gpu").issue({.address = bar});
  });
  ASSERT_TRUE(w.ok && r.ok);
  // gpu's link, across the switch, nic's link; a read's completion returns
  // the same way. The IOMMU never sees either request.
  EXPECT_EQ(r.latency, 2 * (sc_time(100, SC_NS) + sc_time(110, SC_NS) + sc_time(100, SC_NS)));
  EXPECT_EQ(r.data, std::vector<std::uint8_t>(64, 0x77));
  auto& s = p.stats();
  EXPECT_EQ(s.counter_value("iommu.requests"), 0u);
  EXPECT_EQ(s.counter_value("pcie.port.d0.p2p_direct"), 2u);
  EXPECT_EQ(s.counter_value("pcie.nic.bar_accesses"), 2u);
}

TEST(Fabric, CompletionRedirectSendsAPeerReadsCompletionThroughTheRootComplex) {
  // RR off, CR on: the request goes straight to nic, its completion up from
  // d1 to the root complex and back down to gpu.
  TestBench tb(switch_config(kIso, "sv,cr,uf"));
  auto& p = tb.platform();
  DmaResult r;
  tb.run([&] { r = tb.probe("gpu").issue({.address = bar_of(p, "nic")}); });
  ASSERT_TRUE(r.ok);
  const sc_time link(100, SC_NS), hop(110, SC_NS), rc(20, SC_NS);
  // Up: gpu's link, the switch, nic's link. Back: nic's link, the switch,
  // the switch's upstream link, the root complex, then down the upstream
  // link, the switch and gpu's link.
  EXPECT_EQ(r.latency, (link + hop + link) + (link + hop + link + rc + link + hop + link));
  EXPECT_EQ(p.stats().counter_value("pcie.port.d1.p2p_completions_redirected"), 1u);
  EXPECT_EQ(p.stats().counter_value("iommu.requests"), 0u);
}

TEST(Fabric, RequestRedirectSendsPeerRequestsToTheIommuWhichFaultsThem) {
  TestBench tb(switch_config(kIso, kIso));
  auto& p = tb.platform();
  DmaResult r;
  tb.run([&] { r = tb.probe("gpu").issue({.address = bar_of(p, "nic")}); });
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.completion, CompletionStatus::UnsupportedRequest);
  auto& s = p.stats();
  EXPECT_EQ(s.counter_value("pcie.port.d0.p2p_redirected"), 1u);
  EXPECT_EQ(s.counter_value("iommu.requests"), 1u);
  EXPECT_EQ(s.counter_value("iommu.blocked"), 1u);
  EXPECT_EQ(s.counter_value("pcie.nic.bar_accesses"), 0u);
}

TEST(Fabric, EgressControlBlocksAListedTargetAndRedirectsWithRr) {
  PlatformConfig c = switch_config(kIso + ",ec", "sv,cr,uf,ec");
  c.pcie.ports[2].egress_vector = 1u << 1;  // d0 may not reach device 1 (d1)
  {
    TestBench tb(c);
    DmaResult r;
    tb.run([&] { r = tb.probe("gpu").issue({.address = bar_of(tb.platform(), "nic")}); });
    EXPECT_EQ(r.completion, CompletionStatus::CompleterAbort);
    EXPECT_EQ(tb.platform().stats().counter_value("pcie.port.d0.p2p_blocked"), 1u);
    EXPECT_EQ(tb.platform().stats().counter_value("iommu.requests"), 0u);
  }
  c.pcie.ports[2].acs_control = "sv,rr,cr,uf,ec";
  TestBench tb(c);
  DmaResult r;
  tb.run([&] { r = tb.probe("gpu").issue({.address = bar_of(tb.platform(), "nic")}); });
  EXPECT_EQ(tb.platform().stats().counter_value("pcie.port.d0.p2p_redirected"), 1u);
  EXPECT_EQ(tb.platform().stats().counter_value("iommu.requests"), 1u);
}

TEST(Fabric, SourceValidationRejectsASpoofedRequesterId) {
  // gpu sits on bus 3 (d0's range is 3-3) but claims to be 04:00.0, nic.
  PlatformConfig c = switch_config(kIso, kIso);
  c.pcie.endpoints[0].spoof_requester_id = "04:00.0";
  {
    TestBench tb(c);
    DmaResult r;
    tb.run([&] { r = tb.probe("gpu").issue({.address = 0x100000}); });
    EXPECT_EQ(r.completion, CompletionStatus::CompleterAbort);
    EXPECT_EQ(tb.platform().stats().counter_value("pcie.port.d0.acs_violations"), 1u);
    EXPECT_EQ(tb.platform().stats().counter_value("iommu.requests"), 0u);
  }
  // Without source validation the lie reaches the IOMMU, which translates
  // it in nic's context: the spoofer reads nic's memory.
  c.pcie.ports[2].acs_control = "rr,cr,uf";
  TestBench tb(c);
  DmaResult r;
  tb.run([&] { r = tb.probe("gpu").issue({.address = 0x100000}); });
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(tb.platform().stats().counter_value("iommu.translated"), 1u);
}

TEST(Fabric, TranslatedRequestsPassRedirectWithDirectTranslatedP2pAndTranslationBlocking) {
  PlatformConfig c = switch_config(kIso + ",dt,tb", kIso + ",dt");
  {
    TestBench tb(c);
    DmaResult r;
    tb.run([&] {
      r = tb.probe("gpu").issue(
          {.address = bar_of(tb.platform(), "nic"), .at = AddressType::Translated});
    });
    EXPECT_TRUE(r.ok);
    EXPECT_EQ(tb.platform().stats().counter_value("pcie.port.d0.p2p_direct"), 1u);
  }
  c.pcie.ports[2].acs_control = kIso + ",tb";
  TestBench tb(c);
  DmaResult r;
  tb.run([&] {
    r = tb.probe("gpu").issue(
        {.address = bar_of(tb.platform(), "nic"), .at = AddressType::Translated});
  });
  EXPECT_EQ(r.completion, CompletionStatus::CompleterAbort);
  EXPECT_EQ(tb.platform().stats().counter_value("pcie.port.d0.acs_violations"), 1u);
}

TEST(Fabric, ARootPortsAcsChecksStillStopTheRequestsOfAFunctionBelowItAlone) {
  // nic0 below rp0 alone has no peer to reach, so its requests take the
  // straight way up; rp0's translation blocking and source validation must
  // still refuse what they refuse.
  PlatformConfig c = default_config_without_workloads();
  c.pcie.ports = {{.name = "rp0", .acs_capability = "sv,tb", .acs_control = "sv,tb"}};
  c.pcie.endpoints[0].parent = "rp0";
  {
    TestBench tb(c);
    DmaResult untranslated, translated;
    tb.run([&] {
      untranslated = tb.probe("nic0").issue({.address = 0x100000});
      translated = tb.probe("nic0").issue({.address = 0x100000, .at = AddressType::Translated});
    });
    EXPECT_TRUE(untranslated.ok);
    EXPECT_EQ(translated.completion, CompletionStatus::CompleterAbort);
    auto& s = tb.platform().stats();
    EXPECT_EQ(s.counter_value("pcie.port.rp0.acs_violations"), 1u);
    EXPECT_EQ(s.counter_value("iommu.requests"), 1u);
  }
  // A requester ID off rp0's bus range (bus 1) fails source validation.
  c.pcie.endpoints[0].spoof_requester_id = "07:00.0";
  TestBench tb(c);
  DmaResult r;
  tb.run([&] { r = tb.probe("nic0").issue({.address = 0x100000}); });
  EXPECT_EQ(r.completion, CompletionStatus::CompleterAbort);
  EXPECT_EQ(tb.platform().stats().counter_value("pcie.port.rp0.acs_violations"), 1u);
  EXPECT_EQ(tb.platform().stats().counter_value("iommu.requests"), 0u);
}

TEST(Fabric, ConventionalDevicesReachEachOtherOnTheirBus) {
  PlatformConfig c = default_config_without_workloads();
  c.pcie.ports = {{.name = "rp0"}, {.name = "br", .kind = "pci_bridge", .parent = "rp0"}};
  c.pcie.endpoints = {{.name = "a", .kind = "pci", .parent = "br"},
                      {.name = "b", .kind = "pci", .parent = "br"}};
  c.attach = {{"a", 1, "as0"}};
  TestBench tb(c);
  DmaResult r;
  tb.run([&] { r = tb.probe("a").issue({.address = bar_of(tb.platform(), "b")}); });
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(tb.platform().stats().counter_value("pcie.b.bar_accesses"), 1u);
  EXPECT_EQ(tb.platform().stats().counter_value("iommu.requests"), 0u);
}

TEST(Fabric, TheRootComplexRoutesATranslatedBarAddressBackDown) {
  // gpu's PASID 1 is pass-through: the IOMMU hands back the BAR address,
  // which the host bridge sends down to nic (P2P through the root complex).
  PlatformConfig c = switch_config(kIso, kIso);
  c.attach = {{"gpu", 1, "as0"}};
  TestBench tb(c);
  auto& p = tb.platform();
  DmaResult w, r;
  tb.run([&] {
    const Bdf gpu = p.topology().nodes.at(p.topology().find("gpu")).bdf;
    auto& bus = p.host_bus();
    const std::uint64_t re = vtd::root_entry_address(p.driver().root_table(), gpu.bus);
    const auto root = vtd::ScalableRootEntry::decode({bus.read64(re), bus.read64(re + 8)});
    const std::uint64_t ce =
        vtd::scalable_context_entry_address(root.lower_context_table, gpu.devfn());
    const auto ctx = vtd::ScalableContextEntry::decode(
        {bus.read64(ce), bus.read64(ce + 8), bus.read64(ce + 16), bus.read64(ce + 24)});
    const auto dir = vtd::PasidDirEntry::decode(bus.read64(ctx.pasid_dir_ptr));
    const std::uint64_t pe = dir.pasid_table_ptr + vtd::pasid_table_index(1) * 64;
    const std::uint64_t q0 = bus.read64(pe);
    bus.write64(pe, (q0 & ~(7ull << 6)) | (4ull << 6));  // PGTT 4: pass-through
    const std::uint64_t bar = bar_of(p, "nic") + 0x80;
    w = tb.probe("gpu").issue({.address = bar, .write = true, .fill = 0x31});
    r = tb.probe("gpu").issue({.address = bar});
  });
  ASSERT_TRUE(w.ok && r.ok);
  EXPECT_EQ(r.data, std::vector<std::uint8_t>(64, 0x31));
  auto& s = p.stats();
  EXPECT_EQ(s.counter_value("pcie.port.d0.p2p_redirected"), 2u);
  EXPECT_EQ(s.counter_value("pcie.p2p.via_root_complex"), 2u);
  EXPECT_EQ(s.counter_value("pcie.nic.bar_accesses"), 2u);
}

}  // namespace
}  // namespace iommu_sim::test
