#include "model/json_input.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <vector>

namespace iommu_sim {

namespace {

// Thrown from the parser callback to stop at the first refused construct;
// never leaves this file.
struct Refused {
  std::string message;
};

// Builds the document with nlohmann-json's own DOM builder, fed by its SAX
// parser, and follows the parse to keep the path of the value being parsed
// ("workloads[1].count") and each open object's keys. Not the callback
// parser: in nlohmann-json 3.11 its end_object() scans the enclosing array
// for a discarded element, so an array of n objects (65,536 address
// spaces) costs n^2 (issue 17).
template <class Json>
class CheckedDomParser {
 public:
  using number_integer_t = typename Json::number_integer_t;
  using number_unsigned_t = typename Json::number_unsigned_t;
  using number_float_t = typename Json::number_float_t;
  using string_t = typename Json::string_t;
  using binary_t = typename Json::binary_t;

  explicit CheckedDomParser(Json& result) : dom_(result) {}

  bool null() { return value(dom_.null()); }
  bool boolean(bool v) { return value(dom_.boolean(v)); }
  bool number_integer(number_integer_t v) { return value(dom_.number_integer(v)); }
  bool number_unsigned(number_unsigned_t v) { return value(dom_.number_unsigned(v)); }
  bool number_float(number_float_t v, const string_t& s) { return value(dom_.number_float(v, s)); }
  bool string(string_t& v) { return value(dom_.string(v)); }
  bool binary(binary_t& v) { return value(dom_.binary(v)); }
  bool start_object(std::size_t n) {
    open(true);
    return dom_.start_object(n);
  }
  bool key(string_t& k) {
    Frame& f = frames_.back();
    f.key = k;
    if (!f.keys.insert(f.key).second) throw Refused{where() + ": key given twice"};
    return dom_.key(k);
  }
  bool end_object() {
    frames_.pop_back();
    return value(dom_.end_object());
  }
  bool start_array(std::size_t n) {
    open(false);
    return dom_.start_array(n);
  }
  bool end_array() {
    frames_.pop_back();
    return value(dom_.end_array());
  }
  // Syntax errors and numbers beyond a double (out_of_range 406): the DOM
  // builder throws them as the plain parser does.
  template <class Exception>
  bool parse_error(std::size_t at, const std::string& token, const Exception& e) {
    return dom_.parse_error(at, token, e);
  }

 private:
  struct Frame {
    bool object;
    std::size_t index = 0;
    std::string key;
    std::set<std::string> keys;
  };
  void open(bool object) {
    if (frames_.size() >= kMaxJsonDepth) {
      throw Refused{where() + ": nested deeper than " + std::to_string(kMaxJsonDepth) + " levels"};
    }
    frames_.push_back({object});
  }
  // A value (or a whole object or array) is complete: the next element of
  // an enclosing array has the next index.
  bool value(bool ok) {
    if (!frames_.empty() && !frames_.back().object) ++frames_.back().index;
    return ok;
  }
  std::string where() const {
    std::string path;
    for (const Frame& f : frames_) {
      if (f.object) {
        if (f.keys.empty()) continue;  // no key read yet: the object itself
        if (!path.empty()) path += '.';
        path += f.key;
      } else {
        path += "[" + std::to_string(f.index) + "]";
      }
    }
    return path.empty() ? "<top level>" : path;
  }
  nlohmann::detail::json_sax_dom_parser<Json> dom_;
  std::vector<Frame> frames_;
};

template <class Json>
std::optional<Json> parse(std::string_view text, std::string& error) {
  try {
    Json result;
    CheckedDomParser<Json> parser(result);
    Json::sax_parse(text.begin(), text.end(), &parser);
    return result;
  } catch (const Refused& r) {
    error = r.message;
  } catch (const nlohmann::json::exception& e) {
    // parse_error (syntax) and out_of_range 406 (a number beyond a double).
    error = e.what();
  }
  return std::nullopt;
}

template <class Json>
std::optional<Json> read(const std::filesystem::path& file, std::string& error) {
  const auto text = read_text_file(file, error);
  if (!text) return std::nullopt;
  auto j = parse<Json>(*text, error);
  if (!j) error = file.string() + " is not valid JSON: " + error;
  return j;
}

}  // namespace

std::optional<nlohmann::json> parse_json(std::string_view text, std::string& error) {
  return parse<nlohmann::json>(text, error);
}

std::optional<nlohmann::ordered_json> parse_ordered_json(std::string_view text,
                                                         std::string& error) {
  return parse<nlohmann::ordered_json>(text, error);
}

std::optional<std::string> read_text_file(const std::filesystem::path& file, std::string& error,
                                          std::uintmax_t max_bytes) {
  std::error_code ec;
  const auto status = std::filesystem::status(file, ec);
  if (ec || !std::filesystem::exists(status)) {
    error = "cannot open " + file.string() + ": no such file";
    return std::nullopt;
  }
  if (std::filesystem::is_directory(status)) {
    error = "cannot read " + file.string() + ": it is a directory";
    return std::nullopt;
  }
  // A FIFO or a device would block or never end.
  if (!std::filesystem::is_regular_file(status)) {
    error = "cannot read " + file.string() + ": not a regular file";
    return std::nullopt;
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    error = "cannot open " + file.string() + ": " + std::strerror(errno);
    return std::nullopt;
  }
  std::string text;
  char buffer[1 << 16];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    text.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (text.size() > max_bytes) {
      error =
          "cannot read " + file.string() + ": larger than " + std::to_string(max_bytes) + " bytes";
      return std::nullopt;
    }
  }
  if (in.bad()) {
    error = "cannot read " + file.string() + ": " + std::strerror(errno);
    return std::nullopt;
  }
  return text;
}

std::optional<nlohmann::json> read_json(const std::filesystem::path& file, std::string& error) {
  return read<nlohmann::json>(file, error);
}

std::optional<nlohmann::ordered_json> read_ordered_json(const std::filesystem::path& file,
                                                        std::string& error) {
  return read<nlohmann::ordered_json>(file, error);
}

}  // namespace iommu_sim
