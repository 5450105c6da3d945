#include "scenario/actions.h"

#include <algorithm>
#include <map>
#include <sstream>

#include "scenario/step_runner.h"

namespace iommu_sim {

namespace {

using enum Outcomes;
using enum NameKind;

// "do", "at_ns" and "expect" go with every action.
const std::vector<Action>& action_table() {
  static const std::vector<Action> table{
      Action{"open",
             {"context"},
             {},
             Errno,
             "context",
             Context,
             "opens a context (an open `/dev/iommu`) and names it",
             run_open},
      Action{"close",
             {"context"},
             {},
             Errno,
             {},
             None,
             "detaches everything the context attached and releases its devices and groups",
             run_close},
      Action{"bind",
             {"context", "device", "label"},
             {},
             Errno,
             {},
             None,
             "binds a PCI function under a label, claiming its IOMMU group",
             run_bind},
      Action{"ioas_alloc",
             {"name"},
             {"context", "translation", "levels", "page_size"},
             Errno,
             "name",
             Ioas,
             "creates an IOAS with its own page table and domain, owned by `context` (closing it "
             "destroys the IOAS) or, without one, by the platform",
             run_ioas_alloc},
      Action{"ioas_destroy",
             {"ioas"},
             {},
             Errno,
             {},
             None,
             "destroys an IOAS nothing uses",
             run_ioas_destroy},
      Action{"map",
             {"ioas", "length"},
             {"iova", "name", "writable", "flags"},
             Errno,
             "name",
             Iova,
             "maps fresh memory at `iova`, or without it at the lowest free IOVA aligned to the "
             "IOAS's page size (IOMMU_IOAS_MAP without FIXED_IOVA), which `name` then stands for; "
             "with `flags`, exactly IOMMU_IOAS_MAP's flags (FIXED_IOVA takes `iova`)",
             run_map,
             check_map},
      Action{"copy",
             {"ioas", "iova", "src_ioas", "src_iova", "length"},
             {},
             Errno,
             {},
             None,
             "maps at `iova` of `ioas` the memory `src_ioas` maps at `src_iova` (IOMMU_IOAS_COPY)",
             run_copy},
      Action{"unmap",
             {"ioas", "iova", "length"},
             {},
             Errno,
             {},
             None,
             "unmaps whole mappings in the range (strict or lazy per `host.unmap`)",
             run_unmap},
      Action{"reserve",
             {"ioas", "iova", "length"},
             {},
             Errno,
             {},
             None,
             "forbids the range for mappings, as a device's reserved region does",
             run_reserve},
      Action{"allow_iovas",
             {"ioas", "ranges"},
             {},
             Errno,
             {},
             None,
             "replaces the IOAS's allowed ranges (IOMMU_IOAS_ALLOW_IOVAS): automatic IOVAs come "
             "only from them; `[]` allows everything again",
             run_allow_iovas},
      Action{"iova_ranges",
             {"ioas", "ranges"},
             {},
             Compared,
             {},
             None,
             "reads the ranges mappings may use (IOMMU_IOAS_IOVA_RANGES); they must be exactly "
             "`ranges`, in order: `{\"start\", \"last\"}`, both inclusive",
             run_iova_ranges},
      Action{"hwpt_alloc",
             {"name", "context", "label", "ioas"},
             {"nest_parent", "flags", "data_type", "data_len"},
             Errno,
             "name",
             Hwpt,
             "a paging HWPT on an IOAS for the IOMMU of the labelled device (IOMMU_HWPT_ALLOC; "
             "`nest_parent` is the NEST_PARENT flag)",
             run_hwpt_alloc,
             check_hwpt_alloc},
      Action{"hwpt_alloc_nested",
             {"name", "context", "label", "parent", "table"},
             {"flags", "data_type", "data_len"},
             Errno,
             "name",
             Hwpt,
             "a nested HWPT: the guest table `table` (struct iommu_hwpt_vtd_s1) over the "
             "nest-parent HWPT `parent`",
             run_hwpt_alloc_nested,
             check_hwpt_alloc},
      Action{"hwpt_destroy",
             {"hwpt"},
             {},
             Errno,
             {},
             None,
             "destroys a HWPT nothing uses",
             run_hwpt_destroy},
      Action{"attach",
             {"context", "label", "to"},
             {"pasid", "name"},
             Errno,
             "name",
             Hwpt,
             "points (device, PASID) at an IOAS or HWPT; `name` names the HWPT it uses (for an "
             "IOAS, the automatic one iommufd reports in pt_id)",
             run_attach},
      Action{"replace",
             {"context", "label", "to"},
             {"pasid", "name"},
             Errno,
             "name",
             Hwpt,
             "moves an attached (device, PASID) in one step; `name` as attach's",
             run_replace},
      Action{"detach",
             {"context", "label"},
             {"pasid"},
             Errno,
             {},
             None,
             "returns (device, PASID) to the blocking domain",
             run_detach},
      Action{"invalidate",
             {"context", "hwpt"},
             {"label", "pasid", "addr", "npages", "leaf", "entries", "data_type", "processed"},
             Errno,
             {},
             None,
             "the user's invalidation of a nested HWPT (IOMMU_HWPT_INVALIDATE), narrowed to a "
             "device and a PASID: one entry (`addr`, `npages`, `leaf`; without `npages` "
             "everything) or an array `entries` of `{\"addr\", \"npages\", \"flags\", "
             "\"reserved\"}`, handled in order up to the first bad one; `processed` checks how "
             "many were",
             run_invalidate,
             check_invalidate},
      Action{"guest_table",
             {"name", "ioas", "base"},
             {"levels"},
             Errno,
             "name",
             Table,
             "a guest's first-level table in the guest memory the IOAS maps, its pages taken "
             "upward from guest-physical `base`",
             run_guest_table},
      Action{"guest_map",
             {"table", "iova", "gpa", "length"},
             {"writable"},
             Errno,
             {},
             None,
             "the guest writes 4 KiB PTEs; nobody invalidates",
             run_guest_map},
      Action{"guest_unmap",
             {"table", "iova", "length"},
             {},
             Errno,
             {},
             None,
             "the guest clears PTEs; nobody invalidates",
             run_guest_unmap},
      Action{"dma",
             {"device", "iova"},
             {"pasid", "pasid_present", "write", "size"},
             Dma,
             {},
             None,
             "one DMA from the function, waited for; must not cross a 4 KiB page",
             run_dma,
             check_dma},
      Action{
          "faults",
          {"context", "faults"},
          {},
          Compared,
          {},
          None,
          "reads the context's fault queue; it must hold exactly the listed faults, in order: "
          "`{\"label\", \"reason\": \"0x71\", \"address\"}` (`address` compared only when given)",
          run_faults,
          check_faults},
  };
  return table;
}

// The default each field's declaration names, for the docs' brackets.
struct FieldDefaults {
  std::map<std::string_view, std::string_view> source;
  template <class T>
  void operator()(T&, const ParamSpec& spec, std::string_view = {}) {
    source[spec.name] = spec.source;
  }
  template <class E>
  void list(std::vector<E>&, const ListSpec&) {}
};

}  // namespace

std::span<const Action> actions() {
  return action_table();
}

const Action* find_action(std::string_view name) {
  const auto& table = action_table();
  const auto it =
      std::find_if(table.begin(), table.end(), [&](const Action& a) { return a.name == name; });
  return it == table.end() ? nullptr : &*it;
}

bool takes(const Action& a, std::string_view field) {
  return std::find(a.required.begin(), a.required.end(), field) != a.required.end() ||
         std::find(a.optional.begin(), a.optional.end(), field) != a.optional.end();
}

std::string actions_markdown() {
  StepParams declared;
  FieldDefaults defaults;
  declared.visit(defaults);
  std::ostringstream os;
  os << "| `do` | required | optional | what it does |\n|---|---|---|---|\n";
  for (const Action& a : action_table()) {
    os << "| `" << a.name << "` | ";
    const char* sep = "";
    for (auto f : a.required) {
      os << sep << "`" << f << "`";
      sep = ", ";
    }
    os << " | ";
    sep = "";
    for (auto f : a.optional) {
      os << sep << "`" << f << "`";
      if (const auto d = defaults.source[f]; !d.empty()) os << " (" << d << ")";
      sep = ", ";
    }
    os << " | " << a.does << " |\n";
  }
  return os.str();
}

}  // namespace iommu_sim
