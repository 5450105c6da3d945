#include "apps/topo_import.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>

#include "model/json_input.h"
#include "pcie/lspci_import.h"

namespace iommu_sim {

namespace {

constexpr int kExitInputError = 2;

// The skeleton goes to a temporary file next to --out first, so that a
// write that fails half way leaves no half-written config behind.
bool write_out(const std::string& out, const std::string& text) {
  const std::filesystem::path path(out);
  std::filesystem::path temp = path;
  temp += ".part";
  {
    std::ofstream f(temp, std::ios::binary);
    if (!(f << text) || !f.flush()) {
      std::error_code ignored;
      std::filesystem::remove(temp, ignored);
      return false;
    }
  }
  std::error_code ec;
  std::filesystem::rename(temp, path, ec);
  if (ec) std::filesystem::remove(temp, ec);
  return !ec;
}

}  // namespace

int topo_import_command(const TopoImportArgs& args) {
  std::string why;
  const auto tree = read_text_file(args.tree_file, why);
  if (!tree) {
    std::cerr << "iommu-sim: --import: " << why << "\n";
    return kExitInputError;
  }
  std::optional<std::string> groups;
  if (!args.groups_file.empty()) {
    groups = read_text_file(args.groups_file, why);
    if (!groups) {
      std::cerr << "iommu-sim: --groups: " << why << "\n";
      return kExitInputError;
    }
  }
  ImportError error;
  const auto imported = import_topology(*tree, args.tree_file, groups, args.groups_file, error);
  if (!imported) {
    std::cerr << "iommu-sim: import error: " << error.to_string() << "\n";
    return kExitInputError;
  }
  const std::string text = skeleton_text(imported->config);
  if (args.out.empty()) {
    std::cout << text;
  } else if (!write_out(args.out, text)) {
    std::cerr << "iommu-sim: --out: cannot write " << args.out << "\n";
    return 1;
  }
  std::cerr << "iommu-sim: imported " << imported->devices << " functions and ports";
  if (imported->left_out != 0) std::cerr << " (" << imported->left_out << " devices left out)";
  std::cerr << "; pcie.grouping " << imported->grouping;
  if (imported->listed_groups != 0) {
    std::cerr << " computes " << imported->listed_groups - imported->unreproduced.size() << " of "
              << imported->listed_groups << " listed groups as listed";
  }
  std::cerr << "\n";
  for (const std::string& d : imported->unreproduced) {
    std::cerr << "iommu-sim: not reproduced: " << d << "\n";
  }
  return 0;
}

}  // namespace iommu_sim
