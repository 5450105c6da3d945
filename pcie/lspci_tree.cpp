#include "pcie/lspci_tree.h"

#include <array>
#include <map>
#include <set>

#include "pcie/acs.h"

namespace iommu_sim {

namespace {

// A PCI hierarchy has at most 256 buses, so no listing nests deeper; the
// bound also keeps the recursive reading of a crafted line shallow.
constexpr int kMaxDepth = 256;

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// `count` hex digits at `at`; nullopt unless all are.
std::optional<std::uint32_t> hex_at(std::string_view s, std::size_t at, std::size_t count) {
  if (at + count > s.size()) return std::nullopt;
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const int d = hex_digit(s[at + i]);
    if (d < 0) return std::nullopt;
    v = v << 4 | static_cast<std::uint32_t>(d);
  }
  return v;
}

// One to sixteen hex digits, the whole of `s`.
std::optional<std::uint64_t> hex_u64(std::string_view s) {
  if (s.empty() || s.size() > 16) return std::nullopt;
  std::uint64_t v = 0;
  for (const char c : s) {
    const int d = hex_digit(c);
    if (d < 0) return std::nullopt;
    v = v << 4 | static_cast<std::uint64_t>(d);
  }
  return v;
}

bool starts_with_at(std::string_view s, std::size_t at, std::string_view what) {
  return at <= s.size() && s.substr(at).starts_with(what);
}

std::string shown(std::string_view s) {
  constexpr std::size_t kShown = 40;
  std::string out = "\"";
  out += s.substr(0, kShown);
  if (s.size() > kShown) out += "...";
  return out + "\"";
}

std::string column(std::size_t col) {
  return "column " + std::to_string(col + 1);
}

// What a topo printout spells each kind as (kind_name), longest first so
// that "switch upstream port" is not taken for a shorter name's prefix.
const std::array<NodeKind, 7> kKinds{NodeKind::SwitchDownstream, NodeKind::SwitchUpstream,
                                     NodeKind::RcIntegrated,     NodeKind::PciBridge,
                                     NodeKind::RootPort,         NodeKind::ConventionalPci,
                                     NodeKind::Endpoint};

class TreeReader {
 public:
  TreeReader(const std::vector<std::string>& lines, const std::string& file, ImportError& error)
      : lines_(lines), file_(file), error_(error) {}

  std::optional<ListedTree> read() {
    std::size_t first = 0;
    while (first < lines_.size() && lines_[first].empty()) ++first;
    if (first == lines_.size()) {
      error_ = {file_, 1,
                "no tree: the file is empty or blank; expected the tree lspci -tv or lspci -tvnn "
                "prints"};
      return std::nullopt;
    }
    const std::string& top = lines_[first];
    bool ok = false;
    if (top.starts_with("[")) {
      tree_.dialect = TreeDialect::Topo;
      ok = read_topo(first);
    } else if (top.starts_with("-")) {
      ok = read_host(first);
    } else {
      return fail(first,
                  "not the top of a PCI tree: lspci -tv's starts with \"-[0000:00]-\" (or "
                  "\"-+-[0000:00]-\" with several root buses), iommu-sim topo's with \"[0000:00] "
                  "root complex\" (got " +
                      shown(top) + ")");
    }
    if (!ok) return std::nullopt;
    tree_.end = next_;
    if (next_ < lines_.size() && !lines_[next_].empty()) {
      return fail(next_, "not a line of the tree, which ended on line " + std::to_string(next_) +
                             " (a group listing may follow it after an empty line): " +
                             shown(lines_[next_]));
    }
    return std::move(tree_);
  }

 private:
  std::nullopt_t fail(std::size_t index, std::string reason) {
    error_ = {file_, static_cast<int>(index) + 1, std::move(reason)};
    return std::nullopt;
  }
  bool failed(std::size_t index, std::string reason) {
    fail(index, std::move(reason));
    return false;
  }

  // ---- lspci -tv ----

  // "-[dddd:bb]-" then the bus, or "-+-[dddd:bb]-" ... for several root buses.
  bool read_host(std::size_t line) {
    const std::string& s = lines_[line];
    if (starts_with_at(s, 1, "[")) {
      return read_root_header(line, 1, true, 0);
    }
    if (starts_with_at(s, 1, "+-[") || starts_with_at(s, 1, "\\-[")) {
      return read_bus_headers(line, 1, -1, true, 0);
    }
    return failed(line,
                  "expected \"[dddd:bb]\" or \"+-[dddd:bb]\" at column 2 after the root's "
                  "\"-\" (got " +
                      shown(s) + ")");
  }

