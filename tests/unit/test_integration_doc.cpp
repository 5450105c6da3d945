// docs/integration.md quotes examples/custom_platform rather than showing
// code of its own, and a quote cannot drift from the code: every C++ block
// is a verbatim part of the example's main.cpp, the find_package block a
// part of its CMakeLists.txt, and the output shown is what
// tests/installed_example.sh (the test that builds and runs the example
// against an install) expects it to print.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

std::string read_source(const std::string& path) {
  std::ifstream in(std::string(IOMMU_SIM_SOURCE_DIR) + "/" + path);
  EXPECT_TRUE(in) << "cannot read " << path;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The contents of the fenced blocks of `markdown` opened with ```language.
std::vector<std::string> fenced_blocks(const std::string& markdown, const std::string& language) {
  std::vector<std::string> out;
  const std::string open = "```" + language + "\n";
  for (std::size_t at = markdown.find(open); at != std::string::npos;
       at = markdown.find(open, at)) {
    const std::size_t start = at + open.size();
    const std::size_t end = markdown.find("```\n", start);
    if (end == std::string::npos) {
      ADD_FAILURE() << "a ```" << language << " block is never closed";
      break;
    }
    out.push_back(markdown.substr(start, end - start));
    at = end;
  }
  return out;
}

TEST(IntegrationDoc, QuotesTheExample) {
  const std::string doc = read_source("docs/integration.md");
  const std::string example = read_source("examples/custom_platform/main.cpp");
  const auto code = fenced_blocks(doc, "cpp");
  EXPECT_EQ(code.size(), 4u);
  for (const std::string& block : code) {
    EXPECT_NE(example.find(block), std::string::npos) << "not in the example's main.cpp:\n"
                                                      << block;
  }

  const std::string cmake = read_source("examples/custom_platform/CMakeLists.txt");
  int package_blocks = 0;
  for (const std::string& block : fenced_blocks(doc, "cmake")) {
    if (block.find("find_package(iommu_sim") == std::string::npos) continue;
    ++package_blocks;
    EXPECT_NE(cmake.find(block), std::string::npos) << "not in the example's CMakeLists.txt:\n"
                                                    << block;
  }
  EXPECT_EQ(package_blocks, 1);

  const auto output = fenced_blocks(doc, "text");
  ASSERT_EQ(output.size(), 1u);
  EXPECT_NE(read_source("tests/installed_example.sh").find(output[0]), std::string::npos)
      << "not the output tests/installed_example.sh expects:\n"
      << output[0];
}

}  // namespace
