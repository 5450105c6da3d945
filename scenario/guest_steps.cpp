// The steps a guest takes on its own first-level table: it writes and
// clears entries in its memory and tells nobody (the scenario's later
// invalidate step does, or does not).
#include <stdexcept>

#include "model/hex.h"
#include "scenario/step_runner.h"

namespace iommu_sim {

namespace {

constexpr std::uint64_t kPage = 4096;

// A table page or entry outside the guest's memory is EFAULT, as a guest
// writing past its RAM would fault.
template <class F>
std::string guest_write(F&& write) {
  try {
    return write();
  } catch (const std::out_of_range& e) {
    return std::string("EFAULT: ") + e.what();
  }
}

std::string change_entries(StepRunner& r, const StepParams& s, bool map) {
  GuestPageTable* t = r.table(s.table);
  if (t == nullptr) return "ENOENT: guest table " + s.table + " was not created";
  if (s.iova % kPage || s.gpa % kPage || s.length % kPage || s.length == 0) {
    return "EINVAL: iova, gpa and length must be non-zero multiples of 4 KiB";
  }
  return guest_write([&] {
    for (std::uint64_t off = 0; off < s.length; off += kPage) {
      if (map) {
        t->map(s.iova + off, s.gpa + off, 12, s.writable);
      } else {
        t->unmap(s.iova + off);
      }
    }
    return std::string("ok");
  });
}

}  // namespace

std::string run_guest_table(StepRunner& r, const StepParams& s, std::string& what) {
  what = "guest_table " + s.name + " in " + s.ioas + " from gpa " + hex(s.base);
  if (s.levels != 4 && s.levels != 5) return "EINVAL: a first-level table has 4 or 5 levels";
  if (s.base % kPage != 0) return "EINVAL: base must be 4 KiB aligned";
  return guest_write([&] {
    r.add_table(s.name, std::make_unique<GuestPageTable>(r.platform().host_bus(), r.manager(),
                                                         r.object(s.ioas), s.base, s.levels));
    return std::string("ok");
  });
}

std::string run_guest_map(StepRunner& r, const StepParams& s, std::string& what) {
  what = "guest_map " + s.table + " " + hex(s.iova) + "+" + hex(s.length) + " -> gpa " + hex(s.gpa);
  return change_entries(r, s, true);
}

std::string run_guest_unmap(StepRunner& r, const StepParams& s, std::string& what) {
  what = "guest_unmap " + s.table + " " + hex(s.iova) + "+" + hex(s.length);
  return change_entries(r, s, false);
}

}  // namespace iommu_sim