  // "[dddd:bb]-" at `col`, then that root bus's devices.
  bool read_root_header(std::size_t line, std::size_t col, bool root, int depth) {
    const std::string& s = lines_[line];
    const std::size_t colon = s.find(':', col);
    const std::size_t close = s.find(']', col);
    std::optional<std::uint32_t> domain, bus;
    if (colon != std::string::npos && close != std::string::npos && colon < close &&
        colon - col - 1 >= 4 && colon - col - 1 <= 8 && close == colon + 3) {
      domain = hex_at(s, col + 1, colon - col - 1);
      bus = hex_at(s, colon + 1, 2);
    }
    if (!domain || !bus || !starts_with_at(s, close + 1, "-")) {
      return failed(line, "expected a bus \"[dddd:bb]-\" at " + column(col) + " (got " +
                              shown(std::string_view(s).substr(col)) + ")");
    }
    int root_index = current_root_;
    if (root) {
      tree_.root_buses.push_back(
          {*domain, static_cast<std::uint8_t>(*bus), static_cast<int>(line) + 1});
      root_index = static_cast<int>(tree_.root_buses.size()) - 1;
    }
    const int saved = current_root_;
    current_root_ = root_index;
    const std::uint32_t saved_domain = domain_;
    domain_ = *domain;
    const bool ok =
        read_bus(line, close + 2, root ? -1 : bridge_, static_cast<std::uint8_t>(*bus), depth);
    current_root_ = saved;
    domain_ = saved_domain;
    return ok;
  }

  // Several buses below one bridge (or the host), each "+-[dddd:bb]-" or,
  // the last, "\\-[dddd:bb]-", the later ones on later lines at `col`.
  bool read_bus_headers(std::size_t line, std::size_t col, int parent, bool root, int depth) {
    if (depth > kMaxDepth) return failed(line, "nested deeper than 256 buses");
    for (bool first = true;; first = false) {
      if (!first && !continuation(line, col, "the next bus")) return false;
      const bool last = lines_[line][col] == '\\';
      const int saved = bridge_;
      bridge_ = parent;
      const bool ok = read_root_header(line, col + 2, root, depth);
      bridge_ = saved;
      if (!ok) return false;
      if (last) return true;
      line = next_;
    }
  }

  // Checks that `line` continues a list whose entries start at `col`: only
  // ' ' and '|' before it, then "+-" or "\\-".
  bool continuation(std::size_t line, std::size_t col, const std::string& what) {
    if (line >= lines_.size() || lines_[line].empty()) {
      return failed(std::min(line, lines_.size() - 1),
                    "the tree ends before " + what + " (\"+-\" or \"\\-\" at " + column(col) +
                        ") that a line above promises with \"+-\"");
    }
    const std::string& s = lines_[line];
    for (std::size_t i = 0; i < col && i < s.size(); ++i) {
      if (s[i] != ' ' && s[i] != '|') {
        return failed(line, "expected only ' ' and '|' before " + column(col) + ", where " + what +
                                " starts (got " + shown(s) + ")");
      }
    }
    if (col + 1 >= s.size() || (s[col] != '+' && s[col] != '\\') || s[col + 1] != '-') {
      return failed(line, "expected " + what + " (\"+-\" or \"\\-\") at " + column(col) + " (got " +
                              shown(s) + ")");
    }
    return true;
  }

  // The devices of bus `bus`, whose list starts at `col` of `line`.
  bool read_bus(std::size_t line, std::size_t col, int parent, std::uint8_t bus, int depth) {
    const std::string& s = lines_[line];
    if (col >= s.size()) {
      next_ = line + 1;  // a bus without devices
      return true;
    }
    if (starts_with_at(s, col, "--")) return read_device(line, col + 2, parent, bus, depth);
    if (col + 1 < s.size() && (s[col] == '+' || s[col] == '\\') && s[col + 1] == '-') {
      for (bool first = true;; first = false) {
        if (!first && !continuation(line, col, "the next device of bus " + hex2(bus))) {
          return false;
        }
        const bool last = lines_[line][col] == '\\';
        if (!read_device(line, col + 2, parent, bus, depth)) return false;
        if (last) return true;
        line = next_;
      }
    }
    return failed(line, "expected bus " + hex2(bus) + "'s devices (\"--\", \"+-\" or \"\\-\") at " +
                            column(col) + " (got " + shown(s.substr(col)) + ")");
  }

  static std::string hex2(unsigned v) {
    constexpr char kDigits[] = "0123456789abcdef";
    return {kDigits[(v >> 4) & 0xf], kDigits[v & 0xf]};
  }

