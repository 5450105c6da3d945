// libFuzzer target: what `iommu-sim --config FILE` does with the file's
// bytes before anything is built (apps/main.cpp load(), apps/json_file.cpp):
// parse the JSON, load every field (model/config_loader.*) and validate the
// platform (model/platform/platform_config.cpp), then count the work a run
// will do (the progress line's total). Any input must end in a config or in
// errors that name a field and a reason. A config that loads must also dump
// and load back to itself: stats.json records the dump, and a sweep sets
// its axes in the dump of its base config (apps/sweep.cpp).
#include <cstddef>
#include <cstdint>

#include "fuzz/json_input.h"
#include "model/platform/platform_config.h"
#include "model/platform/resource_estimate.h"

using namespace iommu_sim;
using namespace iommu_sim::fuzz;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto j = parse_input(data, size);
  if (!j) return -1;  // not JSON: nothing of ours ran, keep it out of the corpus
  PlatformConfig config;
  const auto errors = load_config(*j, config);
  check_errors(errors);
  if (!errors.empty()) return 0;
  expected_work(config);
  const nlohmann::json dumped = dump_config(config);
  PlatformConfig again;
  const auto reloaded = load_config(dumped, again);
  if (!reloaded.empty())
    fail("a loaded config's dump does not load: " + reloaded.front().to_string());
  if (dump_config(again) != dumped) fail("a loaded config's dump loads as another config");
  return 0;
}
