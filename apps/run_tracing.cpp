#include "apps/run_tracing.h"

#include <charconv>
#include <iostream>
#include <limits>
#include <optional>
#include <string_view>

namespace iommu_sim {

namespace {

// A non-negative decimal with at most three decimals (the simulator's
// picosecond), as ns: "1500", "12.25".
std::optional<std::uint64_t> parse_ns_as_ps(std::string_view s) {
  const std::size_t dot = s.find('.');
  const std::string_view whole = s.substr(0, dot);
  const std::string_view fraction = dot == std::string_view::npos ? "" : s.substr(dot + 1);
  if (whole.empty() || fraction.size() > 3 || (dot != std::string_view::npos && fraction.empty())) {
    return std::nullopt;
  }
  std::uint64_t ns = 0, frac = 0;
  for (const std::string_view part : {whole, fraction}) {
    if (part.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
  }
  if (std::from_chars(whole.data(), whole.data() + whole.size(), ns).ec != std::errc()) {
    return std::nullopt;
  }
  if (!fraction.empty()) {
    std::from_chars(fraction.data(), fraction.data() + fraction.size(), frac);
    for (std::size_t i = fraction.size(); i < 3; ++i) frac *= 10;
  }
  if (ns > (std::numeric_limits<std::uint64_t>::max() - frac) / 1000) return std::nullopt;
  return ns * 1000 + frac;
}

}  // namespace

void add_timeline_options(CLI::App& app, TraceArgs& args) {
  app.add_option("--timeline", args.timeline,
                 "write a timeline of DMAs, link crossings, walks, invalidation descriptors, host "
                 "calls and counters to this JSON file (Chrome Trace Event Format: open it in "
                 "ui.perfetto.dev or chrome://tracing; docs/tracing.md)");
  app.add_option("--timeline-window", args.window,
                 "START:END in simulated ns: keep only what happens then in --timeline (slices "
                 "crossing an edge are clipped)");
  app.add_option("--timeline-limit", args.limit,
                 "stop writing --timeline after this many events (default " +
                     std::to_string(kDefaultTimelineLimit) + ")");
}

std::string parse_timeline_options(const TraceArgs& args, TimelineOptions& options) {
  if (!args.window.empty()) {
    const std::size_t colon = args.window.find(':');
    const auto begin = colon == std::string::npos
                           ? std::nullopt
                           : parse_ns_as_ps(std::string_view(args.window).substr(0, colon));
    const auto end = colon == std::string::npos
                         ? std::nullopt
                         : parse_ns_as_ps(std::string_view(args.window).substr(colon + 1));
    if (!begin || !end) {
      return "--timeline-window: expected START:END in simulated ns (such as 1000:25000.5), "
             "got \"" +
             args.window + "\"";
    }
    if (*end <= *begin) {
      return "--timeline-window: END must be after START, got \"" + args.window + "\"";
    }
    options.begin_ps = *begin;
    options.end_ps = *end;
    options.windowed = true;
  }
  if (!args.limit.empty()) {
    std::uint64_t n = 0;
    const char* first = args.limit.data();
    const char* last = first + args.limit.size();
    const auto [ptr, ec] = std::from_chars(first, last, n);
    if (ec != std::errc() || ptr != last || n == 0) {
      return "--timeline-limit: expected a positive number of events, got \"" + args.limit + "\"";
    }
    options.limit = n;
  }
  return "";
}

RunTracing::~RunTracing() {
  // No event may reach the writer once its document is closed.
  timeline_subscription_.reset();
  if (!timeline_) return;
  timeline_->finish();
  if (timeline_->crowded_out() != 0) {
    std::cerr << "iommu-sim: --timeline: " << timeline_->crowded_out() << " slices left out of "
              << timeline_path_ << ": each overlapped " << TimelineWriter::kMaxLanes
              << " others of its track (Functional mode runs threads ahead of each other; "
                 "make timelines of Timed runs)\n";
  }
  timeline_file_.close();
  if (!timeline_file_)
    std::cerr << "iommu-sim: --timeline: cannot write " << timeline_path_ << "\n";
}

// Every option is checked before any file is opened: a bad one writes
// nothing.
bool RunTracing::start(const TraceArgs& args) {
  trace::Parsed parsed;
  if (!args.categories.empty()) {
    parsed = trace::parse_categories(args.categories);
    if (!parsed.error.empty()) {
      std::cerr << "iommu-sim: --trace: " << parsed.error << "\n";
      return false;
    }
  } else if (!args.file.empty()) {
    std::cerr << "iommu-sim: --trace-file: needs --trace to name what to trace\n";
    return false;
  }
  TimelineOptions options;
  if (args.timeline.empty()) {
    for (const auto& [given, name] : {std::pair{&args.window, "--timeline-window"},
                                      std::pair{&args.limit, "--timeline-limit"}}) {
      if (!given->empty()) {
        std::cerr << "iommu-sim: " << name << ": needs --timeline to name the file\n";
        return false;
      }
    }
  } else if (const std::string error = parse_timeline_options(args, options); !error.empty()) {
    std::cerr << "iommu-sim: " << error << "\n";
    return false;
  }
  if (!args.timeline.empty() && !start_timeline(args.timeline, options)) return false;
  if (args.categories.empty()) return true;
  std::ostream* out = &std::cout;
  if (!args.file.empty()) {
    file_.open(args.file);
    if (!file_) {
      std::cerr << "iommu-sim: --trace-file: cannot write " << args.file << "\n";
      return false;
    }
    out = &file_;
  }
  printer_ = std::make_unique<trace::TextPrinter>(*out);
  subscription_.emplace(*printer_, parsed.mask);
  return true;
}

bool RunTracing::start_timeline(const std::string& path, const TimelineOptions& options) {
  timeline_file_.open(path);
  if (!timeline_file_) {
    std::cerr << "iommu-sim: --timeline: cannot write " << path << "\n";
    return false;
  }
  timeline_path_ = path;
  timeline_ = std::make_unique<TimelineWriter>(timeline_file_, options);
  timeline_->on_truncated = [this, limit = options.limit](std::uint64_t at_ps) {
    std::cerr << "iommu-sim: --timeline: stopped writing " << timeline_path_ << " at " << limit
              << " events (--timeline-limit), at " << trace::ns(at_ps)
              << " ns simulated; the file says so in otherData\n";
  };
  timeline_subscription_.emplace(*timeline_, TimelineWriter::kCategories, trace::Counters::Yes);
  return true;
}

}  // namespace iommu_sim
