// The steps that call the ioasid manager, one function each, as the
// action table (scenario/actions.cpp) names them.
#include <bit>

#include "model/hex.h"
#include "scenario/step_runner.h"

namespace iommu_sim {

namespace {

std::string who(const StepParams& s) {
  return s.context + "/" + s.label;
}
std::string pasid(const StepParams& s) {
  return " pasid " + std::to_string(s.pasid);
}
std::string range(std::uint64_t iova, std::uint64_t length) {
  return hex(iova) + "+" + hex(length);
}

}  // namespace

std::string run_open(StepRunner& r, const StepParams& s, std::string& what) {
  what = "open " + s.context;
  r.name_context(s.context, r.manager().open_context());
  return "ok";
}

std::string run_close(StepRunner& r, const StepParams& s, std::string& what) {
  what = "close " + s.context;
  return describe(r.manager().close_context(r.context(s.context)));
}

std::string run_bind(StepRunner& r, const StepParams& s, std::string& what) {
  what = "bind " + s.device + " as " + who(s);
  return describe(r.manager().bind(r.context(s.context), s.device, s.label));
}

std::string run_ioas_alloc(StepRunner& r, const StepParams& s, std::string& what) {
  what =
      "ioas_alloc " + s.name + " (" + s.translation + ", " + std::to_string(s.levels) + " levels)";
  IoasOptions o;
  o.translation =
      s.translation == "second_level" ? IoasTranslation::SecondLevel : IoasTranslation::FirstLevel;
  o.levels = s.levels;
  // A size that is not a power of two becomes shift 0, which create_ioas
  // refuses with EINVAL.
  o.max_page_shift = std::has_single_bit(s.page_size)
                         ? static_cast<std::uint8_t>(std::countr_zero(s.page_size))
                         : 0;
  const IoasCreated c = r.manager().create_ioas(o);
  if (c.status.ok()) r.name_object(s.name, c.id);
  return describe(c.status);
}

std::string run_ioas_destroy(StepRunner& r, const StepParams& s, std::string& what) {
  what = "ioas_destroy " + s.ioas;
  return describe(r.manager().destroy_ioas(r.object(s.ioas)));
}

std::string run_map(StepRunner& r, const StepParams& s, std::string& what) {
  const char* access = s.writable ? " rw" : " ro";
  if (s.given.contains("iova")) {
    what = "map " + s.ioas + " " + range(s.iova, s.length) + access;
    const Status st = r.manager().map(r.object(s.ioas), s.iova, s.length, s.writable);
    if (st.ok() && !s.name.empty()) r.name_iova(s.name, s.iova);
    return describe(st);
  }
  const auto m = r.manager().map_anywhere(r.object(s.ioas), s.length, s.writable);
  what = "map " + s.ioas + " " + hex(s.length) + " bytes" + access + " anywhere";
  if (m.status.ok()) {
    what += " -> " + hex(m.iova) + (s.name.empty() ? "" : " (" + s.name + ")");
    if (!s.name.empty()) r.name_iova(s.name, m.iova);
  }
  return describe(m.status);
}

std::string run_copy(StepRunner& r, const StepParams& s, std::string& what) {
  what = "copy " + s.src_ioas + " " + range(s.src_iova, s.length) + " -> " + s.ioas + " " +
         hex(s.iova);
  return describe(
      r.manager().copy(r.object(s.ioas), s.iova, r.object(s.src_ioas), s.src_iova, s.length));
}

std::string run_unmap(StepRunner& r, const StepParams& s, std::string& what) {
  what = "unmap " + s.ioas + " " + range(s.iova, s.length);
  return describe(r.manager().unmap(r.object(s.ioas), s.iova, s.length));
}

std::string run_reserve(StepRunner& r, const StepParams& s, std::string& what) {
  what = "reserve " + s.ioas + " " + range(s.iova, s.length);
  return describe(r.manager().reserve(r.object(s.ioas), s.iova, s.length));
}

std::string run_iova_ranges(StepRunner& r, const StepParams& s, std::string& what) {
  what = "iova_ranges " + s.ioas;
  const auto got = r.manager().iova_ranges(r.object(s.ioas));
  auto text = [](auto first, auto last, auto start, auto end) {
    std::string out;
    for (auto it = first; it != last; ++it) {
      out += (out.empty() ? "" : ", ") + hex(start(*it)) + "-" + hex(end(*it));
    }
    return "[" + out + "]";
  };
  const std::string read = text(
      got.begin(), got.end(), [](const auto& p) { return p.first; },
      [](const auto& p) { return p.second; });
  const std::string want = text(
      s.ranges.begin(), s.ranges.end(), [](const IovaRangeParams& p) { return p.start; },
      [](const IovaRangeParams& p) { return p.last; });
  what += " " + read;
  return read == want ? "ok" : "EFAULT: read " + read + ", expected " + want;
}

std::string run_hwpt_alloc(StepRunner& r, const StepParams& s, std::string& what) {
  what = "hwpt_alloc " + s.name + " on " + s.ioas + " for " + who(s) +
         (s.nest_parent ? " (nest parent)" : "");
  const IoasCreated c =
      r.manager().alloc_hwpt(r.context(s.context), s.label, r.object(s.ioas), s.nest_parent);
  if (c.status.ok()) r.name_object(s.name, c.id);
  return describe(c.status);
}

std::string run_hwpt_alloc_nested(StepRunner& r, const StepParams& s, std::string& what) {
  what = "hwpt_alloc_nested " + s.name + " on " + s.parent + " with " + s.table + " for " + who(s);
  const GuestPageTable* t = r.table(s.table);
  if (t == nullptr) return "ENOENT: guest table " + s.table + " was not created";
  const VtdStage1 stage1{.root_gpa = t->root(), .levels = t->levels()};
  const IoasCreated c =
      r.manager().alloc_nested_hwpt(r.context(s.context), s.label, r.object(s.parent), stage1);
  if (c.status.ok()) r.name_object(s.name, c.id);
  return describe(c.status);
}

std::string run_hwpt_destroy(StepRunner& r, const StepParams& s, std::string& what) {
  what = "hwpt_destroy " + s.hwpt;
  return describe(r.manager().destroy_hwpt(r.object(s.hwpt)));
}

std::string run_attach(StepRunner& r, const StepParams& s, std::string& what) {
  what = "attach " + who(s) + pasid(s) + " -> " + s.to;
  return describe(
      r.manager().attach_device(r.context(s.context), s.label, s.pasid, r.object(s.to)));
}

std::string run_replace(StepRunner& r, const StepParams& s, std::string& what) {
  what = "replace " + who(s) + pasid(s) + " -> " + s.to;
  return describe(
      r.manager().replace_device(r.context(s.context), s.label, s.pasid, r.object(s.to)));
}

std::string run_detach(StepRunner& r, const StepParams& s, std::string& what) {
  what = "detach " + who(s) + pasid(s);
  return describe(r.manager().detach_device(r.context(s.context), s.label, s.pasid));
}

std::string run_invalidate(StepRunner& r, const StepParams& s, std::string& what) {
  UserInvalidation inv;
  inv.label = s.label;
  const bool narrowed = s.given.contains("pasid");
  if (narrowed) inv.pasid = s.pasid;
  inv.addr = s.addr;
  inv.npages = s.npages;
  inv.leaf = s.leaf;
  what = "invalidate " + s.hwpt + " " +
         (s.npages == ~0ull ? std::string("all") : hex(s.addr) + " x" + std::to_string(s.npages)) +
         (s.label.empty() ? "" : " label " + s.label) + (narrowed ? pasid(s) : "") +
         (s.leaf ? " leaf" : "");
  return describe(r.manager().invalidate_hwpt(r.context(s.context), r.object(s.hwpt), inv));
}

}  // namespace iommu_sim
