// Turns parameter declarations into the rows of docs/parameters.md. The
// default shown is the value a default-constructed struct holds, so the docs
// are generated from the same line that sets the default.
#pragma once

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "model/param.h"

namespace iommu_sim {

struct ParamDocRow {
  std::string path, unit, default_value, range, source, doc, moves;
};

class ParamDocCollector {
 public:
  ParamDocCollector(std::string prefix, std::vector<ParamDocRow>& rows)
      : prefix_(std::move(prefix)), rows_(rows) {}

  template <class T>
  void operator()(T& value, const ParamSpec& spec, std::string_view moves = {}) {
    ParamDocRow row;
    row.path = join(spec.name);
    row.unit = std::string(spec.unit);
    row.default_value = nlohmann::json(value).dump();
    row.range = range_of<T>(spec);
    row.source = std::string(spec.source);
    row.doc = std::string(spec.doc);
    row.moves = std::string(moves);
    rows_.push_back(std::move(row));
  }
  template <class S>
  void group(std::string_view name, S& sub, std::string_view) {
    ParamDocCollector nested(join(name), rows_);
    sub.visit(nested);
  }
  template <class E>
  void list(std::vector<E>& items, const ListSpec& spec) {
    E element{};
    ParamDocCollector nested(join(spec.name) + "[]", rows_);
    element.visit(nested);
  }

 private:
  std::string join(std::string_view name) const {
    return prefix_.empty() ? std::string(name) : prefix_ + "." + std::string(name);
  }
  template <class T>
  static std::string range_of(const ParamSpec& spec) {
    std::ostringstream os;
    if constexpr (std::is_same_v<T, std::string>) {
      bool first = true;
      for (auto c : spec.choices) {
        os << (first ? "" : ", ") << c;
        first = false;
      }
    } else if constexpr (std::is_same_v<T, bool>) {
      os << "true, false";
    } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
      os << "list of strings";
    } else {
      os << spec.min << " .. " << spec.max;
      if (spec.power_of_two) os << ", power of two";
    }
    return os.str();
  }
  std::string prefix_;
  std::vector<ParamDocRow>& rows_;
};

}  // namespace iommu_sim
