// Trace categories (model/trace.h): parsing `--trace`, which events a
// subscription gets, the line format, and the command line's errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <sstream>

#include "iommu/formats/vtd_invalidation.h"
#include "model/trace.h"
#include "tests/support/cli.h"
#include "tests/support/dma_probe.h"

namespace iommu_sim::test {
namespace {

using trace::Category;

class Recorder : public trace::Sink {
 public:
  void event(const trace::Event& e) override { events.push_back(e); }
  std::vector<trace::Event> events;
};

TEST(TraceCategories, ParseNamesEachCategoryAndAll) {
  const auto two = trace::parse_categories("walk,qi");
  EXPECT_TRUE(two.error.empty());
  EXPECT_EQ(two.mask, trace::bit(Category::Walk) | trace::bit(Category::Qi));
  EXPECT_EQ(trace::parse_categories("all").mask, trace::kAll);
  EXPECT_EQ(trace::kAll, (1u << 12) - 1);
  const auto bad = trace::parse_categories("walk,tlb");
  EXPECT_EQ(bad.mask, 0u);
  EXPECT_NE(bad.error.find("unknown trace category \"tlb\""), std::string::npos);
  EXPECT_NE(bad.error.find("iotlb"), std::string::npos);  // the list of known ones
  EXPECT_FALSE(trace::parse_categories("").error.empty());
}

TEST(TraceCategories, OnlyWhileSubscribedAndOnlyTheSubscribedCategories) {
  Recorder r;
  EXPECT_FALSE(trace::on(Category::Qi));
  {
    const trace::Subscription s(r, trace::bit(Category::Qi));
    EXPECT_TRUE(trace::on(Category::Qi));
    EXPECT_FALSE(trace::on(Category::Walk));
    trace::Event walk;
    walk.category = Category::Walk;
    trace::emit(walk);
    trace::Event qi;
    qi.category = Category::Qi;
    trace::emit(qi);
  }
  EXPECT_FALSE(trace::on(Category::Qi));
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0].category, Category::Qi);
}

TEST(TraceCategories, ALineHasTimeCategoryRequesterPasidAndText) {
  std::ostringstream out;
  trace::TextPrinter p(out);
  trace::Event e;
  e.category = Category::Iotlb;
  e.time_ps = 1234567;
  e.requester = 0x0100;
  e.pasid = 1;
  e.text = "IOTLB probe";
  p.event(e);
  EXPECT_EQ(out.str(), "      1234.567 ns  iotlb   01:00.0 pasid 1: IOTLB probe\n");
}

// An unmap's invalidation, traced as qi: one PASID-based IOTLB descriptor
// and one wait, decoded, and nothing of the other categories.
TEST(TraceCategories, AnUnmapShowsItsDescriptorsUnderQi) {
  TestBench tb(default_config_without_workloads());
  auto& p = tb.platform();
  Recorder r;
  const trace::Subscription s(r, trace::bit(Category::Qi));
  tb.run([&] { ASSERT_TRUE(p.manager().unmap(p.ioas("as0"), 0x100000, 1u << 20).ok()); });
  ASSERT_EQ(r.events.size(), 2u);
  for (const auto& e : r.events) EXPECT_EQ(e.category, Category::Qi);
  EXPECT_NE(r.events[0].text.find("PASID-based IOTLB invalidation (6.5.2.4), page, DID 1 PASID 1"),
            std::string::npos)
      << r.events[0].text;
  EXPECT_NE(r.events[1].text.find("invalidation wait (6.5.2.8), SW 1"), std::string::npos)
      << r.events[1].text;
  EXPECT_NE(r.events[1].text.find(": done"), std::string::npos);
}