  // "dd.f", then a bridge's "-[ss-ee]-" and its bus, or a device's name.
  bool read_device(std::size_t line, std::size_t col, int parent, std::uint8_t bus, int depth) {
    if (depth > kMaxDepth) return failed(line, "nested deeper than 256 buses");
    const std::string& s = lines_[line];
    const auto dev = hex_at(s, col, 2);
    const auto fn = hex_at(s, col + 3, 1);
    if (!dev || !fn || s[col + 2] != '.' || *dev > 0x1f || *fn > 7) {
      return failed(line,
                    "expected a device and function \"dd.f\" (hex, device 00-1f, function "
                    "0-7) at " +
                        column(col) + " (got " +
                        shown(std::string_view(s).substr(std::min(col, s.size()))) + ")");
    }
    ListedDevice d;
    d.domain = domain_;
    d.bdf = Bdf{bus, static_cast<std::uint8_t>(*dev), static_cast<std::uint8_t>(*fn)};
    d.parent = parent;
    d.root = current_root_;
    d.line = static_cast<int>(line) + 1;
    if (!claim(d, line)) return false;
    std::size_t at = col + 4;
    if (starts_with_at(s, at, "-[")) {
      d.bridge = true;
      const auto secondary = hex_at(s, at + 2, 2);
      std::size_t close = at + 4;
      if (secondary && starts_with_at(s, close, "-") && hex_at(s, close + 1, 2)) close += 3;
      if (!secondary || !starts_with_at(s, close, "]-")) {
        return failed(line, "expected a bridge's bus range \"-[ss]-\" or \"-[ss-ee]-\" at " +
                                column(at) + " (got " + shown(s.substr(at)) + ")");
      }
      const int index = static_cast<int>(tree_.devices.size());
      tree_.devices.push_back(d);
      // ls-tree.c's show_tree_bridge: "-", then the secondary bus's list,
      // or several buses, each headed "[dddd:bb]".
      at = close + 2;
      if (!starts_with_at(s, at, "-")) {
        return failed(line, "expected \"-\" after the bridge's bus range at " + column(at));
      }
      if (starts_with_at(s, at + 1, "+-[") || starts_with_at(s, at + 1, "\\-[")) {
        return read_bus_headers(line, at + 1, index, false, depth + 1);
      }
      return read_bus(line, at + 1, index, static_cast<std::uint8_t>(*secondary), depth + 1);
    }
    if (at < s.size() && !starts_with_at(s, at, "  ")) {
      return failed(line,
                    "expected the device's name after two spaces, or the end of the line, "
                    "at " +
                        column(at) + " (got " + shown(s.substr(at)) + ")");
    }
    if (const auto ids = last_pci_ids(std::string_view(s).substr(std::min(at, s.size())))) {
      d.vendor_id = ids->first;
      d.device_id = ids->second;
    }
    tree_.devices.push_back(d);
    next_ = line + 1;
    return true;
  }

  bool claim(const ListedDevice& d, std::size_t line) {
    const auto key = std::pair{d.domain, d.bdf.rid()};
    const auto [at, fresh] = seen_.emplace(key, d.line);
    if (!fresh) {
      return failed(line, "lists " + d.bdf.to_string() + " a second time (first on line " +
                              std::to_string(at->second) + ")");
    }
    return true;
  }

  // ---- iommu-sim topo ----

