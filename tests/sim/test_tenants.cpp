// Tenants: VMs whose devices are attached to nested HWPTs over their own
// guest memory, each guest owning its first-level table
// (address_spaces[].translation nested_hwpt), sharing the IOMMU.
#include <gtest/gtest.h>

#include <fstream>

#include "model/kernel.h"
#include "tests/support/config_errors.h"

namespace iommu_sim {
namespace {

PlatformConfig two_tenants() {
  std::ifstream in(IOMMU_SIM_SOURCE_DIR "/configs/two_tenants_nested.json");
  PlatformConfig c;
  const auto errors = load_config(nlohmann::json::parse(in), c);
  EXPECT_TRUE(errors.empty()) << errors.front().to_string();
  for (auto& w : c.workloads) w.count = 2000;
  c.oracle.enabled = true;
  return c;
}

TEST(Tenants, EachVmsDeviceTranslatesThroughItsGuestOwnedTableOnANestedHwpt) {
  start_fresh_kernel();
  Platform p(two_tenants());
  p.run();
  EXPECT_EQ(p.stats().counter_value("workload.victim.completed"), 2000u);
  EXPECT_EQ(p.stats().counter_value("workload.neighbour.completed"), 2000u);
  EXPECT_EQ(p.stats().counter_value("iommu.faults.total"), 0u);
  EXPECT_EQ(p.oracle().violations(), 0u);
  // The guest laid its table out from the start of its memory: the nested
  // HWPT's first-level root is guest-physical 0, and each tenant has a
  // domain of its own.
  EXPECT_EQ(p.manager().page_table_root(p.ioas("iova_a")), 0u);
  EXPECT_EQ(p.manager().page_table_root(p.ioas("iova_b")), 0u);
  EXPECT_NE(p.manager().domain_id(p.ioas("iova_a")), p.manager().domain_id(p.ioas("iova_b")));
}

TEST(Tenants, AGuestOwnedTableNeedsItsGuestMemoryToItself) {
  PlatformConfig c = two_tenants();
  AddressSpaceParams other = c.address_spaces[1];
  other.name = "iova_a2";
  other.translation = "nested";
  c.address_spaces.push_back(other);
  EXPECT_TRUE(test::has_error(validate(c), "address_spaces[4].parent", "to itself"));
}

}  // namespace
}  // namespace iommu_sim
