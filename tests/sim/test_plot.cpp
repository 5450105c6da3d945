// `iommu-sim plot`: a CSV's columns drawn by gnuplot into a PNG or an SVG,
// one line per --y column and --by value; a column or cell it cannot plot,
// a missing file, an unknown extension (exit 2) and a missing or failing
// gnuplot (exit 1) are each named, and on any error nothing is written.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/support/cli.h"
#include "tests/support/temp_dir.h"

namespace iommu_sim::test {
namespace {

namespace fs = std::filesystem;

// A small sweep-like CSV: a quoted header with a comma, a string column to
// group by, rows out of x order.
const char* const kCsv =
    "point,mode,cpus,\"latency, ns\",iops\n"
    "0,strict,4,77.4,1599000\n"
    "1,strict,1,24.7,664000\n"
    "2,lazy,1,21.2,769000\n"
    "3,lazy,4,76.9,1599000\n";

// A directory of the test's own, holding only what the test puts there.
fs::path fresh_dir(const std::string& name) {
  const auto dir = temp_dir() / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string read(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::size_t files_in(const fs::path& dir) {
  return static_cast<std::size_t>(
      std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

TEST(Plot, WritesAPngFromASmallCsv) {
  const auto dir = fresh_dir("plot_png");
  std::ofstream(dir / "s.csv") << kCsv;
  const auto r =
      run_command("plot " + (dir / "s.csv").string() +
                  " --x cpus --y 'latency, ns' --by mode --logx --title 'it'\\''s a test'"
                  " -o " +
                  (dir / "p.png").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string png = read(dir / "p.png");
  ASSERT_GT(png.size(), 1000u);
  EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_EQ(files_in(dir), 2u);  // the CSV and the PNG: no temporary left
}

TEST(Plot, WritesAnSvgWithALinePerYColumnAndByValue) {
  const auto dir = fresh_dir("plot_svg");
  std::ofstream(dir / "s.csv") << kCsv;
  const auto r =
      run_command("plot " + (dir / "s.csv").string() +
                  " --x cpus --y iops --y point --by mode -o " + (dir / "p.svg").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string svg = read(dir / "p.svg");
  EXPECT_NE(svg.find("<svg"), std::string::npos);
  // Legend entries: column, then the --by value in the order it first
  // appears.
  for (const char* title :
       {"iops, mode = strict", "iops, mode = lazy", "point, mode = strict", "point, mode = lazy"}) {
    EXPECT_NE(svg.find(title), std::string::npos) << title;
  }
  EXPECT_LT(svg.find("iops, mode = strict"), svg.find("iops, mode = lazy"));
}

TEST(Plot, UnknownColumnIsNamedWithTheColumnsThereAre) {
  const auto dir = fresh_dir("plot_column");
  std::ofstream(dir / "s.csv") << kCsv;
  const auto r = run_command("plot " + (dir / "s.csv").string() +
                             " --x cpus --y iops --by modus -o " + (dir / "p.png").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("--by: no column \"modus\" in " + (dir / "s.csv").string() +
                          "; its columns: point, mode, cpus, latency, ns, iops"),
            std::string::npos)
      << r.output;
  EXPECT_FALSE(fs::exists(dir / "p.png"));
  EXPECT_EQ(files_in(dir), 1u);
}

TEST(Plot, NonNumericCellIsNamedByLineAndColumn) {
  const auto dir = fresh_dir("plot_cell");
  std::ofstream(dir / "s.csv") << "time_ns,\"a,b\",c\n0,1,2\n10,\"n/a\",3\n20,4,\n";
  const std::string csv = (dir / "s.csv").string();
  auto r = run_command("plot " + csv + " --x time_ns --y 'a,b' -o " + (dir / "p.svg").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find(csv + ", line 3 (row 2), column \"a,b\": \"n/a\" is not a number"),
            std::string::npos)
      << r.output;
  r = run_command("plot " + csv + " --x time_ns --y c -o " + (dir / "p.svg").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find(csv + ", line 4 (row 3), column \"c\": empty"), std::string::npos)
      << r.output;
  r = run_command("plot " + csv + " --x time_ns --y c --logx -o " + (dir / "p.svg").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("line 2 (row 1), column \"time_ns\": 0 cannot be shown on a log scale"),
            std::string::npos)
      << r.output;
  EXPECT_EQ(files_in(dir), 1u);
}

TEST(Plot, MissingFileUnknownExtensionAndMalformedCsvAreUsageErrors) {
  const auto dir = fresh_dir("plot_usage");
  std::ofstream(dir / "s.csv") << kCsv;
  std::ofstream(dir / "bad.csv") << "a,b\n1,\"2\n";
  const std::string good = " --x cpus --y iops -o ";
  auto r = run_command("plot " + (dir / "none.csv").string() + good + (dir / "p.png").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("cannot open " + (dir / "none.csv").string()), std::string::npos)
      << r.output;
  r = run_command("plot " + (dir / "s.csv").string() + good + (dir / "p.jpg").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("unknown extension .jpg (expected .png or .svg)"), std::string::npos)
      << r.output;
  r = run_command("plot " + (dir / "bad.csv").string() + " --x a --y b -o " +
                  (dir / "p.png").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("line 2: field 2 opens a quote that is never closed"), std::string::npos)
      << r.output;
  r = run_command("plot " + (dir / "s.csv").string() + " --x cpus -o " + (dir / "p.png").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;  // --y is required
  EXPECT_EQ(files_in(dir), 2u);
}

TEST(Plot, MissingOrFailingGnuplotIsARuntimeErrorAndWritesNothing) {
  const auto dir = fresh_dir("plot_gnuplot");
  std::ofstream(dir / "s.csv") << kCsv;
  const std::string args =
      " plot " + (dir / "s.csv").string() + " --x cpus --y iops -o " + (dir / "p.png").string();
  auto r = run_command(args, "PATH=/nonexistent");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("cannot run gnuplot: No such file or directory"), std::string::npos)
      << r.output;
  // A gnuplot that fails: its messages are shown.
  const auto bin = fresh_dir("plot_fake_bin");
  std::ofstream(bin / "gnuplot")
      << "#!/bin/sh\necho \"line 7: fake gnuplot refuses\" >&2\nexit 3\n";
  fs::permissions(bin / "gnuplot", fs::perms::owner_all);
  r = run_command(args, "PATH=" + bin.string() + ":/usr/bin:/bin");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("gnuplot failed (exit status 3):\nline 7: fake gnuplot refuses"),
            std::string::npos)
      << r.output;
  EXPECT_EQ(files_in(dir), 1u);  // the CSV alone
}

}  // namespace
}  // namespace iommu_sim::test
