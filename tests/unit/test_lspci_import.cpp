// `iommu-sim topo --import` (pcie/lspci_import.h): reading lspci -tv's
// columns and every common form of IOMMU group listing, what the skeleton
// guesses (bridge kinds, ACS, the kernel era) and says it guessed, and every
// kind of bad input refused with the file, line and reason.
#include <gtest/gtest.h>

#include <sstream>

#include "model/platform/platform_config.h"
#include "pcie/lspci_import.h"
#include "pcie/topology_report.h"

namespace iommu_sim {
namespace {

using nlohmann::ordered_json;

struct Imported {
  std::optional<ImportResult> result;
  ImportError error;
};

Imported import(const std::string& tree, const std::optional<std::string>& groups = {}) {
  Imported r;
  r.result = import_topology(tree, "tree.txt", groups, "groups.txt", r.error);
  return r;
}

// The error an input gives; fails the test when it imports.
std::string error_of(const std::string& tree, const std::optional<std::string>& groups = {}) {
  const Imported r = import(tree, groups);
  EXPECT_FALSE(r.result.has_value());
  return r.error.to_string();
}

const ordered_json& entry(const ordered_json& config, const char* list, const std::string& name) {
  for (const auto& e : config["pcie"][list]) {
    if (e["name"] == name) return e;
  }
  ADD_FAILURE() << "no " << list << " entry " << name;
  static const ordered_json none;
  return none;
}

// A desktop as lspci -tvnn draws one: a GPU behind the switch inside the
// card, a chipset switch with a NIC and an empty slot, a PCIe-to-PCI bridge
// with a conventional card, integrated devices on bus 00.
const std::string kDesktop =
    "-[0000:00]-+-00.0  AMD Root Complex [1022:14d8]\n"
    "           +-01.0  AMD Dummy Host Bridge [1022:14da]\n"
    "           +-01.1-[01-03]----00.0-[02-03]----00.0-[03]--+-00.0  Navi 31 [1002:744c]\n"
    "           |                                            \\-00.1  Navi 31 Audio [1002:ab30]\n"
    "           +-02.1-[04-07]----00.0-[05-07]--+-00.0-[06]--\n"
    "           |                               \\-0a.0-[07]----00.0  Intel I226-V [8086:125c]\n"
    "           +-02.2-[08-09]----00.0-[09]----02.0  Creative SB Audigy [1102:0004]\n"
    "           \\-14.3  AMD FCH LPC Bridge [1022:790e]\n";

TEST(LspciTree, ReadsTheColumnsLspciDraws) {
  ImportError error;
  const auto tree = parse_device_tree(listing_lines(kDesktop), "tree.txt", error);
  ASSERT_TRUE(tree) << error.to_string();
  std::vector<std::string> seen;
  for (const ListedDevice& d : tree->devices) {
    std::ostringstream line;
    line << d.bdf.to_string() << " line " << d.line << " below "
         << (d.parent < 0 ? "root"
                          : tree->devices[static_cast<std::size_t>(d.parent)].bdf.to_string());
    if (d.bridge) line << " bridge";
    if (d.vendor_id != 0) line << " " << std::hex << d.vendor_id << ":" << d.device_id;
    seen.push_back(line.str());
  }
  EXPECT_EQ(seen, (std::vector<std::string>{
                      "00:00.0 line 1 below root 1022:14d8",
                      "00:01.0 line 2 below root 1022:14da",
                      "00:01.1 line 3 below root bridge",
                      "01:00.0 line 3 below 00:01.1 bridge",
                      "02:00.0 line 3 below 01:00.0 bridge",
                      "03:00.0 line 3 below 02:00.0 1002:744c",
                      "03:00.1 line 4 below 02:00.0 1002:ab30",
                      "00:02.1 line 5 below root bridge",
                      "04:00.0 line 5 below 00:02.1 bridge",
                      "05:00.0 line 5 below 04:00.0 bridge",
                      "05:0a.0 line 6 below 04:00.0 bridge",
                      "07:00.0 line 6 below 05:0a.0 8086:125c",
                      "00:02.2 line 7 below root bridge",
                      "08:00.0 line 7 below 00:02.2 bridge",
                      "09:02.0 line 7 below 08:00.0 1102:4",
                      "00:14.3 line 8 below root 1022:790e",
                  }));
}

TEST(LspciImport, GuessesWhatEachBridgeIsAndPlacesEveryFunction) {
  const Imported r = import(kDesktop);
  ASSERT_TRUE(r.result) << r.error.to_string();
  const ordered_json& c = r.result->config;
  EXPECT_EQ(entry(c, "ports", "00:01.1")["kind"], "root_port");
  EXPECT_EQ(entry(c, "ports", "01:00.0")["kind"], "switch_upstream");
  EXPECT_EQ(entry(c, "ports", "02:00.0")["kind"], "downstream_port");
  EXPECT_EQ(entry(c, "ports", "05:0a.0")["devfn"], "0a.0");
  EXPECT_EQ(entry(c, "ports", "05:0a.0")["parent"], "04:00.0");
  EXPECT_EQ(entry(c, "ports", "08:00.0")["kind"], "pci_bridge");
  EXPECT_EQ(entry(c, "endpoints", "09:02.0")["kind"], "pci");
  EXPECT_EQ(entry(c, "endpoints", "09:02.0")["devfn"], "02.0");
  // A device's functions are one endpoint, named so that each function's
  // name is its listed BDF; on bus 00 every function is an item of its own.
  EXPECT_EQ(entry(c, "endpoints", "03:00")["function_numbers"], "0,1");
  EXPECT_EQ(entry(c, "endpoints", "03:00")["vendor_id"], "0x1002");
  EXPECT_EQ(entry(c, "endpoints", "03:00")["device_id"], "0x744c");
  EXPECT_EQ(entry(c, "endpoints", "00:00.0")["bar_size"], 0);
  EXPECT_EQ(entry(c, "endpoints", "00:01.0")["kind"], "rc_integrated");
  // Without a listing: no ACS, today's rules, no expectations.
  EXPECT_EQ(c["pcie"]["grouping"], "current");
  EXPECT_FALSE(c.contains("expect_groups"));
  EXPECT_FALSE(entry(c, "ports", "00:01.1").contains("acs_capability"));
  EXPECT_NE(c["description"].get<std::string>().find(
                "Without a group listing ACS is unknown: none is set"),
            std::string::npos);
  EXPECT_EQ(r.result->devices, 16u);
  EXPECT_EQ(c["attach"], ordered_json::array());
  EXPECT_EQ(c["workloads"], ordered_json::array());
}

TEST(LspciImport, LeavesOutWhatTheModelCannotPlaceAndSaysWhy) {
  const std::string tree =
      "-+-[0000:ff]---0b.0  Intel QPI Link Monitoring [8086:2f81]\n"
      " \\-[0000:00]-+-00.0  Intel DMI2 [8086:2f00]\n"
      "             +-01.0-[01]--+-00.0  Intel 82599 [8086:10fb]\n"
      "             |            \\-10.0  Intel 82599 Virtual Function [8086:10ed]\n"
      "             \\-02.0-[02-03]----00.0-[03]--+-00.0  Internal DMA engine\n"
      "                                          \\-01.0-[04]--\n";
  const Imported r = import(tree, "IOMMU Group 0: ff:0b.0 QPI\nIOMMU Group 1: 00:00.0 DMI2\n");
  ASSERT_TRUE(r.result) << r.error.to_string();
  const std::string d = r.result->config["description"];
  EXPECT_NE(d.find("Left out: ff:0b.0 (on root bus 0000:ff (one root bus, 0000:00, is "
                   "modelled)); 01:10.0 (device 10 on 00:01.0's link, which carries device 00 "
                   "only: a virtual or ARI function); 03:00.0 (an endpoint on switch 02:00.0's "
                   "internal bus, where the model has none)."),
            std::string::npos)
      << d;
  EXPECT_NE(d.find("Listed but left out: ff:0b.0."), std::string::npos) << d;
  EXPECT_EQ(r.result->left_out, 3u);
  EXPECT_EQ(r.result->config["expect_groups"], ordered_json({"00:00.0"}));
}

// A root port with a switch whose two downstream ports lead to a GPU and a
// NIC, as lspci -tv and a listing of either kernel era show it.
const std::string kSwitch =
    "-[0000:00]-+-00.0  Host bridge\n"
    "           \\-01.0-[01-04]----00.0-[02-04]--+-00.0-[03]----00.0  GPU\n"
    "                                           \\-01.0-[04]----00.0  NIC\n";

TEST(LspciImport, ChoosesTheKernelEraWhoseRulesGiveTheListedGroups) {
  // Before the 2025 rework each ACS-less downstream port forms a group with
  // what is below it; today's rules cannot keep them apart.
  const Imported legacy = import(kSwitch,
                                 "IOMMU Group 0: 00:00.0\nIOMMU Group 1: 00:01.0\n"
                                 "IOMMU Group 2: 01:00.0\nIOMMU Group 3: 02:00.0\n"
                                 "IOMMU Group 3: 03:00.0\nIOMMU Group 4: 02:01.0\n"
                                 "IOMMU Group 4: 04:00.0\n");
  ASSERT_TRUE(legacy.result) << legacy.error.to_string();
  EXPECT_EQ(legacy.result->grouping, "legacy");
  EXPECT_TRUE(legacy.result->unreproduced.empty());
  const ordered_json& l = legacy.result->config;
  EXPECT_EQ(entry(l, "ports", "00:01.0")["acs_control"], "sv,rr,cr,uf");
  EXPECT_FALSE(entry(l, "ports", "02:00.0").contains("acs_capability"));
  EXPECT_NE(l["description"].get<std::string>().find(
                "ACS as the listed groups ask under pcie.grouping legacy: ACS on: 00:01.0; no "
                "ACS: 02:00.0 02:01.0. pcie.grouping legacy computes 5 of the 5 listed groups as "
                "listed (current fewer)."),
            std::string::npos)
      << l["description"];

  // The rework puts the whole switch in one group when its downstream ports
  // lack ACS; the older walk never joins the upstream port to them.
  const Imported current = import(kSwitch,
                                  "IOMMU Group 0: 00:00.0\nIOMMU Group 1: 00:01.0\n"
                                  "IOMMU Group 2: 01:00.0\nIOMMU Group 2: 02:00.0\n"
                                  "IOMMU Group 2: 02:01.0\nIOMMU Group 2: 03:00.0\n"
                                  "IOMMU Group 2: 04:00.0\n");
  ASSERT_TRUE(current.result) << current.error.to_string();
  EXPECT_EQ(current.result->grouping, "current");
  EXPECT_TRUE(current.result->unreproduced.empty());
  EXPECT_FALSE(entry(current.result->config, "ports", "02:01.0").contains("acs_capability"));

  // Downstream ports in one group but the upstream port apart: today's
  // rules, with the ports' ACS capability present and its controls off.
  const Imported off = import(kSwitch,
                              "IOMMU Group 0: 00:00.0\nIOMMU Group 1: 00:01.0\n"
                              "IOMMU Group 2: 01:00.0\nIOMMU Group 3: 02:00.0\n"
                              "IOMMU Group 3: 02:01.0\nIOMMU Group 3: 03:00.0\n"
                              "IOMMU Group 3: 04:00.0\n");
  ASSERT_TRUE(off.result) << off.error.to_string();
  EXPECT_EQ(off.result->grouping, "current");
  EXPECT_EQ(entry(off.result->config, "ports", "02:00.0")["acs_capability"], "sv,rr,cr,uf");
  EXPECT_EQ(entry(off.result->config, "ports", "02:00.0")["acs_control"], "");
}

// Intel Cougar Point PCH root ports (pci_quirk_intel_pch_acs) as the group
// listing's lspci -nn lines identify them.
const std::string kPch =
    "-[0000:00]-+-00.0  Host bridge\n"
    "           +-1c.0-[01]----00.0  NIC\n"
    "           \\-1c.4-[02]----00.0  WiFi\n";

TEST(LspciImport, LinuxsQuirkDecidesWhereTheListingAgreesAndIsLeftOutWhereNot) {
  const Imported agrees =
      import(kPch,
             "IOMMU Group 0: 00:00.0 Host bridge [0600]: Intel DRAM Controller [8086:0100]\n"
             "IOMMU Group 1: 00:1c.0 PCI bridge [0604]: Intel Root Port 1 [8086:1c10] (rev b5)\n"
             "IOMMU Group 2: 00:1c.4 PCI bridge [0604]: Intel Root Port 5 [8086:1c18] (rev b5)\n"
             "IOMMU Group 3: 01:00.0 Ethernet controller [0200]: Realtek [10ec:8168]\n"
             "IOMMU Group 4: 02:00.0 Network controller [0280]: Atheros [168c:0032]\n");
  ASSERT_TRUE(agrees.result) << agrees.error.to_string();
  const ordered_json& a = agrees.result->config;
  EXPECT_EQ(entry(a, "ports", "00:1c.0")["device_id"], "0x1c10");
  EXPECT_FALSE(entry(a, "ports", "00:1c.0").contains("acs_capability"));
  EXPECT_NE(a["description"].get<std::string>().find(
                "ACS by Linux's quirk pci_quirk_intel_pch_acs: 00:1c.0 00:1c.4"),
            std::string::npos)
      << a["description"];

  // A kernel before the quirk (3.8, say) grouped the ports and what is
  // below them together: the IDs would split them, so they are left out.
  const Imported contradicts =
      import(kPch,
             "IOMMU Group 0: 00:00.0 Host bridge [0600]: Intel DRAM Controller [8086:0100]\n"
             "IOMMU Group 1: 00:1c.0 PCI bridge [0604]: Intel Root Port 1 [8086:1c10] (rev b5)\n"
             "IOMMU Group 1: 00:1c.4 PCI bridge [0604]: Intel Root Port 5 [8086:1c18] (rev b5)\n"
             "IOMMU Group 1: 01:00.0 Ethernet controller [0200]: Realtek [10ec:8168]\n"
             "IOMMU Group 1: 02:00.0 Network controller [0280]: Atheros [168c:0032]\n");
  ASSERT_TRUE(contradicts.result) << contradicts.error.to_string();
  const ordered_json& c = contradicts.result->config;
  EXPECT_EQ(contradicts.result->grouping, "legacy");
  EXPECT_TRUE(contradicts.result->unreproduced.empty());
  EXPECT_FALSE(entry(c, "ports", "00:1c.0").contains("device_id"));
  EXPECT_NE(c["description"].get<std::string>().find(
                "IDs left out, their Linux quirk contradicting the listing: 00:1c.0 00:1c.4"),
            std::string::npos)
      << c["description"];
}

TEST(LspciImport, ReportsTheListedGroupsItCannotReproduce) {
  // Two single-function devices on bus 00 never share a group.
  const Imported r =
      import("-[0000:00]-+-00.0  Host bridge\n           +-02.0  GPU\n           \\-03.0  Audio\n",
             "IOMMU Group 0: 00:00.0\nIOMMU Group 1: 00:02.0\nIOMMU Group 1: 00:03.0\n");
  ASSERT_TRUE(r.result) << r.error.to_string();
  EXPECT_EQ(r.result->listed_groups, 2u);
  EXPECT_EQ(r.result->unreproduced,
            (std::vector<std::string>{"listed 00:02.0 00:03.0; computed 00:02.0 | 00:03.0"}));
  EXPECT_NE(r.result->config["description"].get<std::string>().find(
                "computes 1 of the 2 listed groups as listed (current as many; legacy is taken "
                "on a tie, since kernels before the 2025 rework formed the groups people list). "
                "Not reproduced: listed 00:02.0 00:03.0; computed 00:02.0 | 00:03.0."),
            std::string::npos)
      << r.result->config["description"];
}

TEST(LspciImport, ReadsEveryCommonFormOfGroupListing) {
  const std::string tree =
      "-[0000:00]-+-00.0  Host\n           \\-01.0-[01]--+-00.0  GPU\n"
      "           |            \\-00.1  Audio\n";
  const ordered_json expected = {"00:00.0", "00:01.0 01:00.0 01:00.1"};
  for (const std::string& listing : {
           // The Arch wiki's loop, lspci -nns after the group.
           std::string(
               "IOMMU Group 0 00:00.0 Host bridge [0600]: Intel [8086:0150] (rev 09)\n"
               "IOMMU Group 1 00:01.0 PCI bridge [0604]: Intel [8086:0151] (rev 09)\n"
               "IOMMU Group 1 01:00.0 VGA compatible controller [0300]: NVIDIA [10de:1184]\n"
               "IOMMU Group 1 01:00.1 Audio device [0403]: NVIDIA [10de:0e0a]\n"),
           // With a colon after the group.
           std::string("IOMMU Group 0: 00:00.0 Host\nIOMMU Group 1: 00:01.0 Bridge\n"
                       "IOMMU Group 1: 01:00.0 VGA\nIOMMU Group 1: 01:00.1 Audio\n"),
           // Headings with the devices indented below, a cut marked "...".
           std::string("IOMMU Group 0:\n\t00:00.0 Host\nIOMMU Group 1:\n\t00:01.0 Bridge\n"
                       "        01:00.0 VGA\n        01:00.1 Audio\n...\n"),
           // find /sys/kernel/iommu_groups/ -type l
           std::string("/sys/kernel/iommu_groups/1/devices/0000:01:00.1\n"
                       "/sys/kernel/iommu_groups/0/devices/0000:00:00.0\n"
                       "/sys/kernel/iommu_groups/1/devices/0000:00:01.0\n"
                       "/sys/kernel/iommu_groups/1/devices/0000:01:00.0\n"),
           // dmesg, now and before Linux 5.4.
           std::string("[    0.5] pci 0000:00:00.0: Adding to iommu group 0\n"
                       "[    0.5] pci 0000:00:01.0: Adding to iommu group 1\n"
                       "[    4.7] iommu: Adding device 0000:01:00.0 to group 1\n"
                       "[    4.7] iommu: Adding device 0000:01:00.1 to group 1\n"),
           // IOMMU-viewer's.
           std::string("Group:  0   0000:00:00.0 Host\nGroup:  1   0000:00:01.0 Bridge\n"
                       "Group:  1   0000:01:00.0 VGA\nGroup:  1   0000:01:00.1 Audio\n"),
       }) {
    const Imported r = import(tree, listing);
    ASSERT_TRUE(r.result) << r.error.to_string() << "\n" << listing;
    EXPECT_EQ(r.result->config["expect_groups"], expected) << listing;
  }
  // The lspci -nn lines give the bridges their IDs, which lspci -tv omits.
  const Imported ids = import(
      tree, "IOMMU Group 1 00:01.0 PCI bridge [0604]: Intel Root Port [8086:0151] (rev 09)\n");
  ASSERT_TRUE(ids.result) << ids.error.to_string();
  EXPECT_EQ(entry(ids.result->config, "ports", "00:01.0")["device_id"], "0x0151");
}

TEST(LspciImport, TheTreeFileMayCarryItsListingAfterAnEmptyLine) {
  const std::string tree = "-[0000:00]-+-00.0  Host\n           \\-01.0-[01]----00.0  NIC\n";
  const std::string listing =
      "IOMMU Group 0: 00:00.0\nIOMMU Group 1: 00:01.0\n"
      "IOMMU Group 2: 01:00.0\n";
  const Imported r = import(tree + "\n" + listing);
  ASSERT_TRUE(r.result) << r.error.to_string();
  EXPECT_EQ(r.result->config["expect_groups"], ordered_json({"00:00.0", "00:01.0", "01:00.0"}));
  EXPECT_EQ(error_of(tree + "\n" + listing, listing),
            "tree.txt:4: a group listing follows the tree here, and --groups gives groups.txt as "
            "well: give one");
}

TEST(LspciImport, BadInputNamesTheFileTheLineAndWhy) {
  const std::string tree = "-[0000:00]-+-00.0  Host\n           \\-01.0-[01]----00.0  NIC\n";
  const std::vector<std::pair<std::string, std::string>> trees = {
      {"",
       "tree.txt:1: no tree: the file is empty or blank; expected the tree lspci -tv or lspci "
       "-tvnn prints"},
      {"\n\n",
       "tree.txt:1: no tree: the file is empty or blank; expected the tree lspci -tv or "
       "lspci -tvnn prints"},
      {"$ lspci -tv\n" + tree,
       "tree.txt:1: not the top of a PCI tree: lspci -tv's starts with \"-[0000:00]-\" (or "
       "\"-+-[0000:00]-\" with several root buses), iommu-sim topo's with \"[0000:00] root "
       "complex\" (got \"$ lspci -tv\")"},
      {"-[0000:00]-+-00.0  Host\n           \\-1g.0  GPU\n",
       "tree.txt:2: expected a device and function \"dd.f\" (hex, device 00-1f, function 0-7) at "
       "column 14 (got \"1g.0  GPU\")"},
      {"-[0000:00]-+-00.0  Host\n           +-20.0  GPU\n",
       "tree.txt:2: expected a device and function \"dd.f\" (hex, device 00-1f, function 0-7) at "
       "column 14 (got \"20.0  GPU\")"},
      {"-[0000:00]-+-00.0  Host\n           +-01.0-[01]----00.0  NIC\n",
       "tree.txt:2: the tree ends before the next device of bus 00 (\"+-\" or \"\\-\" at column "
       "12) "
       "that a line above promises with \"+-\""},
      {"-[0000:00]-+-00.0  Host\n          \\-01.0  NIC\n",
       "tree.txt:2: expected only ' ' and '|' before column 12, where the next device of bus 00 "
       "starts (got \"          \\-01.0  NIC\")"},
      {"-[0000:00]-+-00.0  Host\n           \\-01.0-[1]----00.0  NIC\n",
       "tree.txt:2: expected a bridge's bus range \"-[ss]-\" or \"-[ss-ee]-\" at column 18 (got "
       "\"-[1]----00.0  NIC\")"},
      {"-[0000:00]-+-00.0  Host\n           \\-01.0 NIC\n",
       "tree.txt:2: expected the device's name after two spaces, or the end of the line, at column "
       "18 (got \" NIC\")"},
      {"-[0000:00]-+-00.0  Host\n           +-00.0  Again\n           \\-01.0  NIC\n",
       "tree.txt:2: lists 00:00.0 a second time (first on line 1)"},
      {tree + "IOMMU Group 1: 01:00.0\n",
       "tree.txt:3: not a line of the tree, which ended on line 2 (a group listing may follow it "
       "after an empty line): \"IOMMU Group 1: 01:00.0\""},
      {"[0000:00] root complex (pcie.grouping legacy)\n+-00:01.0 rp0 (root port) group 0\n"
       "    \\-01:00.0 nic (endpoint) group 1\n",
       "tree.txt:3: indented 2 levels below the root, deeper than the line above allows"},
      {"[0000:00] root complex (pcie.grouping legacy)\n+-00:01.0 rp0 (root port) group 0\n"
       "  +01:00.0 nic (endpoint) group 1\n",
       "tree.txt:3: expected \"+-\" or \"\\-\" after the indentation (\"| \" or \"  \" per bridge "
       "above) at column 3 (got \"  +01:00.0 nic (endpoint) group 1\")"},
      {"[0000:00] root complex\n+-00:01.0 rp0 (root hub) group 0\n",
       "tree.txt:2: expected \"BB:DD.F NAME (KIND)\", KIND one of root port, switch upstream port, "
       "switch downstream port, PCIe-to-PCI bridge, endpoint, RC integrated endpoint, PCI device "
       "(got \"00:01.0 rp0 (root hub) group 0\")"},
      {"[0000:00] root complex\n\\-00:02.0 gpu (RC integrated endpoint) BAR c0000000+zz group 0\n",
       "tree.txt:2: unexpected \"c0000000+zz\" in iommu-sim topo's device line (expected bus, "
       "window, BAR, RID, [vendor:device], ACS, egress or group)"},
  };
  for (const auto& [text, message] : trees) EXPECT_EQ(error_of(text), message) << text;

  const std::vector<std::pair<std::string, std::string>> listings = {
      {"", "groups.txt:1: no IOMMU group: the listing is empty or names none"},
      {"IOMMU Group 0: 00:00.0 Host\nlspci -nn says hello\n",
       "groups.txt:2: not a line of an IOMMU group listing: expected \"IOMMU Group N: BB:DD.F "
       "...\" (as lspci -nns prints the device), an \"IOMMU Group N:\" heading with indented "
       "devices below, \"/sys/kernel/iommu_groups/N/devices/DDDD:BB:DD.F\", dmesg's \"Adding to "
       "iommu group N\" or iommu-sim topo's \"group N: ...\""},
      {"IOMMU Group 0: 00:0g.0 Host\n",
       "groups.txt:1: \"00:0g.0\" is not a PCI address (BB:DD.F or DDDD:BB:DD.F, hex; device "
       "00-1f, function 0-7)"},
      {"/sys/kernel/iommu_groups/7/devices/0000:00:1c.8\n",
       "groups.txt:1: \"0000:00:1c.8\" is not a PCI address (BB:DD.F or DDDD:BB:DD.F, hex; device "
       "00-1f, function 0-7)"},
      {"IOMMU Group 0: 00:00.0 Host\nIOMMU Group 3: 05:00.0 NIC\n",
       "groups.txt:2: 0000:05:00.0 is not in the tree in tree.txt"},
      {"IOMMU Group 0: 00:00.0 Host\nIOMMU Group 3: 0000:00:00.0 Host\n",
       "groups.txt:2: 0000:00:00.0 is listed a second time (first on line 1)"},
      {"\t01:00.0 NIC\n", "groups.txt:1: an indented line before any \"IOMMU Group N:\" heading"},
      {"IOMMU Group x: 01:00.0 NIC\n",
       "groups.txt:1: expected a group number after \"IOMMU Group \""},
      {"IOMMU Group 1: 01:00.0 NIC [10ec:8168]\nIOMMU Group 2: 00:01.0 Bridge\n"
       "IOMMU Group 0: 00:00.0 Host\n",
       ""},
  };
  for (const auto& [text, message] : listings) {
    if (message.empty()) {
      EXPECT_TRUE(import(tree, text).result) << text;
    } else {
      EXPECT_EQ(error_of(tree, text), message) << text;
    }
  }
  // The listing's IDs and the tree's must agree.
  EXPECT_EQ(error_of("-[0000:00]-+-00.0  Host\n           \\-01.0-[01]----00.0  NIC [10ec:8168]\n",
                     "IOMMU Group 2: 01:00.0 Ethernet [0200]: Intel [8086:10d3]\n"),
            "groups.txt:1: lists 01:00.0 as [8086:10d3], tree.txt:2 as [10ec:8168]");
}

TEST(LspciImport, WhatCannotBeModelledNamesTheDevicesLine) {
  // 256 functions on bus 00: the config holds 255 endpoints.
  std::string tree = "-[0000:00]-+-00.0  Host\n";
  for (int dev = 0; dev < 32; ++dev) {
    for (int fn = dev == 0 ? 1 : 0; fn < 8; ++fn) {
      char line[64];
      std::snprintf(line, sizeof line, "           %s-%02x.%x  Device\n",
                    dev == 31 && fn == 7 ? "\\" : "+", dev, fn);
      tree += line;
    }
  }
  EXPECT_EQ(
      error_of(tree),
      "tree.txt:1: cannot be modelled: pcie.endpoints: must have between 1 and 255 elements (got "
      "256)");
}

// A topo printout states what lspci does not: importing one gives back the
// config it was printed from, SR-IOV functions included.
TEST(LspciImport, ATopoPrintoutImportsAsItsConfig) {
  PlatformConfig c;
  ASSERT_TRUE(load_config(nlohmann::json::parse(R"({
      "pcie": {"grouping": "legacy",
               "ports": [{"name": "rp0", "kind": "root_port", "acs_capability": "sv,rr,cr,uf",
                          "acs_control": "sv,rr,cr,uf"},
                         {"name": "rp1", "kind": "root_port", "devfn": "1c.0",
                          "vendor_id": "0x8086", "device_id": "0x1c10"}],
               "endpoints": [{"name": "nic", "parent": "rp0",
                              "sriov": {"vfs": 3, "first_vf_offset": 128, "vf_stride": 2}},
                             {"name": "mei", "kind": "rc_integrated", "devfn": "16.0",
                              "function_numbers": "0,3", "bar_size": "16KiB"},
                             {"name": "wifi", "parent": "rp1", "bar_size": "64KiB"}]},
      "attach": [], "workloads": []})"),
                          c)
                  .empty());
  Topology t;
  ASSERT_TRUE(build_topology(c.pcie, t).empty());
  const std::string printed = topology_tree(t) + "\nIOMMU groups:\n" + iommu_groups_listing(t);
  const Imported r = import(printed);
  ASSERT_TRUE(r.result) << r.error.to_string() << "\n" << printed;
  PlatformConfig back;
  const auto errors = load_config(nlohmann::json::parse(r.result->config.dump()), back);
  ASSERT_TRUE(errors.empty()) << errors.front().to_string();
  Topology again;
  ASSERT_TRUE(build_topology(back.pcie, again).empty());
  EXPECT_EQ(topology_tree(again) + "\nIOMMU groups:\n" + iommu_groups_listing(again), printed);
  EXPECT_EQ(entry(r.result->config, "endpoints", "nic")["sriov"],
            ordered_json::parse(R"({"vfs": 3, "first_vf_offset": 128, "vf_stride": 2,
                                    "vf_bar_size": "16KiB"})"));
  // The quirk decides rp1's ACS: it is written without registers.
  EXPECT_FALSE(entry(r.result->config, "ports", "rp1").contains("acs_capability"));
  EXPECT_EQ(r.result->grouping, "legacy");
}

}  // namespace
}  // namespace iommu_sim
