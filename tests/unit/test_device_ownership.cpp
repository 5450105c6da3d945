// DeviceOwnership: contexts bind devices and claim their groups; a device
// is attachable only with its whole group bound; faults go to every
// binding of their requester.
#include "model/host/device_ownership.h"

#include <gtest/gtest.h>

namespace iommu_sim {
namespace {

DeviceOwnership three_devices() {
  DeviceOwnership o;
  // a and b share group 1 (as behind an ACS-less switch); c is in a group
  // of its own but shares a's requester ID, as a bridge alias would.
  o.set_devices(
      {{"a", Bdf{1, 0, 0}, 1, false}, {"b", Bdf{1, 0, 1}, 1, true}, {"c", Bdf{1, 0, 0}, 2, false}});
  return o;
}

TEST(DeviceOwnership, BindRefusesWithTheErrnoIommufdGives) {
  DeviceOwnership o = three_devices();
  const ContextId one = o.open(), two = o.open();
  EXPECT_EQ(o.bind(99, "a", "x").code, EBADF);
  EXPECT_EQ(o.bind(one, "nope", "x").code, ENOENT);
  EXPECT_EQ(o.bind(one, "a", "").code, EINVAL);
  ASSERT_TRUE(o.bind(one, "a", "x").ok());
  EXPECT_EQ(o.bind(one, "c", "x").code, EEXIST);
  const Status twice = o.bind(two, "a", "y");
  EXPECT_EQ(twice.code, EINVAL);
  EXPECT_NE(twice.message.find("context 1"), std::string::npos);
  // b is unbound, but its group is context one's.
  const Status owned = o.bind(two, "b", "y");
  EXPECT_EQ(owned.code, EPERM);
  EXPECT_NE(owned.message.find("group 1 is owned by context 1"), std::string::npos);
  ASSERT_TRUE(o.bind(two, "c", "y").ok());
}

TEST(DeviceOwnership, AGroupMustBeWhollyBoundAndCloseGivesItUp) {
  DeviceOwnership o = three_devices();
  const ContextId one = o.open(), two = o.open();
  ASSERT_TRUE(o.bind(one, "a", "x").ok());
  const auto bound = o.find_bound(one, "x");
  ASSERT_TRUE(bound.status.ok());
  const Status partial = o.check_group_bound(*bound.context, bound.device);
  EXPECT_EQ(partial.code, EPERM);
  EXPECT_NE(partial.message.find(": b"), std::string::npos);
  ASSERT_TRUE(o.bind(one, "b", "z").ok());
  EXPECT_TRUE(o.check_group_bound(*bound.context, bound.device).ok());
  EXPECT_EQ(o.find_bound(one, "nope").status.code, ENOENT);
  o.close(one);
  EXPECT_EQ(o.find(one), nullptr);
  EXPECT_TRUE(o.bind(two, "b", "b").ok());
}

TEST(DeviceOwnership, FaultsGoToEveryBindingOfTheRequesterAndNoOther) {
  DeviceOwnership o = three_devices();
  const ContextId one = o.open(), two = o.open();
  ASSERT_TRUE(o.bind(one, "a", "x").ok());
  ASSERT_TRUE(o.bind(two, "c", "y").ok());
  iommu::vtd::FaultRecord read;
  read.sid = Bdf{1, 0, 0}.rid();
  read.fr = 0x71;
  read.fi = 0x5000;
  read.t = true;
  iommu::vtd::FaultRecord write = read;
  write.sid = Bdf{1, 0, 1}.rid();  // b: unbound, nobody's
  write.t = false;
  o.deliver({read, write});
  const auto& mine = o.find(one)->faults;
  const auto& theirs = o.find(two)->faults;
  ASSERT_EQ(mine.size(), 1u);
  ASSERT_EQ(theirs.size(), 1u);
  EXPECT_EQ(mine[0].label, "x");
  EXPECT_EQ(theirs[0].label, "y");
  EXPECT_EQ(mine[0].reason, 0x71);
  EXPECT_EQ(mine[0].page, 0x5000u);
  EXPECT_FALSE(mine[0].write);
  EXPECT_EQ(o.device_tlb(Bdf{1, 0, 1}), (Bdf{1, 0, 1}));
  EXPECT_EQ(o.device_tlb(Bdf{1, 0, 0}), std::nullopt);
}

}  // namespace
}  // namespace iommu_sim
