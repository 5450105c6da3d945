// SystemC allows one elaboration and one simulation per kernel instance.
// Tests and benchmarks build many platforms in one process, so they start
// each on a fresh kernel. The old kernel is kept alive (not deleted): the
// SystemC library's own static events refer to the first kernel at exit.
#pragma once

namespace iommu_sim {

void start_fresh_kernel();

}  // namespace iommu_sim
