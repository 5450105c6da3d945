// The steps that call the ioasid manager, one function each, as the
// action table (scenario/actions.cpp) names them.
#include <bit>

#include "model/hex.h"
#include "model/host/iommufd_uapi.h"
#include "scenario/iommufd_names.h"
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

// check_* made sure these parse.
std::uint32_t bits(const std::vector<std::string>& texts, std::span<const NamedValue> names) {
  std::string why;
  return named_bits(texts, names, why).value_or(0);
}
std::uint32_t value(const std::string& text, std::span<const NamedValue> names) {
  std::string why;
  return named_value(text, names, why).value_or(0);
}

std::string flag_text(const std::vector<std::string>& flags) {
  std::string out;
  for (const auto& f : flags) out += (out.empty() ? "" : "|") + f;
  return out.empty() ? "0" : out;
}

// IOMMU_HWPT_ALLOC's data: the type named (or the action's default) and
// its length (or the type's size).
HwptAlloc hwpt_args(const StepParams& s, std::uint32_t flags, std::uint32_t default_type) {
  HwptAlloc a;
  a.flags = flags;
  a.data_type =
      s.given.contains("data_type") ? value(s.data_type, hwpt_data_names()) : default_type;
  a.data_len = s.given.contains("data_len")             ? s.data_len
               : a.data_type == iommufd::kHwptDataVtdS1 ? iommufd::kHwptVtdS1Size
                                                        : 0;
  return a;
}

std::string named_hwpt(StepRunner& r, const StepParams& s, const Status& st, HwptId pt) {
  if (st.ok() && !s.name.empty()) r.name_object(s.name, pt);
  return s.name.empty() || !st.ok() ? std::string() : " (hwpt " + s.name + ")";
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
  if (s.given.contains("context")) {
    o.owner = r.context(s.context);
    what += " owned by " + s.context;
  }
  const IoasCreated c = r.manager().create_ioas(o);
  if (c.status.ok()) r.name_object(s.name, c.id);
  return describe(c.status);
}

std::string run_ioas_destroy(StepRunner& r, const StepParams& s, std::string& what) {
  what = "ioas_destroy " + s.ioas;
  return describe(r.manager().destroy_ioas(r.object(s.ioas)));
}

// The outcome of a map whose IOVA the manager chose: the report shows it,
// and the step's name stands for it from now on.
static std::string chosen(StepRunner& r, const StepParams& s, const IoasidManager::Mapped& m,
                          std::string& what) {
  if (m.status.ok()) {
    what += " -> " + hex(m.iova) + (s.name.empty() ? "" : " (" + s.name + ")");
    if (!s.name.empty()) r.name_iova(s.name, m.iova);
  }
  return describe(m.status);
}

std::string run_map(StepRunner& r, const StepParams& s, std::string& what) {
  if (s.given.contains("flags")) {
    what = "map " + s.ioas + " " + hex(s.length) + " bytes flags " + flag_text(s.flags) +
           (s.given.contains("iova") ? " iova " + hex(s.iova) : std::string());
    return chosen(
        r, s,
        r.manager().map_user(r.object(s.ioas), bits(s.flags, map_flag_names()), s.iova, s.length),
        what);
  }
  const char* access = s.writable ? " rw" : " ro";
  if (s.given.contains("iova")) {
    what = "map " + s.ioas + " " + range(s.iova, s.length) + access;
    const Status st = r.manager().map(r.object(s.ioas), s.iova, s.length, s.writable);
    if (st.ok() && !s.name.empty()) r.name_iova(s.name, s.iova);
    return describe(st);
  }
  what = "map " + s.ioas + " " + hex(s.length) + " bytes" + access + " anywhere";
  return chosen(r, s, r.manager().map_anywhere(r.object(s.ioas), s.length, s.writable), what);
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

std::string run_allow_iovas(StepRunner& r, const StepParams& s, std::string& what) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;
  std::string text;
  for (const IovaRangeParams& p : s.ranges) {
    ranges.emplace_back(p.start, p.last);
    text += (text.empty() ? "" : ", ") + hex(p.start) + "-" + hex(p.last);
  }
  what = "allow_iovas " + s.ioas + " [" + text + "]";
  return describe(r.manager().allow_iovas(r.object(s.ioas), ranges));
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
  const std::uint32_t flags =
      bits(s.flags, hwpt_flag_names()) | (s.nest_parent ? iommufd::kHwptAllocNestParent : 0u);
  if (s.given.contains("flags")) what += " flags " + flag_text(s.flags);
  const HwptAlloc args = hwpt_args(s, flags, iommufd::kHwptDataNone);
  const IoasCreated c =
      r.manager().alloc_hwpt(r.context(s.context), s.label, r.object(s.ioas), args);
  if (c.status.ok()) r.name_object(s.name, c.id);
  return describe(c.status);
}

