#include "pcie/expected_groups.h"

#include <algorithm>
#include <map>
#include <set>

namespace iommu_sim {

std::vector<std::vector<std::string>> split_expected_groups(
    const std::vector<std::string>& entries) {
  std::vector<std::vector<std::string>> out;
  for (const std::string& e : entries) {
    std::vector<std::string> names;
    std::size_t at = 0;
    while (at < e.size()) {
      const std::size_t end = std::min(e.find(' ', at), e.size());
      if (end > at) names.push_back(e.substr(at, end - at));
      at = end + 1;
    }
    out.push_back(std::move(names));
  }
  return out;
}

std::vector<ConfigError> check_expected_group_names(const Topology& t,
                                                    const std::vector<std::string>& entries) {
  std::vector<ConfigError> errors;
  std::map<std::string, std::size_t> seen;  // name -> entry
  const auto groups = split_expected_groups(entries);
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const std::string path = "expect_groups[" + std::to_string(g) + "]";
    if (groups[g].empty()) errors.push_back({path, "names no device"});
    for (const std::string& name : groups[g]) {
      if (t.find(name) < 0) {
        errors.push_back({path, "no port or function named \"" + name + "\""});
      } else if (const auto [at, fresh] = seen.emplace(name, g); !fresh) {
        errors.push_back({path, "\"" + name + "\" is in expect_groups[" +
                                    std::to_string(at->second) + "] already"});
      }
    }
  }
  return errors;
}

GroupComparison compare_expected_groups(const Topology& t,
                                        const std::vector<std::vector<std::string>>& expected) {
  GroupComparison c;
  c.listed = expected.size();
  std::set<std::string> named;
  for (const auto& g : expected) named.insert(g.begin(), g.end());
  // The named devices of each computed group, in probe order.
  std::map<int, std::vector<std::string>> computed;
  for (const TopoNode& n : t.nodes) {
    if (named.contains(n.name)) computed[n.group].push_back(n.name);
  }
  for (const auto& g : expected) {
    std::vector<int> touched;  // computed groups of its members, first seen first
    for (const std::string& name : g) {
      const int i = t.find(name);
      const int group = i < 0 ? -1 : t.nodes[i].group;
      if (std::find(touched.begin(), touched.end(), group) == touched.end()) {
        touched.push_back(group);
      }
    }
    const std::set<std::string> listed(g.begin(), g.end());
    if (touched.size() == 1 && touched[0] >= 0 &&
        std::set<std::string>(computed[touched[0]].begin(), computed[touched[0]].end()) == listed) {
      continue;
    }
    std::string line = "listed";
    for (const std::string& name : g) line += " " + name;
    line += "; computed";
    for (std::size_t k = 0; k < touched.size(); ++k) {
      if (k != 0) line += " |";
      if (touched[k] < 0) {
        line += " (not in the topology)";
        continue;
      }
      for (const std::string& name : computed[touched[k]]) line += " " + name;
    }
    c.differences.push_back(line);
  }
  return c;
}

std::string expected_groups_report(const GroupComparison& c) {
  std::string out = "expect_groups: " + std::to_string(c.reproduced()) + " of " +
                    std::to_string(c.listed) + " listed groups computed as listed\n";
  for (const std::string& d : c.differences) out += "expect_groups: " + d + "\n";
  return out;
}

}  // namespace iommu_sim