  // "[0000:00] root complex" and, since the grouping is printed, "
  // (pcie.grouping NAME)"; then one line per device, indented two columns
  // per bridge above it.
  bool read_topo(std::size_t line) {
    const std::string& top = lines_[line];
    constexpr std::string_view kTop = "[0000:00] root complex";
    constexpr std::string_view kGrouping = " (pcie.grouping ";
    if (!top.starts_with(kTop)) {
      return failed(line,
                    "expected \"[0000:00] root complex\", the top of iommu-sim topo's tree "
                    "(got " +
                        shown(top) + ")");
    }
    const std::string_view rest = std::string_view(top).substr(kTop.size());
    if (!rest.empty()) {
      if (!rest.starts_with(kGrouping) || !rest.ends_with(")") ||
          (rest.substr(kGrouping.size(), rest.size() - kGrouping.size() - 1) != "current" &&
           rest.substr(kGrouping.size(), rest.size() - kGrouping.size() - 1) != "legacy")) {
        return failed(line,
                      "expected \" (pcie.grouping current)\" or \" (pcie.grouping "
                      "legacy)\" after \"root complex\" (got " +
                          shown(rest) + ")");
      }
      tree_.grouping = rest.substr(kGrouping.size(), rest.size() - kGrouping.size() - 1);
    }
    tree_.root_buses.push_back({0, 0, static_cast<int>(line) + 1});
    std::vector<int> above;  // the last device at each depth
    std::size_t l = line + 1;
    for (; l < lines_.size() && !lines_[l].empty(); ++l) {
      const std::string& s = lines_[l];
      std::size_t depth = 0;
      while (2 * depth + 1 < s.size() &&
             (s.compare(2 * depth, 2, "| ") == 0 || s.compare(2 * depth, 2, "  ") == 0)) {
        ++depth;
      }
      const std::size_t at = 2 * depth;
      if (at + 1 >= s.size() || (s[at] != '+' && s[at] != '\\') || s[at + 1] != '-') {
        return failed(l,
                      "expected \"+-\" or \"\\-\" after the indentation (\"| \" or \"  \" per "
                      "bridge above) at " +
                          column(at) + " (got " + shown(s) + ")");
      }
      if (depth > above.size()) {
        return failed(l, "indented " + std::to_string(depth) +
                             " levels below the root, deeper than the line above allows");
      }
      above.resize(depth);
      const int parent = depth == 0 ? -1 : above.back();
      if (parent >= 0 && !tree_.devices[parent].bridge) {
        return failed(l,
                      "indented below " + tree_.devices[parent].name + ", which is not a bridge");
      }
      if (!read_topo_device(l, at + 2, parent)) return false;
      above.push_back(static_cast<int>(tree_.devices.size()) - 1);
    }
    next_ = l;
    return true;
  }

  // "BB:DD.F NAME (KIND)" and what describe() in pcie/topology_report.cpp
  // prints after it.
  bool read_topo_device(std::size_t line, std::size_t col, int parent) {
    const std::string& s = lines_[line];
    const std::string_view body = std::string_view(s).substr(col);
    const auto address = parse_pci_address(body.substr(0, body.find(' ')));
    if (!address || body.find(' ') != 7) {
      return failed(
          line, "expected a device \"BB:DD.F\" at " + column(col) + " (got " + shown(body) + ")");
    }
    ListedDevice d;
    d.bdf = address->bdf;
    d.parent = parent;
    d.line = static_cast<int>(line) + 1;
    std::size_t kind_at = std::string_view::npos;
    std::size_t after = 0;
    for (const NodeKind k : kKinds) {
      const std::string marker = " (" + std::string(kind_name(k)) + ")";
      const std::size_t at = body.find(marker, 8);
      if (at != std::string_view::npos &&
          (at + marker.size() == body.size() || body[at + marker.size()] == ' ') &&
          (kind_at == std::string_view::npos || at < kind_at)) {
        kind_at = at;
        after = at + marker.size();
        d.kind = k;
      }
    }
    if (!d.kind || kind_at <= 8) {
      return failed(line,
                    "expected \"BB:DD.F NAME (KIND)\", KIND one of root port, switch "
                    "upstream port, switch downstream port, PCIe-to-PCI bridge, endpoint, "
                    "RC integrated endpoint, PCI device (got " +
                        shown(body) + ")");
    }
    d.name = body.substr(8, kind_at - 8);
    d.bridge = is_bridge(*d.kind);
    if (!claim(d, line) || !read_topo_details(line, body.substr(after), d)) return false;
    tree_.devices.push_back(std::move(d));
    return true;
  }

