// The binary targets' seeds (make_seeds writes them into the corpus):
// named inputs built from valid tables and descriptors, each showing one
// kind of translation or invalidation, or one edge case.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "fuzz/invalidation_input.h"
#include "fuzz/translator_input.h"

namespace iommu_sim::fuzz {

std::vector<std::pair<std::string, TranslatorInput>> translator_seeds();
std::vector<std::pair<std::string, InvalidationOps>> invalidation_seeds();

}  // namespace iommu_sim::fuzz
