#include "apps/plot_command.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string_view>
#include <utility>

#include "apps/csv.h"

namespace iommu_sim {

namespace {

constexpr int kExitUsage = 2;    // as for config errors
constexpr int kExitFailure = 1;  // gnuplot or the file system failed

// An error with the exit code it ends the command with.
struct PlotFailure {
  int code;
  std::string message;
};

// A file of its own in the temporary directory, removed when done.
class TempFile {
 public:
  explicit TempFile(const std::string& stem) {
    std::string name = (std::filesystem::temp_directory_path() / (stem + "-XXXXXX")).string();
    // Close-on-exec: gnuplot gets only the descriptors it is given.
    fd_ = ::mkostemp(name.data(), O_CLOEXEC);
    if (fd_ < 0) {
      throw PlotFailure{kExitFailure, "cannot create a temporary file in " +
                                          std::filesystem::temp_directory_path().string() + ": " +
                                          std::strerror(errno)};
    }
    path_ = name;
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() {
    ::close(fd_);
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
  const std::string& path() const { return path_; }
  int fd() const { return fd_; }

 private:
  std::string path_;
  int fd_ = -1;
};

std::string read_whole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// `s` in gnuplot's single quotes, where '' stands for '. A line break would
// end the command, so it becomes a space.
std::string gp_string(std::string_view s) {
  std::string q = "'";
  for (const char c : s) {
    if (c == '\'') q += '\'';
    q += c == '\n' || c == '\r' ? ' ' : c;
  }
  q += '\'';
  return q;
}

// A cell as a finite number, surrounding blanks allowed; nullopt otherwise.
std::optional<double> number(std::string_view cell) {
  while (!cell.empty() && (cell.front() == ' ' || cell.front() == '\t')) cell.remove_prefix(1);
  while (!cell.empty() && (cell.back() == ' ' || cell.back() == '\t')) cell.remove_suffix(1);
  if (cell.starts_with('+')) cell.remove_prefix(1);  // from_chars takes no '+'
  double v = 0;
  const auto [end, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), v);
  if (cell.empty() || ec != std::errc() || end != cell.data() + cell.size() || !std::isfinite(v)) {
    return std::nullopt;
  }
  return v;
}

bool power_of_two(double v) {
  int exponent = 0;
  return v > 0 && std::frexp(v, &exponent) == 0.5;
}

struct Series {
  std::string title;
  std::vector<std::pair<double, double>> points;
};

struct Plot {
  std::vector<Series> series;
  bool x_powers_of_two = false;
  bool x_integers = false;
};

std::size_t find_column(const CsvTable& table, const std::string& name, const char* option,
                        const std::string& file) {
  if (const auto c = table.column(name)) return *c;
  std::string columns;
  for (const auto& h : table.header) columns += (columns.empty() ? "" : ", ") + h;
  throw PlotFailure{kExitUsage, std::string(option) + ": no column \"" + name + "\" in " + file +
                                    "; its columns: " + columns};
}

// The CSV's rows as lines: one per --y column and --by value.
Plot collect(const PlotArgs& args, const CsvTable& table) {
  const std::size_t x = find_column(table, args.x, "--x", args.csv);
  std::vector<std::size_t> ys;
  for (const auto& y : args.y) ys.push_back(find_column(table, y, "--y", args.csv));
  const bool grouped = !args.by.empty();
  const std::size_t by = grouped ? find_column(table, args.by, "--by", args.csv) : 0;
  if (table.rows.empty()) {
    throw PlotFailure{kExitUsage, args.csv + " has a header but no rows: nothing to plot"};
  }
  const auto cell = [&](std::size_t r, std::size_t c, bool log, const char* log_option) {
    const std::string where = args.csv + ", line " + std::to_string(table.lines[r]) + " (row " +
                              std::to_string(r + 1) + "), column \"" + table.header[c] + "\": ";
    const std::string& text = table.rows[r][c];
    const auto v = number(text);
    if (!v) {
      throw PlotFailure{kExitUsage, where + (text.empty() ? std::string("empty")
                                                          : "\"" + text + "\" is not a number")};
    }
    if (log && *v <= 0) {
      throw PlotFailure{kExitUsage,
                        where + text + " cannot be shown on a log scale (" + log_option + ")"};
    }
    return *v;
  };
  // Every cell checked in the file's order, so the first bad one is named.
  std::vector<double> xs;
  std::vector<std::vector<double>> yv(ys.size());
  for (std::size_t r = 0; r < table.rows.size(); ++r) {
    xs.push_back(cell(r, x, args.logx, "--logx"));
    for (std::size_t i = 0; i < ys.size(); ++i)
      yv[i].push_back(cell(r, ys[i], args.logy, "--logy"));
  }
  Plot plot;
  plot.x_powers_of_two = std::all_of(xs.begin(), xs.end(), power_of_two);
  plot.x_integers =
      std::all_of(xs.begin(), xs.end(), [](double v) { return v == std::floor(v) && v < 1e15; });
  std::vector<std::string> by_values;  // in the order they first appear
  for (const auto& row : table.rows) {
    if (grouped && std::find(by_values.begin(), by_values.end(), row[by]) == by_values.end()) {
      by_values.push_back(row[by]);
    }
  }
  if (!grouped) by_values.emplace_back();
  for (std::size_t i = 0; i < ys.size(); ++i) {
    for (const auto& value : by_values) {
      Series s;
      if (grouped) s.title = args.by + " = " + value;
      if (ys.size() > 1) s.title = grouped ? args.y[i] + ", " + s.title : args.y[i];
      for (std::size_t r = 0; r < table.rows.size(); ++r) {
        if (!grouped || table.rows[r][by] == value) s.points.emplace_back(xs[r], yv[i][r]);
      }
      // A line joins its points from left to right, whatever the rows' order.
      std::stable_sort(s.points.begin(), s.points.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
      plot.series.push_back(std::move(s));
    }
  }
  return plot;
}

std::string gnuplot_script(const PlotArgs& args, const Plot& plot, bool svg,
                           const std::string& output) {
  std::ostringstream gp;
  // noenhanced: statistic names such as iommu.iotlb.hit_rate keep their
  // underscores instead of turning into subscripts.
  if (svg) {
    gp << "set terminal svg noenhanced size 800,500 background rgb 'white'\n";
  } else {
    // Debian's gnuplot-nox has pngcairo (antialiased); other builds may
    // have only the libgd png terminal.
    gp << "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
          "  set terminal pngcairo noenhanced size 800,500\n"
          "} else {\n"
          "  set terminal png noenhanced size 800,500\n"
          "}\n";
  }
  gp << "set output " << gp_string(output) << "\n";
  if (!args.title.empty()) gp << "set title " << gp_string(args.title) << "\n";
  gp << "set xlabel " << gp_string(args.x) << "\n";
  if (args.y.size() == 1) gp << "set ylabel " << gp_string(args.y.front()) << "\n";
  gp << "set grid\n";
  // Sweeps over sizes, sets or CPUs double from point to point: ticks at
  // each power of two read better than at powers of ten.
  if (args.logx) gp << "set logscale x" << (plot.x_powers_of_two ? " 2" : "") << "\n";
  // Integer x (sizes, counts) as integers, not gnuplot's %g (1.04858e+06).
  if (plot.x_integers) gp << "set format x \"%.0f\"\n";
  if (args.logy) gp << "set logscale y\n";
  if (plot.series.size() > 1) {
    gp << "set key below\n";
  } else {
    gp << "unset key\n";
  }
  for (std::size_t i = 0; i < plot.series.size(); ++i) {
    gp << "$d" << i << " << EOD\n";
    for (const auto& [x, y] : plot.series[i].points) {
      gp << shortest_number(x) << ' ' << shortest_number(y) << '\n';
    }
    gp << "EOD\n";
  }
  gp << "plot ";
  for (std::size_t i = 0; i < plot.series.size(); ++i) {
    gp << (i == 0 ? "" : ", \\\n     ") << "$d" << i
       << " using 1:2 with linespoints lw 2 pt 7 ps 0.8 title " << gp_string(plot.series[i].title);
  }
  gp << "\n";
  return gp.str();
}

// Runs `gnuplot SCRIPT`; returns what it printed (stdout and stderr) or
// throws when it cannot be started or fails.
std::string run_gnuplot(const std::string& script) {
  const TempFile messages("iommu-sim-gnuplot-messages");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, messages.fd(), 1);
  posix_spawn_file_actions_adddup2(&actions, messages.fd(), 2);
  std::string program = "gnuplot", script_arg = script;
  std::array<char*, 3> argv{program.data(), script_arg.data(), nullptr};
  pid_t pid = 0;
  const int spawned = posix_spawnp(&pid, "gnuplot", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    throw PlotFailure{kExitFailure, std::string("cannot run gnuplot: ") + std::strerror(spawned) +
                                        " (install it: apt-get install gnuplot-nox, or "
                                        "scripts/deps.sh)"};
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      throw PlotFailure{kExitFailure, std::string("waiting for gnuplot: ") + std::strerror(errno)};
    }
  }
  std::string printed = read_whole(messages.path());
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    const std::string how = WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                              : "signal " + std::to_string(WTERMSIG(status));
    throw PlotFailure{kExitFailure, "gnuplot failed (" + how + "):\n" + printed};
  }
  return printed;
}

void plot(const PlotArgs& args, std::ostream& err) {
  const std::filesystem::path out(args.out);
  std::string extension = out.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (extension != ".png" && extension != ".svg") {
    throw PlotFailure{kExitUsage, "-o: " + args.out +
                                      (extension.empty() ? ": no extension"
                                                         : ": unknown extension " + extension) +
                                      " (expected .png or .svg)"};
  }
  const std::filesystem::path dir = out.has_parent_path() ? out.parent_path() : ".";
  if (!std::filesystem::is_directory(dir)) {
    throw PlotFailure{kExitUsage, "-o: no directory " + dir.string()};
  }
  std::ifstream in(args.csv, std::ios::binary);
  if (!in) {
    throw PlotFailure{kExitUsage, "cannot open " + args.csv + ": " + std::strerror(errno)};
  }
  std::ostringstream text;
  text << in.rdbuf();
  CsvTable table;
  try {
    table = parse_csv(text.str());
  } catch (const CsvError& e) {
    throw PlotFailure{kExitUsage, args.csv + ": not a CSV with a header: " + e.what()};
  }
  const Plot lines = collect(args, table);

  // gnuplot draws into a file beside OUT, renamed to OUT only once it
  // succeeded: a failed plot leaves no half-written OUT behind.
  const std::filesystem::path drawing =
      dir / ("." + out.filename().string() + ".iommu-sim-" + std::to_string(::getpid()) + ".tmp");
  const TempFile script("iommu-sim-plot");
  {
    std::ofstream s(script.path());
    s << gnuplot_script(args, lines, extension == ".svg", drawing.string());
    if (!s.flush()) {
      throw PlotFailure{kExitFailure, "cannot write the gnuplot script " + script.path()};
    }
  }
  std::error_code ec;
  std::string printed;
  try {
    printed = run_gnuplot(script.path());
  } catch (const PlotFailure&) {
    std::filesystem::remove(drawing, ec);
    throw;
  }
  if (!std::filesystem::exists(drawing) || std::filesystem::file_size(drawing, ec) == 0) {
    std::filesystem::remove(drawing, ec);
    throw PlotFailure{kExitFailure,
                      "gnuplot wrote nothing into " + drawing.string() + ":\n" + printed};
  }
  std::filesystem::rename(drawing, out, ec);
  if (ec) {
    std::filesystem::remove(drawing, ec);
    throw PlotFailure{kExitFailure, "cannot write " + args.out + ": " + ec.message()};
  }
  // Warnings (a series with one point, say) are still worth reading.
  if (!printed.empty()) err << "iommu-sim: plot: gnuplot says:\n" << printed;
}

}  // namespace

