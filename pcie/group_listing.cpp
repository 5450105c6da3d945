#include "pcie/group_listing.h"

#include <algorithm>
#include <map>

namespace iommu_sim {

namespace {

constexpr int kMaxGroup = 1 << 20;  // far above any machine's group count

std::string_view trim_left(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  return s;
}

std::string_view first_word(std::string_view s) {
  return s.substr(0, s.find_first_of(" \t"));
}

// A decimal group number at the start of `s`; `used` says how many
// characters it took.
std::optional<int> group_number(std::string_view s, std::size_t& used) {
  used = 0;
  int n = 0;
  while (used < s.size() && s[used] >= '0' && s[used] <= '9') {
    n = n * 10 + (s[used] - '0');
    if (n > kMaxGroup) return std::nullopt;
    ++used;
  }
  if (used == 0) return std::nullopt;
  return n;
}

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(s[i]) != lower(prefix[i])) return false;
  }
  return true;
}

class ListingReader {
 public:
  ListingReader(const std::vector<std::string>& lines, const std::string& file, ImportError& error)
      : lines_(lines), error_(error) {
    listing_.file = file;
  }

  std::optional<GroupListing> read(std::size_t first) {
    for (std::size_t i = first; i < lines_.size(); ++i) {
      if (!read_line(i)) return std::nullopt;
    }
    if (groups_.empty()) {
      error_ = {listing_.file, static_cast<int>(std::min(first, lines_.size())) + 1,
                "no IOMMU group: the listing is empty or names none"};
      return std::nullopt;
    }
    for (auto& [number, members] : groups_) listing_.groups.push_back({number, std::move(members)});
    return std::move(listing_);
  }

 private:
  bool fail(std::size_t i, std::string reason) {
    error_ = {listing_.file, static_cast<int>(i) + 1, std::move(reason)};
    return false;
  }

  bool read_line(std::size_t i) {
    const std::string_view s = lines_[i];
    const std::string_view t = trim_left(s);
    // "..." is how people mark the part of a listing they left out.
    if (t.empty() || t == "..." || t == "IOMMU groups:" || t.starts_with("expect_groups:")) {
      return true;
    }
    std::size_t used = 0;
    if (starts_with_nocase(t, "IOMMU Group ")) {
      std::string_view rest = t.substr(12);
      const auto n = group_number(rest, used);
      if (!n) return fail(i, "expected a group number after \"IOMMU Group \"");
      rest = rest.substr(used);
      if (rest.starts_with(":")) rest.remove_prefix(1);
      if (!rest.empty() && rest.front() != ' ' && rest.front() != '\t') {
        return fail(i, "expected a space or ':' after the group number");
      }
      rest = trim_left(rest);
      heading_ = *n;
      if (rest.empty()) return true;  // a heading; its members follow indented
      return member(i, *n, first_word(rest), rest);
    }
    if (s.front() == ' ' || s.front() == '\t') {
      if (heading_ < 0) {
        return fail(i, "an indented line before any \"IOMMU Group N:\" heading");
      }
      return member(i, heading_, first_word(t), t);
    }
    if (t.starts_with("/sys/kernel/iommu_groups/")) {
      std::string_view rest = t.substr(25);
      const auto n = group_number(rest, used);
      if (!n || !rest.substr(used).starts_with("/devices/")) {
        return fail(i, "expected /sys/kernel/iommu_groups/N/devices/DDDD:BB:DD.F");
      }
      return member(i, *n, rest.substr(used + 9), {});
    }
    if (t.starts_with("group ")) return topo_group(i, t.substr(6));
    if (t.starts_with("Group:")) {
      const std::string_view rest = trim_left(t.substr(6));
      const auto n = group_number(rest, used);
      if (!n) return fail(i, "expected a group number after \"Group:\"");
      const std::string_view after = trim_left(rest.substr(used));
      return member(i, *n, first_word(after), after);
    }
    if (const std::size_t at = t.find(": Adding to iommu group "); at != std::string_view::npos) {
      const auto n = group_number(t.substr(at + 24), used);
      const std::size_t word = t.rfind(' ', at);
      if (!n) return fail(i, "expected a group number after \"Adding to iommu group \"");
      return member(i, *n,
                    t.substr(word == std::string_view::npos ? 0 : word + 1,
                             at - (word == std::string_view::npos ? 0 : word + 1)),
                    {});
    }
    if (const std::size_t at = t.find("Adding device "); at != std::string_view::npos) {
      const std::string_view rest = t.substr(at + 14);
      const std::string_view address = first_word(rest);
      const std::string_view after = rest.substr(address.size());
      if (!after.starts_with(" to group ")) {
        return fail(i, "expected \"Adding device DDDD:BB:DD.F to group N\"");
      }
      const auto n = group_number(after.substr(10), used);
      if (!n) return fail(i, "expected a group number after \"to group \"");
      return member(i, *n, address, {});
    }
    return fail(i,
                "not a line of an IOMMU group listing: expected \"IOMMU Group N: BB:DD.F "
                "...\" (as lspci -nns prints the device), an \"IOMMU Group N:\" heading with "
                "indented devices below, \"/sys/kernel/iommu_groups/N/devices/DDDD:BB:DD.F\", "
                "dmesg's \"Adding to iommu group N\" or iommu-sim topo's \"group N: ...\"");
  }

