// CSV as RFC 4180 defines it, written by `iommu-sim sweep` and read by
// `iommu-sim plot` (docs/sweeps.md, "The CSV").
//
// Writing: a field is quoted when it contains a comma, a double quote, CR or
// LF, its double quotes doubled; every record, the header's too, ends in LF.
// RFC 4180 says CRLF, but its readers accept LF, and line-based tools (awk,
// sort, gnuplot, a shell's read) would see a CR as part of the last field.
//
// Reading: a header record, then data records with as many fields each;
// records end in LF, CRLF or CR, a last one possibly in nothing; quoted
// fields may hold commas, doubled quotes and line breaks; empty lines are
// skipped; a UTF-8 byte order mark before the header is skipped.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "model/number_text.h"

namespace iommu_sim {

// `value` as one CSV field: as it is, or quoted with its quotes doubled.
std::string csv_field(std::string_view value);

// The fields joined by commas, each through csv_field, ended by LF.
std::string csv_record(const std::vector<std::string>& fields);

// A JSON value as a cell's text (before quoting): a string as it is, an
// integer as an integer, another number in shortest round-trip form,
// true/false/null as such, a list or object as compact JSON.
std::string csv_text(const nlohmann::json& v);

// A malformed CSV; what() starts with the line: "line 3: ...".
class CsvError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct CsvTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::size_t> lines;  // the line (from 1) each row starts on
  // The index of the first column named `name`.
  std::optional<std::size_t> column(std::string_view name) const;
};

// Parses a whole CSV with a header record; throws CsvError.
CsvTable parse_csv(std::string_view text);

}  // namespace iommu_sim