CLI::App* add_plot_command(CLI::App& app, PlotArgs& args) {
  auto* cmd = app.add_subcommand(
      "plot", "draw a line plot of a CSV's columns with gnuplot (a sweep's, a time series)");
  cmd->add_option("csv", args.csv, "CSV file with a header row (RFC 4180)")->required();
  cmd->add_option("--x", args.x, "column for the x axis")->required();
  // One value per --y: a column name may itself hold a comma or a space.
  cmd->add_option("--y", args.y, "column for the y axis; repeat for several lines")
      ->required()
      ->allow_extra_args(false);
  cmd->add_option("--by", args.by, "one line per distinct value of this column");
  cmd->add_option("-o,--output", args.out, "image to write: .png or .svg")->required();
  cmd->add_option("--title", args.title, "title above the plot");
  cmd->add_flag("--logx", args.logx, "logarithmic x axis");
  cmd->add_flag("--logy", args.logy, "logarithmic y axis");
  return cmd;
}

int plot_command(const PlotArgs& args, std::ostream& err) {
  try {
    plot(args, err);
    return 0;
  } catch (const PlotFailure& f) {
    err << "iommu-sim: plot: " << f.message << (f.message.ends_with('\n') ? "" : "\n");
    return f.code;
  } catch (const std::exception& e) {
    // The file system (temp_directory_path, file_size) can throw too.
    err << "iommu-sim: plot: " << e.what() << "\n";
    return kExitFailure;
  }
}

}  // namespace iommu_sim