  // The rest of a topo line, word by word.
  bool read_topo_details(std::size_t line, std::string_view rest, ListedDevice& d) {
    std::vector<std::string_view> words;
    for (std::size_t at = 0; at < rest.size();) {
      if (rest[at] == ' ') {
        ++at;
        continue;
      }
      const std::size_t end = std::min(rest.find(' ', at), rest.size());
      words.push_back(rest.substr(at, end - at));
      at = end;
    }
    const auto bad = [&](std::string_view what) {
      return failed(line, "unexpected " + shown(what) +
                              " in iommu-sim topo's device line (expected bus, window, BAR, RID, "
                              "[vendor:device], ACS, egress or group)");
    };
    // ACS lists as acs::to_string prints them: upper-case names or "-".
    const auto controls = [&](std::size_t& i, std::uint8_t& bits) {
      bits = 0;
      bool any = false;
      while (i < words.size() && words[i] != "ctl" && words[i] != "egress" && words[i] != "group") {
        if (words[i] == "-" && !any) {
          any = true;
          ++i;
          continue;
        }
        const auto bit = acs::parse(words[i]);
        if (!bit || *bit == 0) return false;
        bits |= *bit;
        any = true;
        ++i;
      }
      return any;
    };
    bool group_seen = false;
    for (std::size_t i = 0; i < words.size(); ++i) {
      const std::string_view w = words[i];
      if ((w == "bus" || w == "window" || w == "RID") && i + 1 < words.size()) {
        ++i;  // the simulator recomputes these
      } else if (w == "BAR" && i + 1 < words.size()) {
        const std::string_view v = words[++i];
        const std::size_t plus = v.find('+');
        const auto size =
            plus == std::string_view::npos ? std::nullopt : hex_u64(v.substr(plus + 1));
        if (!size) return bad(v);
        d.bar_size = *size;
      } else if (w.starts_with("[") && last_pci_ids(w)) {
        const auto ids = last_pci_ids(w);
        d.vendor_id = ids->first;
        d.device_id = ids->second;
      } else if (w == "ACS" && i + 3 < words.size() && words[i + 1] == "by" &&
                 words[i + 2] == "quirk") {
        d.acs_quirk = true;
        i += 3;  // the function's name; the IDs bring the quirk back
        if (i + 1 < words.size() && words[i + 1] == "none") ++i;
      } else if (w == "ACS" && i + 1 < words.size() && words[i + 1] == "cap") {
        i += 2;
        d.has_acs = true;
        if (!controls(i, d.acs_capability) || i >= words.size() || words[i] != "ctl") {
          return bad(i < words.size() ? words[i] : std::string_view("ACS cap"));
        }
        ++i;
        if (!controls(i, d.acs_control)) return bad("ctl");
        --i;
      } else if (w == "egress" && i + 1 < words.size()) {
        const std::string_view v = words[++i];
        const auto mask = hex_u64(v);
        if (!mask || *mask > 0xffffffffu) return bad(v);
        d.egress_vector = static_cast<std::uint32_t>(*mask);
      } else if (w == "group" && i + 1 < words.size()) {
        const std::string_view v = words[++i];
        int g = 0;
        for (const char c : v) {
          if (c < '0' || c > '9' || g > 100000) return bad(v);
          g = g * 10 + (c - '0');
        }
        if (v.empty()) return bad(v);
        d.group = g;
        group_seen = true;
      } else {
        return bad(w);
      }
    }
    if (!group_seen) return failed(line, "the device line names no group (\"group N\" at its end)");
    return true;
  }

  const std::vector<std::string>& lines_;
  const std::string& file_;
  ImportError& error_;
  ListedTree tree_;
  std::size_t next_ = 0;
  int current_root_ = 0;
  int bridge_ = -1;
  std::uint32_t domain_ = 0;
  std::map<std::pair<std::uint32_t, std::uint16_t>, int> seen_;
};

}  // namespace

std::vector<std::string> listing_lines(std::string_view text) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(at, end - at);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
      line.remove_suffix(1);
    }
    out.emplace_back(line);
    at = end + 1;
  }
  return out;
}

std::optional<ListedTree> parse_device_tree(const std::vector<std::string>& lines,
                                            const std::string& file, ImportError& error) {
  return TreeReader(lines, file, error).read();
}

std::optional<PciAddress> parse_pci_address(std::string_view text) {
  PciAddress a;
  std::size_t at = 0;
  // With the domain: one to eight hex digits before the first of two colons.
  const std::size_t first = text.find(':');
  if (first != std::string_view::npos && text.find(':', first + 1) != std::string_view::npos) {
    if (first == 0 || first > 8) return std::nullopt;
    const auto domain = hex_at(text, 0, first);
    if (!domain) return std::nullopt;
    a.domain = *domain;
    at = first + 1;
  }
  const auto bus = hex_at(text, at, 2);
  const auto dev = hex_at(text, at + 3, 2);
  const auto fn = hex_at(text, at + 6, 1);
  if (text.size() != at + 7 || !bus || !dev || !fn || text[at + 2] != ':' || text[at + 5] != '.' ||
      *dev > 0x1f || *fn > 7) {
    return std::nullopt;
  }
  a.bdf = Bdf{static_cast<std::uint8_t>(*bus), static_cast<std::uint8_t>(*dev),
              static_cast<std::uint8_t>(*fn)};
  return a;
}

std::optional<std::pair<std::uint16_t, std::uint16_t>> last_pci_ids(std::string_view text) {
  for (std::size_t at = text.rfind('['); at != std::string_view::npos;
       at = at == 0 ? std::string_view::npos : text.rfind('[', at - 1)) {
    const auto vendor = hex_at(text, at + 1, 4);
    const auto device = hex_at(text, at + 6, 4);
    if (vendor && device && text[at + 5] == ':' && starts_with_at(text, at + 10, "]")) {
      return std::pair{static_cast<std::uint16_t>(*vendor), static_cast<std::uint16_t>(*device)};
    }
  }
  return std::nullopt;
}

}  // namespace iommu_sim
