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

// Follows the parse as nlohmann-json's callback reports it, keeping the path
// of the value being parsed ("workloads[1].count") and each open object's
// keys.
template <class Json>
class Checker {
 public:
  bool operator()(int /*depth*/, nlohmann::json::parse_event_t event, Json& parsed) {
    using E = nlohmann::json::parse_event_t;
    switch (event) {
      case E::object_start:
      case E::array_start:
        if (frames_.size() >= kMaxJsonDepth) {
          throw Refused{where() + ": nested deeper than " + std::to_string(kMaxJsonDepth) +
                        " levels"};
        }
        frames_.push_back({event == E::object_start});
        break;
      case E::key: {
        Frame& f = frames_.back();
        f.key = parsed.template get<std::string>();
        if (!f.keys.insert(f.key).second) throw Refused{where() + ": key given twice"};
        break;
      }
      case E::object_end:
      case E::array_end:
        frames_.pop_back();
        element_done();
        break;
      case E::value:
        element_done();
        break;
    }
    return true;
  }

 private:
  struct Frame {
    bool object;
    std::size_t index = 0;
    std::string key;
    std::set<std::string> keys;
  };
  void element_done() {
    if (!frames_.empty() && !frames_.back().object) ++frames_.back().index;
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
  std::vector<Frame> frames_;
};

template <class Json>
std::optional<Json> parse(std::string_view text, std::string& error) {
  try {
    Checker<Json> checker;
    return Json::parse(text.begin(), text.end(), std::ref(checker));
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
