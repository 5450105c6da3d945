// The progress line a long run draws on a terminal (docs/running.md): the
// work done of the total, simulated time, wall time and the time left,
// redrawn in place at most four times per wall-second and erased at the
// end. The caller decides whether to draw at all (stderr a terminal, no
// --quiet).
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

namespace iommu_sim {

struct ProgressState {
  std::uint64_t done = 0;
  std::uint64_t total = 0;  // 0: not known (no bar, no time left)
  std::string unit = "DMAs";
  double simulated_ns = 0;
  double wall_s = 0;  // since the run started
};

// One line, without a carriage return, e.g.
//   [######..............]  30%  30000/100000 DMAs  sim 11.43 ms  wall 0.3 s  ETA 0.7 s
std::string progress_line(const ProgressState& s);
// "0.35 s", "12.3 s", "2m05s", "1h02m".
std::string format_wall(double seconds);
// "812 ns", "17.18 us", "38.09 ms", "1.234 s".
std::string format_simulated(double ns);

class ProgressLine {
 public:
  // Draws on `out`; draws nothing when not `enabled`.
  ProgressLine(std::ostream& out, bool enabled) : out_(out), enabled_(enabled) {}
  // Redraws the line with `s` when `force` or when a quarter of a second
  // of wall time has passed since the last draw.
  void update(const ProgressState& s, bool force = false);
  // Erases the line, leaving the cursor at its start.
  void erase();
  bool enabled() const { return enabled_; }

 private:
  static constexpr double kRedrawSeconds = 0.25;
  std::ostream& out_;
  bool enabled_;
  bool drawn_ = false;
  double drawn_at_ = 0;    // wall_s of the last draw
  std::size_t width_ = 0;  // characters on screen
};

}  // namespace iommu_sim
