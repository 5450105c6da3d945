// Domain IDs never wrap: two domains sharing one would share cached
// translations (the isolation breach a platform with 65,537 address spaces
// had). The config refuses a platform that needs more than the IOMMU
// offers; the manager and the DMA API answer ENOSPC.
#include <gtest/gtest.h>

#include "model/config_loader.h"
#include "model/host/domain_ids.h"
#include "tests/support/dma_probe.h"

namespace iommu_sim::test {
namespace {

TEST(DomainIds, OneToCountMinusOneThenNone) {
  DomainIds ids(0);  // CAP.ND = 0: 16 IDs, 0 reserved
  EXPECT_EQ(ids.capacity(), 15u);
  for (std::uint16_t want = 1; want <= 15; ++want) EXPECT_EQ(ids.allocate(), want);
  EXPECT_FALSE(ids.allocate_would_succeed());
  EXPECT_EQ(ids.allocate(), std::nullopt);
  EXPECT_EQ(DomainIds(6).capacity(), 65535u);
}

TEST(DomainIds, AConfigWith65536AddressSpacesIsRefused) {
  nlohmann::json spaces = nlohmann::json::array();
  for (int i = 0; i < 65536; ++i) {
    spaces.push_back({{"name", "as" + std::to_string(i)},
                      {"mappings", nlohmann::json::array({{{"size", "4KiB"}}})}});
  }
  PlatformConfig c;
  const auto errors =
      load_config({{"address_spaces", spaces}, {"workloads", nlohmann::json::array()}}, c);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].path, "address_spaces");
  EXPECT_NE(errors[0].reason.find("need 65536 domain IDs; the IOMMU offers 65535"),
            std::string::npos)
      << errors[0].reason;
}

TEST(DomainIds, OddWidthIsRefused) {
  PlatformConfig c;
  const auto errors = load_config({{"iommu", {{"domain_id_bits", 9}}}}, c);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].path, "iommu.domain_id_bits");
}

TEST(DomainIds, TheManagerAnswersEnospcAndChangesNothing) {
  PlatformConfig c = default_config_without_workloads();
  c.iommu.domain_id_bits = 4;  // 15 domain IDs; as0 has one
  c.attach.clear();            // nic0 free to bind
  TestBench tb(c);
  auto& m = tb.platform().manager();
  std::vector<IoasCreated> made;
  IoasCreated refused;
  IoasCreated hwpt;
  tb.run([&] {
    for (int i = 0; i < 14; ++i) made.push_back(m.create_ioas());
    refused = m.create_ioas();
    const ContextId ctx = m.open_context();
    ASSERT_TRUE(m.bind(ctx, "nic0", "n").ok());
    hwpt = m.alloc_hwpt(ctx, "n", made.front().id);
  });
  std::set<std::uint16_t> dids{m.domain_id(tb.platform().ioas("as0"))};
  for (const auto& a : made) {
    ASSERT_TRUE(a.status.ok()) << a.status.message;
    dids.insert(m.domain_id(a.id));
  }
  EXPECT_EQ(dids.size(), 15u);  // all different
  EXPECT_EQ(*dids.begin(), 1u);
  EXPECT_EQ(*dids.rbegin(), 15u);
  EXPECT_EQ(refused.status.code, ENOSPC);
  EXPECT_NE(refused.status.message.find("the IOMMU's 15"), std::string::npos);
  EXPECT_EQ(hwpt.status.code, ENOSPC);
  // The refused IOAS took no ID: the next would still have none, and the
  // manager holds only the 15.
  EXPECT_EQ(m.allocate_domain_id(), std::nullopt);
}

TEST(DomainIds, TheManagerOffersWhatCapNdSaysNotWhatItReadBeforeInit) {
  // The manager is built before the driver reads CAP at init: sized then,
  // it offered 15 IDs on every platform (a 20-IOAS config failed).
  PlatformConfig c = default_config_without_workloads();
  c.iommu.domain_id_bits = 6;  // 63 domain IDs; as0 has one
  TestBench tb(c);
  auto& m = tb.platform().manager();
  std::vector<IoasCreated> made;
  tb.run([&] {
    for (int i = 0; i < 63; ++i) made.push_back(m.create_ioas());
  });
  for (int i = 0; i < 62; ++i) ASSERT_TRUE(made[i].status.ok()) << i << made[i].status.message;
  EXPECT_EQ(m.domain_id(made[61].id), 63u);
  EXPECT_EQ(made[62].status.code, ENOSPC);
  EXPECT_NE(made[62].status.message.find("the IOMMU's 63"), std::string::npos)
      << made[62].status.message;
}

}  // namespace
}  // namespace iommu_sim::test
