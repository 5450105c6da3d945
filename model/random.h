// The random engine and distributions every seeded draw of the model uses.
// The C++ standard fixes its engines' output bit for bit but not its
// distributions': libstdc++ and libc++ turn the same engine output into
// different values, so results would change with the standard library a
// build links. Boost.Random's distributions are one implementation on every
// toolchain, so the same config and seed give the same stats.json wherever
// it is built.
#pragma once

#include <boost/random/bernoulli_distribution.hpp>
#include <boost/random/mersenne_twister.hpp>
#include <boost/random/uniform_int_distribution.hpp>
#include <boost/random/uniform_real_distribution.hpp>

namespace iommu_sim {

using Rng = boost::random::mt19937_64;
using boost::random::bernoulli_distribution;
using boost::random::uniform_int_distribution;
using boost::random::uniform_real_distribution;

}  // namespace iommu_sim
