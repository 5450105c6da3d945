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

// What is known about one parameter besides its value.
struct ParamSpec {
  std::string_view name;    // JSON key, e.g. "hit_latency_ns"
  std::string_view unit;    // "ns", "entries", "bytes", "GB/s", "" ...
  std::string_view source;  // where the default comes from
  std::string_view doc;     // what it does
  double min = 0;           // inclusive lower bound (numbers only)
  double max = 1e18;        // inclusive upper bound (numbers only)
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
