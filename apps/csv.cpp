#include "apps/csv.h"

namespace iommu_sim {

std::string csv_field(std::string_view value) {
  if (value.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(value);
  std::string quoted = "\"";
  for (const char c : value) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  quoted += '"';
  return quoted;
}

std::string csv_record(const std::vector<std::string>& fields) {
  // A record of one empty field would be an empty line, which readers
  // (this one too) skip: quote it.
  if (fields.size() == 1 && fields[0].empty()) return "\"\"\n";
  std::string record;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i != 0) record += ',';
    record += csv_field(fields[i]);
  }
  record += '\n';
  return record;
}

std::string csv_text(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_unsigned()) return std::to_string(v.get<std::uint64_t>());
  if (v.is_number_integer()) return std::to_string(v.get<std::int64_t>());
  if (v.is_number_float()) return shortest_number(v.get<double>());
  return v.dump();
}

std::optional<std::size_t> CsvTable::column(std::string_view name) const {
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (header[i] == name) return i;
  }
  return std::nullopt;
}

namespace {

bool ends_field(char c) {
  return c == ',' || c == '\n' || c == '\r';
}

// Reads one field from text[i] on, leaving i on the comma, line break or
// end after it; `line` follows line breaks inside a quoted field.
std::string read_field(std::string_view text, std::size_t& i, std::size_t& line,
                       std::size_t field_number) {
  const std::size_t n = text.size();
  std::string field;
  if (i < n && text[i] == '"') {
    const std::size_t opened = line;
    ++i;
    for (;;) {
      if (i >= n) {
        throw CsvError("line " + std::to_string(opened) + ": field " +
                       std::to_string(field_number) + " opens a quote that is never closed");
      }
      const char c = text[i++];
      if (c == '"') {
        if (i < n && text[i] == '"') {
          field += '"';
          ++i;
          continue;
        }
        break;
      }
      if (c == '\n' || (c == '\r' && (i >= n || text[i] != '\n'))) ++line;
      field += c;
    }
    if (i < n && !ends_field(text[i])) {
      throw CsvError("line " + std::to_string(line) + ": field " + std::to_string(field_number) +
                     " has text after its closing quote (a quote inside a quoted field is "
                     "written twice)");
    }
    return field;
  }
  while (i < n && !ends_field(text[i])) {
    if (text[i] == '"') {
      throw CsvError("line " + std::to_string(line) + ": field " + std::to_string(field_number) +
                     " has a double quote but is not quoted (RFC 4180: quote the field and "
                     "write the quote twice)");
    }
    field += text[i++];
  }
  return field;
}

}  // namespace

CsvTable parse_csv(std::string_view text) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  std::vector<std::vector<std::string>> records;
  std::vector<std::size_t> lines;
  const std::size_t n = text.size();
  std::size_t i = 0, line = 1;
  // Steps over the line break at text[i], if any.
  const auto skip_line_break = [&] {
    if (i >= n) return;
    i += text[i] == '\r' && i + 1 < n && text[i + 1] == '\n' ? 2 : 1;
    ++line;
  };
  while (i < n) {
    if (text[i] == '\n' || text[i] == '\r') {  // an empty line
      skip_line_break();
      continue;
    }
    const std::size_t first_line = line;
    std::vector<std::string> fields;
    for (;;) {
      fields.push_back(read_field(text, i, line, fields.size() + 1));
      if (i < n && text[i] == ',') {
        ++i;
        continue;
      }
      skip_line_break();
      break;
    }
    records.push_back(std::move(fields));
    lines.push_back(first_line);
  }
  if (records.empty()) throw CsvError("line 1: no header record (the file is empty)");
  CsvTable table;
  table.header = std::move(records.front());
  for (std::size_t r = 1; r < records.size(); ++r) {
    if (records[r].size() != table.header.size()) {
      throw CsvError("line " + std::to_string(lines[r]) + ": " + std::to_string(records[r].size()) +
                     " fields, but the header has " + std::to_string(table.header.size()));
    }
    table.rows.push_back(std::move(records[r]));
    table.lines.push_back(lines[r]);
  }
  return table;
}

}  // namespace iommu_sim
