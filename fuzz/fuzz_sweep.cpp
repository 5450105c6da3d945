// libFuzzer target: what `iommu-sim sweep FILE` does before the first run
// (apps/main.cpp sweep(), apps/sweep.cpp): parse the JSON with its keys in
// the file's order (the axes' order), parse_sweep, then expand_sweep: every
// combination of axis values set at its dotted path in the base config,
// then loaded and validated. (check_sweep_stats, which builds a platform
// to look the statistic names up, is left out.) Any input must end in
// points or in errors that name a field and a reason, and a sweep that
// expands has one point per combination, each with one value per axis.
//
// expand_sweep bounds neither the number of points (the product of the
// axes' lengths) nor that product's overflow; an input with more than
// kMaxPoints is left out, so that an exec stays short and small.
#include <cstddef>
#include <cstdint>

#include "apps/sweep.h"
#include "fuzz/json_input.h"

using namespace iommu_sim;
using namespace iommu_sim::fuzz;

namespace {

constexpr std::size_t kMaxPoints = 16;

std::size_t points_of(const SweepSpec& spec) {
  std::size_t total = 1;
  for (const auto& axis : spec.axes) {
    if (axis.second.size() > kMaxPoints / total) return kMaxPoints + 1;
    total *= axis.second.size();
  }
  return total;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto j = parse_input<nlohmann::ordered_json>(data, size);
  if (!j || names_absolute_file(*j, "base")) return -1;
  SweepSpec spec;
  auto errors = parse_sweep(*j, kNoDirectory, spec);
  check_errors(errors);
  if (!errors.empty()) return 0;
  const std::size_t expected = points_of(spec);
  if (expected > kMaxPoints) return -1;
  std::vector<SweepPoint> points;
  errors = expand_sweep(spec, points);
  check_errors(errors);
  if (!errors.empty()) return 0;
  if (points.size() != expected) {
    fail("a sweep of " + std::to_string(expected) + " combinations expanded to " +
         std::to_string(points.size()) + " points");
  }
  for (const SweepPoint& p : points) {
    if (p.values.size() != spec.axes.size()) fail("a point without one value per axis");
  }
  return 0;
}
