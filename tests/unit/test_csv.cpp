// RFC 4180 CSV (apps/csv.h): the writer quotes exactly the fields that need
// it, and what it writes reads back field for field in a reader written
// here from the RFC's grammar alone; the product's reader takes what other
// tools write (CRLF, no final line end, line breaks in quotes) and names
// the line of anything malformed; numbers are in shortest round-trip form.
#include <gtest/gtest.h>

#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "apps/csv.h"

namespace iommu_sim {
namespace {

using Records = std::vector<std::vector<std::string>>;

// RFC 4180 section 2, rules 1-7, and nothing else: records end in CRLF or
// LF, a quoted field holds anything with its quotes doubled. Independent
// of apps/csv.cpp so that a mistake shared by writer and reader shows.
Records rfc4180_records(const std::string& text) {
  Records records;
  std::vector<std::string> record;
  std::string field;
  bool in_quotes = false, was_quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_quotes) {
      if (c != '"') {
        field += c;
      } else if (i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else {
        in_quotes = false;
      }
    } else if (c == '"') {
      EXPECT_TRUE(field.empty() && !was_quoted) << "quote inside a field at " << i;
      in_quotes = was_quoted = true;
    } else if (c == ',') {
      record.push_back(field);
      field.clear();
      was_quoted = false;
    } else if (c == '\n' || (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n')) {
      if (c == '\r') ++i;
      record.push_back(field);
      records.push_back(record);
      record.clear();
      field.clear();
      was_quoted = false;
    } else {
      field += c;
    }
  }
  EXPECT_FALSE(in_quotes) << "unterminated quote";
  EXPECT_TRUE(record.empty() && field.empty()) << "last record without a line end";
  return records;
}

TEST(Csv, QuotesExactlyTheFieldsThatNeedIt) {
  EXPECT_EQ(csv_field("iommu.iotlb.hit_rate"), "iommu.iotlb.hit_rate");
  EXPECT_EQ(csv_field("64 KiB"), "64 KiB");
  EXPECT_EQ(csv_field(""), "");
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(csv_field("cr\rhere"), "\"cr\rhere\"");
  EXPECT_EQ(csv_record({"point", "[1,2]", "x"}), "point,\"[1,2]\",x\n");
  // One empty field alone would be an empty line, which readers skip.
  EXPECT_EQ(csv_record({""}), "\"\"\n");
}

TEST(Csv, WhatTheWriterWritesReadsBackFieldForField) {
  const Records written = {
      {"point", "name, with comma", "quote \"inside\"", "[{\"iova\":\"0x0\",\"size\":\"1MiB\"}]"},
      {"0", "a,b", "\"", "line\nbreak"},
      {"1", "", "crlf\r\ninside", "  spaces  "},
  };
  std::string text;
  for (const auto& r : written) text += csv_record(r);
  EXPECT_EQ(rfc4180_records(text), written);
  const CsvTable table = parse_csv(text);
  EXPECT_EQ(table.header, written[0]);
  ASSERT_EQ(table.rows.size(), 2u);
  EXPECT_EQ(table.rows[0], written[1]);
  EXPECT_EQ(table.rows[1], written[2]);
  // Row 0 starts on line 2 and holds a line break: row 1 starts on line 4.
  EXPECT_EQ(table.lines, (std::vector<std::size_t>{2, 4}));
  EXPECT_EQ(table.column("quote \"inside\""), 2u);
  EXPECT_FALSE(table.column("missing").has_value());
}

TEST(Csv, ReaderTakesCrlfLfAByteOrderMarkAndNoFinalLineEnd) {
  const CsvTable crlf = parse_csv("\xEF\xBB\xBFtime_ns,\"a,b\"\r\n0,1\r\n\r\n10,\"2\r\n3\"");
  EXPECT_EQ(crlf.header, (std::vector<std::string>{"time_ns", "a,b"}));
  ASSERT_EQ(crlf.rows.size(), 2u);
  EXPECT_EQ(crlf.rows[1], (std::vector<std::string>{"10", "2\r\n3"}));
  EXPECT_EQ(crlf.lines, (std::vector<std::size_t>{2, 4}));
  const CsvTable trailing_empty = parse_csv("a,b,c\n1,,\n");
  EXPECT_EQ(trailing_empty.rows.at(0), (std::vector<std::string>{"1", "", ""}));
}

std::string error_of(const std::string& text) {
  try {
    parse_csv(text);
  } catch (const CsvError& e) {
    return e.what();
  }
  return "no error";
}

TEST(Csv, ReaderNamesTheLineOfMalformedInput) {
  EXPECT_EQ(error_of(""), "line 1: no header record (the file is empty)");
  EXPECT_EQ(error_of("a,b\n1,2\n3\n"), "line 3: 1 fields, but the header has 2");
  EXPECT_EQ(error_of("a,b\n1,\"open\n2,3\n"), "line 2: field 2 opens a quote that is never closed");
  EXPECT_NE(error_of("a,b\n1,\"x\"y\n").find("line 2: field 2 has text after its closing quote"),
            std::string::npos);
  EXPECT_NE(
      error_of("a,b\n\n1,x\"y\n").find("line 3: field 2 has a double quote but is not quoted"),
      std::string::npos);
}

TEST(Csv, NumbersAreWrittenInShortestRoundTripForm) {
  EXPECT_EQ(csv_text(nlohmann::json(0.1)), "0.1");
  EXPECT_EQ(csv_text(nlohmann::json(1e-7)), "1e-07");
  EXPECT_EQ(std::strtod("1e-07", nullptr), 1e-7);
  EXPECT_EQ(csv_text(nlohmann::json(3)), "3");
  EXPECT_EQ(csv_text(nlohmann::json(3.0)), "3");  // nlohmann's dump says 3.0
  EXPECT_EQ(csv_text(nlohmann::json(-42)), "-42");
  EXPECT_EQ(csv_text(nlohmann::json(std::numeric_limits<std::uint64_t>::max())),
            "18446744073709551615");
  EXPECT_EQ(csv_text(nlohmann::json(38086000.0)), "38086000");
  for (const double v :
       {1.0 / 3, 2.0 / 3 * 1e300, 5e-324, 0.30000000000000004, 87.14113499999999}) {
    const std::string text = shortest_number(v);
    EXPECT_EQ(std::strtod(text.c_str(), nullptr), v) << text;
    // No longer than nlohmann's dump, itself a shortest round-trip form.
    EXPECT_LE(text.size(), nlohmann::json(v).dump().size()) << text;
  }
  EXPECT_EQ(csv_text(nlohmann::json("64KiB")), "64KiB");
  EXPECT_EQ(csv_text(nlohmann::json(true)), "true");
  EXPECT_EQ(csv_text(nlohmann::json::array({1, 2})), "[1,2]");
}

}  // namespace
}  // namespace iommu_sim
