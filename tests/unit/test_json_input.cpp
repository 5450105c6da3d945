// Reading user JSON: nesting is bounded before anything recurses, a key
// given twice is refused with its path, a number beyond a double is an
// error and not an exception, and files that are not readable regular files
// say why.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "model/json_input.h"
#include "tests/support/temp_dir.h"

namespace iommu_sim {
namespace {

std::string nested(std::size_t depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

TEST(JsonInput, NestingIsBoundedAt64Levels) {
  std::string error;
  EXPECT_TRUE(parse_json(nested(64), error).has_value()) << error;
  EXPECT_FALSE(parse_json(nested(65), error).has_value());
  EXPECT_NE(error.find("nested deeper than 64 levels"), std::string::npos) << error;
  // A million levels: refused at level 65, without recursing into the rest.
  EXPECT_FALSE(parse_json(nested(1000000), error).has_value());
  EXPECT_NE(error.find("nested deeper than 64 levels"), std::string::npos);
}

TEST(JsonInput, DuplicateKeysAreRefusedWithTheirPath) {
  std::string error;
  EXPECT_FALSE(parse_json(R"({"iommu": {"iotlb": {"sets": 4, "sets": 8}}})", error));
  EXPECT_EQ(error, "iommu.iotlb.sets: key given twice");
  EXPECT_FALSE(parse_json(
      R"({"workloads": [{"name": "a"}, {"name": "b", "count": 1, "count": 2}]})", error));
  EXPECT_EQ(error, "workloads[1].count: key given twice");
  EXPECT_FALSE(parse_ordered_json(R"({"seed": 1, "seed": 2})", error));
  EXPECT_EQ(error, "seed: key given twice");
  // The same key in two objects is not a duplicate.
  EXPECT_TRUE(parse_json(R"({"a": {"x": 1}, "b": {"x": 1}, "c": [{"x": 1}, {"x": 2}]})", error));
}

TEST(JsonInput, NumbersBeyondADoubleAreAnError) {
  std::string error;
  EXPECT_FALSE(parse_json(R"({"seed": -1e999})", error).has_value());
  EXPECT_NE(error.find("number overflow parsing '-1e999'"), std::string::npos) << error;
  EXPECT_FALSE(parse_json("{\"a\": 1", error).has_value());
  EXPECT_NE(error.find("parse error"), std::string::npos) << error;
}

TEST(JsonInput, FilesThatCannotBeReadSayWhy) {
  const auto dir = test::temp_dir() / "json_input";
  std::filesystem::create_directories(dir);
  std::string error;
  EXPECT_FALSE(read_json(dir, error).has_value());
  EXPECT_EQ(error, "cannot read " + dir.string() + ": it is a directory");
  EXPECT_FALSE(read_json(dir / "none.json", error).has_value());
  EXPECT_EQ(error, "cannot open " + (dir / "none.json").string() + ": no such file");
  // A FIFO would block the reader until someone writes to it.
  const auto fifo = dir / "fifo";
  std::filesystem::remove(fifo);
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_FALSE(read_json(fifo, error).has_value());
  EXPECT_EQ(error, "cannot read " + fifo.string() + ": not a regular file");
  // Reading /proc/self/mem at offset 0 fails with EIO: a read error, which
  // the standard library would otherwise throw out of the JSON parser.
  EXPECT_FALSE(read_json("/proc/self/mem", error).has_value());
  EXPECT_EQ(error, "cannot read /proc/self/mem: Input/output error");
  const auto big = dir / "big.json";
  std::ofstream(big) << std::string(100, ' ');
  EXPECT_FALSE(read_text_file(big, error, 64).has_value());
  EXPECT_EQ(error, "cannot read " + big.string() + ": larger than 64 bytes");
  const auto good = dir / "good.json";
  std::ofstream(good) << R"({"seed": 7})";
  const auto j = read_json(good, error);
  ASSERT_TRUE(j.has_value()) << error;
  EXPECT_EQ(j->at("seed"), 7);
}

}  // namespace
}  // namespace iommu_sim
