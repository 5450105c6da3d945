// Parameters are declared once, as data: each block's parameter struct holds
// the values (the member initializer is the default) and a `visit` function
// that names every field with its unit, range, source and meaning. The same
// declaration drives the JSON loader, the effective-config dump in stats.json
// and the generated docs/parameters.md, so none of them can drift.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace iommu_sim {

// The upper bound of a number that states none: above any count, size or
// time a run can use, and below 2^63, so every bound is an exact integer.
inline constexpr double kDefaultParamMax = 1e18;
// The bound of a number that may be any 64-bit value (addresses and page
// counts a test sets anywhere, as iommufd's u64 fields take them); write
// such values as hex strings, which JSON numbers above 2^53 cannot hold.
inline constexpr double kAnyU64 = 0x1p64;

// The largest one mapping a config or a scenario step sets up: 64 GiB of
// 4 KiB pages is 16.8 M leaf writes, measured at 3.5 s and 145 MB of host
// memory; the set-up is not the study.
inline constexpr double kMaxMappingBytes = 64ull << 30;

// What is known about one parameter besides its value.
struct ParamSpec {
  std::string_view name;          // JSON key, e.g. "hit_latency_ns"
  std::string_view unit;          // "ns", "entries", "bytes", "GB/s", "" ...
  std::string_view source;        // where the default comes from
  std::string_view doc;           // what it does
  double min = 0;                 // inclusive lower bound (numbers only)
  double max = kDefaultParamMax;  // inclusive upper bound (numbers only)
  bool power_of_two = false;
  std::initializer_list<std::string_view> choices = {};  // strings only
};

// Describes a list of structured elements, e.g. "workloads".
struct ListSpec {
  std::string_view name;
  std::string_view doc;
  std::size_t min_size = 0;
  std::size_t max_size = 1u << 20;
};

// A visitor is any type with these members (see model/config_loader.h and
// model/param_doc.h):
//   void operator()(T& value, const ParamSpec&, std::string_view moves = {})
//                                                     for scalar fields; `moves`
//                                                     names the statistics the
//                                                     field changes
//   template <class S> void group(std::string_view name, S& sub, std::string_view doc)
//   template <class E> void list(std::vector<E>& items, const ListSpec&)
// Scalars are bool, std::uint32_t, std::uint64_t, double, std::string and
// std::vector<std::string> (a JSON array of strings).
// A std::uint64_t field also accepts strings: "0x1000", "4KiB", "1MiB", "2GiB".

}  // namespace iommu_sim
