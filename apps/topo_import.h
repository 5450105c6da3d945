// `iommu-sim topo --import LSPCI_FILE [--groups GROUPS_FILE] [--out
// CONFIG.json]`: a config skeleton from a machine's lspci -tv(nn) tree and
// IOMMU group listing (pcie/lspci_import.h), written to --out or stdout;
// what it decided and which listed groups it cannot reproduce go to
// stderr. On any error it writes nothing.
#pragma once

#include <string>

namespace iommu_sim {

struct TopoImportArgs {
  std::string tree_file;
  std::string groups_file;  // empty: none
  std::string out;          // empty: stdout
};

// The exit status: 0, or 2 for input that cannot be read or placed, 1 when
// --out cannot be written.
int topo_import_command(const TopoImportArgs& args);

}  // namespace iommu_sim
