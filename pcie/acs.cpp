#include "pcie/acs.h"

#include <array>
#include <cctype>
#include <utility>

namespace iommu_sim::acs {

namespace {
constexpr std::array<std::pair<std::string_view, std::uint8_t>, 7> kNames{
    {{"sv", kSv}, {"tb", kTb}, {"rr", kRr}, {"cr", kCr}, {"uf", kUf}, {"ec", kEc}, {"dt", kDt}}};
}

std::optional<std::uint8_t> parse(std::string_view text) {
  std::uint8_t bits = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find(',', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string token;
    for (char c : text.substr(pos, end - pos)) {
      if (c != ' ') token += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    bool known = false;
    for (const auto& [name, bit] : kNames) {
      if (token == name) {
        bits |= bit;
        known = true;
      }
    }
    if (!known) return std::nullopt;
    pos = end + 1;
  }
  return bits;
}

std::string to_string(std::uint8_t bits) {
  std::string out;
  for (const auto& [name, bit] : kNames) {
    if ((bits & bit) == 0) continue;
    if (!out.empty()) out += ' ';
    for (char c : name) out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out.empty() ? "-" : out;
}

}  // namespace iommu_sim::acs