  // iommu-sim topo's "N: 0000:BB:DD.F (name) 0000:BB:DD.F (name) ...".
  bool topo_group(std::size_t i, std::string_view rest) {
    std::size_t used = 0;
    const auto n = group_number(rest, used);
    if (!n || !rest.substr(used).starts_with(":")) {
      return fail(i, "expected iommu-sim topo's \"group N: 0000:BB:DD.F (name) ...\"");
    }
    rest = trim_left(rest.substr(used + 1));
    if (rest.empty()) return fail(i, "group " + std::to_string(*n) + " lists no device");
    while (!rest.empty()) {
      const std::string_view address = first_word(rest);
      rest = rest.substr(address.size());
      // The name runs to the ')' that ends the line or precedes the next
      // address.
      if (!rest.starts_with(" ("))
        return fail(i, "expected \" (name)\" after " + std::string(address));
      std::size_t close = rest.find(')');
      while (close != std::string_view::npos && close + 1 < rest.size() &&
             !(rest[close + 1] == ' ' &&
               parse_pci_address(first_word(rest.substr(close + 2))).has_value())) {
        close = rest.find(')', close + 1);
      }
      if (close == std::string_view::npos) {
        return fail(i, "expected \")\" closing the name of " + std::string(address));
      }
      if (!member(i, *n, address, {}, rest.substr(2, close - 2))) return false;
      rest = trim_left(rest.substr(close + 1));
    }
    return true;
  }

  bool member(std::size_t i, int group, std::string_view address, std::string_view described,
              std::string_view name = {}) {
    const auto a = parse_pci_address(address);
    if (!a) {
      std::string why(1, '"');
      why.append(address.substr(0, 40))
          .append(
              "\" is not a PCI address (BB:DD.F or DDDD:BB:DD.F, hex; device 00-1f, "
              "function 0-7)");
      return fail(i, why);
    }
    const auto key = std::pair{a->domain, a->bdf.rid()};
    if (const auto [at, fresh] = seen_.emplace(key, static_cast<int>(i) + 1); !fresh) {
      return fail(i, std::string(address) + " is listed a second time (first on line " +
                         std::to_string(at->second) + ")");
    }
    ListedMember m;
    m.address = *a;
    m.line = static_cast<int>(i) + 1;
    m.name = name;
    if (const auto ids =
            last_pci_ids(described.substr(std::min(address.size(), described.size())))) {
      m.vendor_id = ids->first;
      m.device_id = ids->second;
    }
    groups_[group].push_back(std::move(m));
    return true;
  }

  const std::vector<std::string>& lines_;
  ImportError& error_;
  GroupListing listing_;
  std::map<int, std::vector<ListedMember>> groups_;
  std::map<std::pair<std::uint32_t, std::uint16_t>, int> seen_;
  int heading_ = -1;
};

}  // namespace

std::optional<GroupListing> parse_group_listing(const std::vector<std::string>& lines,
                                                std::size_t first, const std::string& file,
                                                ImportError& error) {
  return ListingReader(lines, file, error).read(first);
}

}  // namespace iommu_sim
