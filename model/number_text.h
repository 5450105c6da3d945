// Numbers as text that reads back exactly, for every message and file that
// shows a user a number: a rounded "%g" can make a refused value look equal
// to its bound ("between 0 and 1.04858e+06 (got 1.04858e+06)").
#pragma once

#include <array>
#include <charconv>
#include <string>

namespace iommu_sim {

// The shortest text from which strtod gives back exactly `v`
// (std::to_chars): 0.1 as "0.1", 3.0 as "3", 1048577 as "1048577", 1e-7 as
// "1e-07".
inline std::string shortest_number(double v) {
  std::array<char, 32> buf{};
  const auto result = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  return {buf.data(), result.ptr};
}

}  // namespace iommu_sim
