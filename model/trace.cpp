#include "model/trace.h"

#include <algorithm>
#include <array>
#include <cstdio>

namespace iommu_sim::trace {

namespace {
constexpr std::array<std::string_view, kCategories> kNames{"walk",   "iotlb",  "psc",   "context",
                                                           "pasid",  "qi",     "fault", "ats",
                                                           "fabric", "memory", "host",  "oracle"};

void recompute_mask() {
  std::uint32_t mask = 0;
  for (const auto& s : detail::state.subscribers) mask |= s.mask;
  detail::state.mask = mask;
}
}  // namespace

std::string_view category_name(Category c) {
  return kNames.at(static_cast<std::size_t>(c));
}

Parsed parse_categories(std::string_view list) {
  Parsed out;
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    const std::string_view name = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    if (name == "all") {
      out.mask |= kAll;
      continue;
    }
    const auto it = std::find(kNames.begin(), kNames.end(), name);
    if (it == kNames.end()) {
      std::string known = "all";
      for (const std::string_view n : kNames) known += ", " + std::string(n);
      out.error = "unknown trace category \"" + std::string(name) + "\" (known: " + known + ")";
      out.mask = 0;
      return out;
    }
    out.mask |= 1u << static_cast<unsigned>(it - kNames.begin());
  }
  if (out.mask == 0) out.error = "no trace category named";
  return out;
}

void emit(const Event& e) {
  const bool counter = e.phase == Phase::Counter;
  for (const auto& s : detail::state.subscribers) {
    if ((s.mask & bit(e.category)) != 0 && (s.counters || !counter)) s.sink->event(e);
  }
}

void counter(Category c, std::string_view what, std::string track, std::string label,
             std::uint64_t time_ps, std::string_view field, std::uint64_t value) {
  Event e;
  e.category = c;
  e.phase = Phase::Counter;
  e.what = what;
  e.time_ps = time_ps;
  e.text = std::move(label);
  e.fields = {{field, value}};
  e.track = std::move(track);
  emit(e);
}

Subscription::Subscription(Sink& sink, std::uint32_t mask, Counters counters) : sink_(&sink) {
  detail::state.subscribers.push_back({&sink, mask, counters == Counters::Yes});
  recompute_mask();
}

Subscription::~Subscription() {
  auto& subs = detail::state.subscribers;
  subs.erase(std::remove_if(subs.begin(), subs.end(),
                            [this](const detail::Subscriber& s) { return s.sink == sink_; }),
             subs.end());
  recompute_mask();
}

std::string bdf_string(std::uint16_t rid) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02x:%02x.%x", rid >> 8, (rid >> 3) & 0x1f, rid & 7);
  return buf;
}

std::string ns(std::uint64_t ps) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", static_cast<double>(ps) / 1000.0);
  return buf;
}

void TextPrinter::event(const Event& e) {
  if (e.phase == Phase::Counter) return;
  char time[32];
  std::snprintf(time, sizeof time, "%14.3f", static_cast<double>(e.time_ps) / 1000.0);
  out_ << time << " ns  " << category_name(e.category);
  for (std::size_t pad = category_name(e.category).size(); pad < 7; ++pad) out_ << ' ';
  out_ << ' ' << (e.requester >= 0 ? bdf_string(static_cast<std::uint16_t>(e.requester)) : "-");
  if (e.pasid >= 0) out_ << " pasid " << e.pasid;
  out_ << ": " << e.text;
  // A slice printed at its start says how long it took.
  if (e.phase == Phase::Complete) out_ << " (" << ns(e.duration_ps) << " ns)";
  out_ << '\n';
}

}  // namespace iommu_sim::trace