std::string run_hwpt_alloc_nested(StepRunner& r, const StepParams& s, std::string& what) {
  what = "hwpt_alloc_nested " + s.name + " on " + s.parent + " with " + s.table + " for " + who(s);
  const GuestPageTable* t = r.table(s.table);
  if (t == nullptr) return "ENOENT: guest table " + s.table + " was not created";
  HwptAlloc args = hwpt_args(s, bits(s.flags, hwpt_flag_names()), iommufd::kHwptDataVtdS1);
  args.stage1 = VtdStage1{.root_gpa = t->root(), .levels = t->levels()};
  if (s.given.contains("flags") || s.given.contains("data_type") || s.given.contains("data_len")) {
    what += " (flags " + flag_text(s.flags) + ", data type " + std::to_string(args.data_type) +
            ", " + std::to_string(args.data_len) + " bytes)";
  }
  const IoasCreated c =
      r.manager().alloc_hwpt(r.context(s.context), s.label, r.object(s.parent), args);
  if (c.status.ok()) r.name_object(s.name, c.id);
  return describe(c.status);
}

std::string run_hwpt_destroy(StepRunner& r, const StepParams& s, std::string& what) {
  what = "hwpt_destroy " + s.hwpt;
  return describe(r.manager().destroy_hwpt(r.object(s.hwpt)));
}

std::string run_attach(StepRunner& r, const StepParams& s, std::string& what) {
  what = "attach " + who(s) + pasid(s) + " -> " + s.to;
  HwptId pt = 0;
  const Status st =
      r.manager().attach_device(r.context(s.context), s.label, s.pasid, r.object(s.to), &pt);
  what += named_hwpt(r, s, st, pt);
  return describe(st);
}

std::string run_replace(StepRunner& r, const StepParams& s, std::string& what) {
  what = "replace " + who(s) + pasid(s) + " -> " + s.to;
  HwptId pt = 0;
  const Status st =
      r.manager().replace_device(r.context(s.context), s.label, s.pasid, r.object(s.to), &pt);
  what += named_hwpt(r, s, st, pt);
  return describe(st);
}

std::string run_detach(StepRunner& r, const StepParams& s, std::string& what) {
  what = "detach " + who(s) + pasid(s);
  return describe(r.manager().detach_device(r.context(s.context), s.label, s.pasid));
}

std::string run_invalidate(StepRunner& r, const StepParams& s, std::string& what) {
  HwptInvalidation inv;
  inv.label = s.label;
  const bool narrowed = s.given.contains("pasid");
  if (narrowed) inv.pasid = s.pasid;
  if (s.given.contains("data_type")) inv.data_type = value(s.data_type, invalidate_data_names());
  std::string entries;
  auto add = [&](std::uint64_t addr, std::uint64_t npages, std::uint32_t flags,
                 std::uint32_t reserved) {
    inv.entries.push_back({addr, npages, flags, reserved});
    entries += (entries.empty() ? "" : ", ") +
               (npages == ~0ull && addr == 0 ? std::string("all")
                                             : hex(addr) + " x" + std::to_string(npages)) +
               ((flags & iommufd::kVtdInvFlagsLeaf) != 0 ? " leaf" : "");
  };
  if (s.given.contains("entries")) {
    for (const InvalidationEntryParams& e : s.entries) {
      add(e.addr, e.npages, bits(e.flags, entry_flag_names()), e.reserved);
    }
    entries = "[" + entries + "]";
  } else {
    add(s.addr, s.npages, s.leaf ? iommufd::kVtdInvFlagsLeaf : 0u, 0);
  }
  std::uint32_t processed = 0;
  const Status st =
      r.manager().invalidate_hwpt(r.context(s.context), r.object(s.hwpt), inv, processed);
  what = "invalidate " + s.hwpt + " " + entries + (s.label.empty() ? "" : " label " + s.label) +
         (narrowed ? pasid(s) : "") + ", processed " + std::to_string(processed);
  if (s.given.contains("processed") && processed != s.processed) {
    return "processed " + std::to_string(processed) + " entries, expected " +
           std::to_string(s.processed) + " (" + describe(st) + ")";
  }
  return describe(st);
}

void check_map(const StepParams& s, const StepFail& fail) {
  std::string why;
  if (!named_bits(s.flags, map_flag_names(), why)) fail("flags", why);
  if (s.given.contains("flags") && s.given.contains("writable")) {
    fail("writable",
         "say writeable among the flags instead; a map step with flags takes no "
         "writable");
  }
}

void check_hwpt_alloc(const StepParams& s, const StepFail& fail) {
  std::string why;
  if (!named_bits(s.flags, hwpt_flag_names(), why)) fail("flags", why);
  if (s.given.contains("data_type") && !named_value(s.data_type, hwpt_data_names(), why)) {
    fail("data_type", why);
  }
}

void check_invalidate(const StepParams& s, const StepFail& fail) {
  std::string why;
  if (s.given.contains("data_type") && !named_value(s.data_type, invalidate_data_names(), why)) {
    fail("data_type", why);
  }
  for (std::size_t i = 0; i < s.entries.size(); ++i) {
    if (!named_bits(s.entries[i].flags, entry_flag_names(), why)) {
      fail("entries[" + std::to_string(i) + "].flags", why);
    }
  }
  if (s.given.contains("entries")) {
    for (const char* single : {"addr", "npages", "leaf"}) {
      if (s.given.contains(single)) {
        fail(single,
             "give the entry inside entries; a step with entries takes no " + std::string(single));
      }
    }
  }
}

}  // namespace iommu_sim
