// The tutorial (docs/tutorial/) shows commands and what they print: every
// ```console block is "$ iommu-sim ..." and its output. This runs each
// command from the repository's root (the SystemC banner on stderr left
// out) and fails when the output shown is no longer what it prints.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

namespace iommu_sim::test {
namespace {

namespace fs = std::filesystem;

struct Shown {
  std::string file;
  int line = 0;
  std::string command, output;
};

std::vector<Shown> console_blocks(const fs::path& lesson) {
  std::vector<Shown> out;
  std::ifstream in(lesson);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  const std::regex open(R"(^(\s*)```console$)");
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::smatch m;
    if (!std::regex_match(lines[i], m, open)) continue;
    const std::size_t indent = m[1].length();
    Shown s{lesson.filename().string(), static_cast<int>(i + 1), {}, {}};
    const std::string first = i + 1 < lines.size() ? lines[i + 1] : "";
    EXPECT_EQ(first.substr(0, indent + 2), std::string(indent, ' ') + "$ ")
        << s.file << ":" << s.line << ": a console block starts with \"$ command\"";
    s.command = first.size() > indent + 2 ? first.substr(indent + 2) : "";
    std::size_t j = i + 2;
    for (; j < lines.size() && lines[j].find("```") == std::string::npos; ++j) {
      const std::string& l = lines[j];
      s.output += (l.size() >= indent ? l.substr(indent) : std::string()) + "\n";
    }
    i = j;
    out.push_back(s);
  }
  return out;
}

// Runs `command` (its iommu-sim words replaced by the built binary) in the
// source tree; returns stdout.
std::string run_in_source_tree(const std::string& command) {
  const std::string sim = IOMMU_SIM_BINARY;
  const std::string shell =
      std::regex_replace(command, std::regex(R"((^|[;&|]\s*)iommu-sim )"), "$1" + sim + " ");
  const std::string cmd =
      "cd '" + std::string(IOMMU_SIM_SOURCE_DIR) + "' && { " + shell + " ; } 2>/dev/null";
  FILE* f = popen(cmd.c_str(), "r");
  std::string out;
  std::array<char, 4096> buf{};
  while (std::size_t n = std::fread(buf.data(), 1, buf.size(), f)) out.append(buf.data(), n);
  pclose(f);
  return out;
}

std::vector<fs::path> lessons() {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(fs::path(IOMMU_SIM_SOURCE_DIR) / "docs/tutorial")) {
    if (e.path().filename().string().front() != 'R' && e.path().extension() == ".md") {
      out.push_back(e.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(Tutorial, EveryLessonsCommandsPrintWhatTheLessonShows) {
  const auto files = lessons();
  ASSERT_EQ(files.size(), 8u);
  std::size_t blocks = 0;
  for (const fs::path& lesson : files) {
    const auto shown = console_blocks(lesson);
    EXPECT_FALSE(shown.empty()) << lesson << " shows no command";
    for (const Shown& s : shown) {
      ++blocks;
      EXPECT_EQ(run_in_source_tree(s.command), s.output)
          << s.file << ":" << s.line << ": $ " << s.command;
    }
  }
  EXPECT_GE(blocks, 20u);
}

TEST(Tutorial, EveryTutorialConfigIsUsedByALesson) {
  std::string all;
  for (const fs::path& lesson : lessons()) {
    std::ifstream in(lesson);
    std::stringstream text;
    text << in.rdbuf();
    all += text.str();
  }
  for (const auto& e :
       fs::directory_iterator(fs::path(IOMMU_SIM_SOURCE_DIR) / "configs/tutorial")) {
    const std::string name = "configs/tutorial/" + e.path().filename().string();
    EXPECT_NE(all.find(name), std::string::npos) << name << " is in no lesson";
  }
}

}  // namespace
}  // namespace iommu_sim::test
