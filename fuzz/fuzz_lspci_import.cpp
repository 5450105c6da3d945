// libFuzzer target: `iommu-sim topo --import` (pcie/lspci_import.*, the
// lspci -tv reader pcie/lspci_tree.*, the group listing reader
// pcie/group_listing.*, the ACS fit pcie/acs_fit.*). The input is the tree
// file's text, then, after the first NUL byte if there is one, the group
// listing's: any text must end in a skeleton or in an error naming one of
// the two files, a line within it and a reason. A skeleton must load as a
// config (load_config: every field, validate, expect_groups' names), parse
// back from the text the command writes, and compute as many of the listed
// groups as the import says it does.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "fuzz/fail.h"
#include "fuzz/json_input.h"
#include "model/platform/platform_config.h"
#include "pcie/expected_groups.h"
#include "pcie/lspci_import.h"

using namespace iommu_sim;
using namespace iommu_sim::fuzz;

namespace {

// Lines as an editor numbers them: a last line without a newline counts,
// and an empty file has line 1.
int lines_in(std::string_view text) {
  const auto newlines = static_cast<int>(std::count(text.begin(), text.end(), '\n'));
  return newlines + (text.empty() || text.back() != '\n' ? 1 : 0);
}

void check_error(const ImportError& e, std::string_view tree,
                 const std::optional<std::string>& groups) {
  if (e.reason.empty()) fail("an import error without a reason: " + e.to_string());
  int lines = 0;
  if (e.file == "tree") {
    lines = lines_in(tree);
  } else if (e.file == "groups" && groups) {
    lines = lines_in(*groups);
  } else {
    fail("an import error naming no input file: " + e.to_string());
  }
  if (e.line < 1 || e.line > lines) fail("an import error beyond its file: " + e.to_string());
}

void check_skeleton(const ImportResult& r) {
  std::string why;
  const auto written = parse_json(skeleton_text(r.config), why);
  if (!written) fail("the skeleton's text is not JSON: " + why);
  if (*written != nlohmann::json::parse(r.config.dump()))
    fail("the skeleton's text is not the skeleton");
  PlatformConfig config;
  const auto errors = load_config(*written, config);
  check_errors(errors);
  if (!errors.empty()) fail("the skeleton does not load: " + errors.front().to_string());
  if (config.expect_groups.size() != r.listed_groups)
    fail("the skeleton lists other groups than the import read");
  Topology t;
  if (!build_topology(config.pcie, t).empty()) fail("the skeleton's topology does not build");
  const GroupComparison c = compare_expected_groups(t, split_expected_groups(config.expect_groups));
  if (c.differences != r.unreproduced)
    fail("the skeleton computes other groups than the import reported");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t nul = input.find('\0');
  const std::string_view tree = input.substr(0, nul);
  std::optional<std::string> groups;
  if (nul != std::string_view::npos) groups = std::string(input.substr(nul + 1));
  ImportError error;
  const auto result = import_topology(tree, "tree", groups, "groups", error);
  if (result) {
    check_skeleton(*result);
  } else {
    check_error(error, tree, groups);
  }
  return 0;
}
