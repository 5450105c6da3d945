// libFuzzer target: what `iommu-sim run FILE` does with a scenario before it
// runs (apps/main.cpp scenario(), apps/scenario.cpp): parse the JSON, then
// parse_scenario: the platform loaded and validated, every step loaded and
// checked against it (names created before they are used, devices in the
// topology), the expected statistics read; then switch_off_bugs, as
// --without-bugs does. The simulation is not run: a scenario runs as long
// as its steps make it, and what reads the file's fields is the parsing and
// the checks. Any input must end in a scenario or in errors that name a
// field and a reason.
#include <cstddef>
#include <cstdint>

#include "apps/scenario.h"
#include "fuzz/json_input.h"

using namespace iommu_sim;
using namespace iommu_sim::fuzz;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto j = parse_input(data, size);
  if (!j || names_absolute_file(*j, "platform")) return -1;
  ScenarioSpec spec;
  const auto errors = parse_scenario(*j, kNoDirectory, spec);
  check_errors(errors);
  if (errors.empty()) switch_off_bugs(spec);
  return 0;
}
