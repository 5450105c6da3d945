// `iommu-sim plot CSV --x COL --y COL [--y COL ...] [--by COL] -o OUT`:
// a line plot of any RFC 4180 CSV with a header (a sweep's, a time series),
// drawn by gnuplot run as a child process (docs/sweeps.md, "Plots").
//
// One line per --y column and distinct value of --by (in the order the
// values first appear), its points sorted by x. OUT's extension picks the
// format: .png (gnuplot's pngcairo terminal, else png) or .svg.
//
// Exit codes: 2 for what the user can fix in the command or the CSV (no
// such file, an unknown extension, a malformed CSV, an unknown column, a
// cell that is not a number, a value a log scale cannot show), 1 when
// gnuplot is missing or fails (its messages are shown) or OUT cannot be
// written. On any error nothing is written: gnuplot draws into a
// temporary file beside OUT, renamed to OUT once it succeeded.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace iommu_sim {

struct PlotArgs {
  std::string csv, out, x, by, title;
  std::vector<std::string> y;
  bool logx = false, logy = false;
};

// Registers the `plot` subcommand on `app`, its options bound to `args`.
CLI::App* add_plot_command(CLI::App& app, PlotArgs& args);

// Draws the plot; messages go to `err`. Returns the exit code.
int plot_command(const PlotArgs& args, std::ostream& err);

}  // namespace iommu_sim
