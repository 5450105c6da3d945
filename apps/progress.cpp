#include "apps/progress.h"

#include "apps/printf_number.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace iommu_sim {

std::string format_wall(double seconds) {
  if (seconds < 60) return printf_number(seconds < 10 ? "%.2f s" : "%.1f s", seconds);
  const auto whole = static_cast<long long>(std::llround(seconds));
  char buf[48];
  if (whole < 3600) {
    std::snprintf(buf, sizeof buf, "%lldm%02llds", whole / 60, whole % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", whole / 3600, whole / 60 % 60);
  }
  return buf;
}

std::string format_simulated(double ns) {
  if (ns < 1e3) return printf_number("%.0f ns", ns);
  if (ns < 1e6) return printf_number("%.2f us", ns / 1e3);
  if (ns < 1e9) return printf_number("%.2f ms", ns / 1e6);
  return printf_number("%.3f s", ns / 1e9);
}

std::string progress_line(const ProgressState& s) {
  std::string line;
  const bool known = s.total > 0;
  if (known) {
    constexpr int kBar = 20;
    const double fraction = std::min(1.0, static_cast<double>(s.done) / s.total);
    const int filled = static_cast<int>(fraction * kBar);
    line += '[';
    line.append(filled, '#');
    line.append(kBar - filled, '.');
    line += "] ";
    line += printf_number("%3.0f%%", std::floor(fraction * 100));
    line += "  ";
    line += std::to_string(s.done);
    line += '/';
    line += std::to_string(s.total);
  } else {
    line = std::to_string(s.done);
  }
  line += " " + s.unit + "  sim " + format_simulated(s.simulated_ns) + "  wall " +
          format_wall(s.wall_s);
  if (known && s.done > 0 && s.done < s.total) {
    // The rate so far, applied to what is left.
    const double left = s.wall_s * static_cast<double>(s.total - s.done) / s.done;
    line += "  ETA " + format_wall(left);
  }
  return line;
}

void ProgressLine::update(const ProgressState& s, bool force) {
  if (!enabled_) return;
  if (!force && drawn_ && s.wall_s - drawn_at_ < kRedrawSeconds) return;
  const std::string line = progress_line(s);
  // Spaces over what a longer previous line left on screen.
  const std::size_t pad = width_ > line.size() ? width_ - line.size() : 0;
  out_ << '\r' << line << std::string(pad, ' ') << std::flush;
  width_ = line.size();
  drawn_ = true;
  drawn_at_ = s.wall_s;
}

void ProgressLine::erase() {
  if (!enabled_ || !drawn_) return;
  out_ << '\r' << std::string(width_, ' ') << '\r' << std::flush;
  drawn_ = false;
  width_ = 0;
}

}  // namespace iommu_sim
