// Writes the seed corpora of the fuzz targets (docs/fuzzing.md):
//
//   fuzz_make_seeds SOURCE_DIR CORPUS_DIR
//
// From the shipped examples, SOURCE_DIR/configs/**/*.json and the JSON
// blocks of SOURCE_DIR/docs/**/*.md: configs (and scenarios' inline
// platforms) for config, scenarios for scenario, sweeps (a "base" file
// inlined as "config", as the target reads no file) for sweep, and every
// distinct "pcie" object for topology. For lspci_import, the published
// listings SOURCE_DIR/configs/topology/listings/NAME.lspci.txt, each with
// its NAME.groups.txt after a NUL byte, and the `iommu-sim topo` printout of
// every config in SOURCE_DIR/configs/topology/. For the binary targets, inputs
// whose tables and descriptors are encoded with iommu/formats/ (through
// table_image.h): translations of each kind that succeed, and the edge
// cases the targets exist for. Seeds are named seed-*; the generator
// replaces those and leaves every other file (the crash regressions).
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/seeds.h"
#include "model/platform/platform_config.h"
#include "pcie/topology_report.h"

namespace fs = std::filesystem;
using namespace iommu_sim::fuzz;
using Json = nlohmann::ordered_json;

namespace {

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class Corpus {
 public:
  explicit Corpus(fs::path root) : root_(std::move(root)) {}

  // Empties `target`'s seeds (once per run), keeping its other files.
  fs::path dir(const std::string& target) {
    const fs::path d = root_ / target;
    if (cleared_.insert(target).second) {
      fs::create_directories(d);
      for (const auto& f : fs::directory_iterator(d)) {
        if (f.path().filename().string().starts_with("seed-")) fs::remove(f.path());
      }
    }
    return d;
  }
  // Writes a seed unless the target has one with the same bytes already.
  void add(const std::string& target, const std::string& name, const std::string& bytes) {
    if (!contents_[target].insert(bytes).second) return;
    std::ofstream(dir(target) / ("seed-" + name), std::ios::binary) << bytes;
  }

 private:
  fs::path root_;
  std::set<std::string> cleared_;
  std::map<std::string, std::set<std::string>> contents_;
};

// One example, by what it is: a scenario, a sweep or a config.
void add_example(Corpus& corpus, const std::string& name, const std::string& text,
                 const fs::path& dir) {
  Json j;
  try {
    j = Json::parse(text);
  } catch (const nlohmann::json::exception&) {
    return;  // a fragment in the docs
  }
  if (!j.is_object()) return;
  auto add_pcie = [&](const Json& config, const std::string& as) {
    if (config.is_object() && config.contains("pcie"))
      corpus.add("topology", as, config["pcie"].dump(2));
  };
  if (j.contains("steps")) {
    corpus.add("scenario", name, text);
    if (j.contains("platform") && j["platform"].is_object()) {
      corpus.add("config", "platform-" + name, j["platform"].dump(2));
      add_pcie(j["platform"], name);
    }
  } else if (j.contains("sweep")) {
    if (j.contains("base") && j["base"].is_string()) {
      // The target gives every file name a directory that does not exist.
      try {
        Json inlined;
        for (const auto& [key, value] : j.items()) {
          if (key == "base") {
            inlined["config"] = Json::parse(read_file(dir / value.get<std::string>()));
          } else {
            inlined[key] = value;
          }
        }
        j = std::move(inlined);
      } catch (const nlohmann::json::exception&) {
        // The base is not where the example says: keep the name, an error path.
      }
    }
    corpus.add("sweep", name, j.dump(2));
  } else {
    corpus.add("config", name, text);
    add_pcie(j, name);
  }
}

std::string seed_name(const fs::path& source, const fs::path& file) {
  std::string name = fs::relative(file, source).string();
  std::replace(name.begin(), name.end(), '/', '_');
  return name;
}

void add_examples(Corpus& corpus, const fs::path& source) {
  std::vector<fs::path> files;
  for (const auto& f : fs::recursive_directory_iterator(source / "configs")) {
    if (f.path().extension() == ".json") files.push_back(f.path());
  }
  std::vector<fs::path> docs;
  for (const auto& f : fs::recursive_directory_iterator(source / "docs")) {
    if (f.path().extension() == ".md") docs.push_back(f.path());
  }
  std::sort(files.begin(), files.end());
  std::sort(docs.begin(), docs.end());
  for (const auto& f : files) {
    add_example(corpus, seed_name(source, f), read_file(f), f.parent_path());
  }
  for (const auto& f : docs) {
    std::istringstream in(read_file(f));
    std::string line, block;
    bool inside = false;
    int n = 0;
    while (std::getline(in, line)) {
      if (!inside && line == "```json") {
        inside = true;
        block.clear();
      } else if (inside && line == "```") {
        inside = false;
        add_example(corpus, seed_name(source, f) + "-" + std::to_string(++n) + ".json", block,
                    f.parent_path());
      } else if (inside) {
        block += line + "\n";
      }
    }
  }
}

// The tree and group listings of real machines, and topo's printouts, in
// the form fuzz_lspci_import reads: the tree file's text, a NUL byte, the
// group listing's.
void add_import_seeds(Corpus& corpus, const fs::path& source) {
  std::vector<fs::path> trees, configs;
  for (const auto& f : fs::directory_iterator(source / "configs/topology/listings")) {
    if (f.path().string().ends_with(".lspci.txt")) trees.push_back(f.path());
  }
  for (const auto& f : fs::directory_iterator(source / "configs/topology")) {
    if (f.path().extension() == ".json") configs.push_back(f.path());
  }
  std::sort(trees.begin(), trees.end());
  std::sort(configs.begin(), configs.end());
  for (const auto& tree : trees) {
    const std::string name = tree.filename().string();
    const std::string stem = name.substr(0, name.size() - std::string_view(".lspci.txt").size());
    const fs::path groups = tree.parent_path() / (stem + ".groups.txt");
    corpus.add("lspci_import", stem + ".txt", read_file(tree));
    if (fs::exists(groups)) {
      corpus.add("lspci_import", stem + "-groups.txt",
                 read_file(tree) + std::string(1, '\0') + read_file(groups));
    }
  }
  for (const auto& file : configs) {
    iommu_sim::PlatformConfig config;
    if (!iommu_sim::load_config(nlohmann::json::parse(read_file(file)), config).empty()) continue;
    iommu_sim::Topology t;
    iommu_sim::build_topology(config.pcie, t);
    corpus.add(
        "lspci_import", "topo-" + file.stem().string() + ".txt",
        iommu_sim::topology_tree(t) + "\nIOMMU groups:\n" + iommu_sim::iommu_groups_listing(t));
  }
}

std::string as_string(const std::vector<std::uint8_t>& bytes) {
  return {bytes.begin(), bytes.end()};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: fuzz_make_seeds SOURCE_DIR CORPUS_DIR\n";
    return 2;
  }
  Corpus corpus(argv[2]);
  add_examples(corpus, argv[1]);
  add_import_seeds(corpus, argv[1]);
  for (const auto& [name, input] : translator_seeds()) {
    corpus.add("translator", name + ".bin", as_string(input.encode()));
  }
  for (const auto& [name, ops] : invalidation_seeds()) {
    corpus.add("invalidation", name + ".bin", as_string(ops.bytes()));
  }
  return 0;
}