// Every descriptor type the queue takes is decoded under qi with its
// section and fields (VT-d 6.5.2.1 to 6.5.2.8); a type the IOMMU does not
// know is named by its number.
TEST(TraceCategories, EveryDescriptorTypeIsDecoded) {
  namespace vtd = iommu::vtd;
  TestBench tb(default_config_without_workloads());
  auto& p = tb.platform();
  Recorder r;
  const trace::Subscription s(r, trace::bit(Category::Qi));
  vtd::ContextCacheInvDesc context{};
  context.granularity = vtd::ContextCacheGranularity::Device;
  context.sid = 0x0100;
  context.fm = 2;
  vtd::PasidCacheInvDesc pasid{};
  pasid.granularity = vtd::PasidCacheGranularity::Pasid;
  pasid.did = 1;
  pasid.pasid = 7;
  vtd::IotlbInvDesc iotlb{};
  iotlb.granularity = vtd::IotlbGranularity::Page;
  iotlb.did = 1;
  iotlb.addr = 0x200000;
  iotlb.am = 9;
  iotlb.dr = true;
  vtd::DeviceTlbInvDesc dev{};
  dev.sid = 0x0100;
  dev.addr = 0x100000;
  vtd::PasidDeviceTlbInvDesc pasid_dev{};
  pasid_dev.sid = 0x0100;
  pasid_dev.g = true;
  pasid_dev.addr = 0x100000;
  const std::array<std::uint64_t, 2> iec{vtd::kDescIec, 0};
  const std::array<std::uint64_t, 2> unknown{0xf, 0};  // type 0xf is reserved (6.5.2)
  tb.run([&] {
    const std::array<std::array<std::uint64_t, 2>, 6> known{
        context.encode(), pasid.encode(), iotlb.encode(), dev.encode(), pasid_dev.encode(), iec};
    p.driver().submit_and_wait(known);
    const std::array<std::array<std::uint64_t, 2>, 1> bad{unknown};
    EXPECT_FALSE(p.driver().submit_and_wait(bad).ok());
  });
  const std::vector<std::string> expected{
      "context-cache invalidation (6.5.2.1), device, SID 01:00.0 FM 2",
      "PASID-cache invalidation (6.5.2.2), granularity 1, DID 1 PASID 7",
      "IOTLB invalidation (6.5.2.3), page, DID 1, 0x200000 AM 9 (2048 KiB) IH 0 DR 1 DW 0",
      "device-TLB invalidation (6.5.2.5), SID 01:00.0, 0x100000 +0x1000",
      "PASID-based device-TLB invalidation (6.5.2.6), SID 01:00.0, every PASID, 0x100000 +0x1000",
      "interrupt-entry-cache invalidation (6.5.2.7)",
      "descriptor of unknown type 15"};
  for (const auto& text : expected) {
    const bool found = std::any_of(r.events.begin(), r.events.end(), [&](const auto& e) {
      return e.text.find(text) != std::string::npos;
    });
    EXPECT_TRUE(found) << "no qi event with: " << text;
  }
}

TEST(TraceCategories, TheCommandLineRefusesAnUnknownCategory) {
  const auto r = run_command("--trace walk,bogus --quiet");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("--trace: unknown trace category \"bogus\""), std::string::npos)
      << r.output;
  const auto file = run_command("--trace-file /tmp/x.txt --quiet");
  EXPECT_EQ(file.exit_code, 2);
  EXPECT_NE(file.output.find("--trace-file: needs --trace"), std::string::npos);
}

TEST(TraceCategories, ARunPrintsOneLinePerEventOfTheCategory) {
  const std::string config =
      write_temp("trace_two.json",
                 R"({"workloads":[{"name":"w","device":"nic0","count":2,"pattern":"sequential",)"
                 R"("span":4096,"base":"0x100000"}]})");
  const auto r = run_command("--config " + config + " --trace walk --quiet");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  // The first DMA walks (begin, four reads, end); the second hits the IOTLB.
  std::size_t lines = 0, reads = 0;
  std::istringstream in(r.output);
  for (std::string line; std::getline(in, line);) {
    if (line.find(" walk ") == std::string::npos) continue;
    ++lines;
    if (line.find("first-level P") != std::string::npos) ++reads;
  }
  EXPECT_EQ(reads, 4u) << r.output;
  EXPECT_EQ(lines, 6u) << r.output;
}

}  // namespace
}  // namespace iommu_sim::test
