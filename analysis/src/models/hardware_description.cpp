// read_hardware_description(): a cluster described by hand (schema commtune.hardware_description/1,
// docs/analysis.md "Hardware descriptions"). Errors are located like the sweep spec's
// (tuner/src/spec.cpp): yaml-cpp's mark of the offending node gives the line and column.
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <vector>

#include "commtune/analysis/models.hpp"

namespace commtune::analysis {
namespace {

constexpr const char* kDescriptionSchema = "commtune.hardware_description/1";
const std::vector<std::string> kTopKeys = {"schema",         "name",       "description", "nodes",
                                           "cores_per_node", "intra_node", "inter_node",  "placement"};
const std::vector<std::string> kLinkKeys = {"latency_us", "bandwidth_gb_per_s"};
const std::vector<std::string> kPlacements = {"block", "cyclic"};

class LocatedReader {
 public:
  explicit LocatedReader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void fail(const YAML::Node& at, const std::string& key, const std::string& message) const {
    const YAML::Mark mark = at.Mark();
    const int line = mark.line >= 0 ? mark.line + 1 : 0;
    const int column = mark.column >= 0 ? mark.column + 1 : 0;
    throw ModelError(fmt::format("{}:{}:{}: {}{}", file_, line, column, key.empty() ? "" : key + ": ", message));
  }

  void check_keys(const YAML::Node& node, const std::string& key, const std::vector<std::string>& allowed) const {
    if (!node.IsMap()) fail(node, key, fmt::format("expected a map with keys {}", fmt::join(allowed, ", ")));
    for (const auto& entry : node) {
      const std::string name = entry.first.IsScalar() ? entry.first.Scalar() : "?";
      if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
        fail(entry.first, key.empty() ? name : key + "." + name,
             fmt::format("unknown key '{}'; accepted: {}", name, fmt::join(allowed, ", ")));
      }
    }
  }

  const YAML::Node required(const YAML::Node& map, const std::string& parent, const std::string& name) const {
    const YAML::Node node = map[name];
    if (!node) {
      fail(map, parent.empty() ? name : parent + "." + name, fmt::format("missing key '{}'", name));
    }
    return node;
  }

  std::string text(const YAML::Node& node, const std::string& key) const {
    if (!node.IsScalar()) fail(node, key, "expected text");
    return node.Scalar();
  }

  int whole(const YAML::Node& node, const std::string& key, int min, int max) const {
    const std::string value = node.IsScalar() ? node.Scalar() : "";
    std::size_t used = 0;
    long long number = 0;
    try {
      number = std::stoll(value, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != value.size() || number < min || number > max) {
      fail(node, key, fmt::format("'{}' is not accepted; accepted: a whole number in {} .. {}", value, min, max));
    }
    return int(number);
  }

  double positive(const YAML::Node& node, const std::string& key, const std::string& unit) const {
    const std::string value = node.IsScalar() ? node.Scalar() : "";
    std::size_t used = 0;
    double number = 0;
    try {
      number = std::stod(value, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != value.size() || !std::isfinite(number) || number <= 0) {
      fail(node, key, fmt::format("'{}' is not accepted; accepted: a number above 0 ({})", value, unit));
    }
    return number;
  }

 private:
  std::string file_;
};

LinkModel read_link(const LocatedReader& reader, const YAML::Node& node, const std::string& key,
                    const std::string& file) {
  reader.check_keys(node, key, kLinkKeys);
  const double latency_us = reader.positive(reader.required(node, key, "latency_us"), key + ".latency_us", "µs");
  const double gb_per_s = reader.positive(reader.required(node, key, "bandwidth_gb_per_s"), key + ".bandwidth_gb_per_s",
                                          "GB/s, 10^9 bytes");
  LinkModel link;
  link.name = key == "intra_node" ? "intra-node" : "inter-node";
  link.source = "description " + file;
  link.segments.push_back({.from_bytes = 0, .latency_s = latency_us * 1e-6, .seconds_per_byte = 1 / (gb_per_s * 1e9)});
  link.quality.method = "description (not fitted)";
  return link;
}

HardwareModels parse_description(const YAML::Node& root, const std::string& file) {
  const LocatedReader reader(file);
  reader.check_keys(root, "", kTopKeys);
  const YAML::Node schema = reader.required(root, "", "schema");
  if (reader.text(schema, "schema") != kDescriptionSchema) {
    reader.fail(schema, "schema",
                fmt::format("'{}' is not accepted; accepted: {}", schema.Scalar(), kDescriptionSchema));
  }
  HardwareModels models;
  const std::string name = reader.text(reader.required(root, "", "name"), "name");
  models.source = fmt::format("description {} ({})", file, name);
  models.nodes = reader.whole(reader.required(root, "", "nodes"), "nodes", 1, 1000000);
  models.cores_per_node = reader.whole(reader.required(root, "", "cores_per_node"), "cores_per_node", 1, 1000000);
  models.intra_node = read_link(reader, reader.required(root, "", "intra_node"), "intra_node", file);
  if (root["inter_node"]) {
    models.inter_node = read_link(reader, root["inter_node"], "inter_node", file);
  } else if (models.nodes > 1) {
    reader.fail(root, "inter_node",
                fmt::format("missing key 'inter_node': {} nodes need an inter-node link", models.nodes));
  }
  if (const YAML::Node placement = root["placement"]) {
    models.placement = reader.text(placement, "placement");
    if (std::find(kPlacements.begin(), kPlacements.end(), models.placement) == kPlacements.end()) {
      reader.fail(placement, "placement",
                  fmt::format("'{}' is not accepted; accepted: {}", models.placement, fmt::join(kPlacements, ", ")));
    }
  }
  models.notes.push_back(
      fmt::format("hardware described by hand ({}): links not measured, no codec, overlap or "
                  "load-balancing model",
                  name));
  return models;
}

}  // namespace

HardwareModels read_hardware_description(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw ModelError(fmt::format("{}:0:0: cannot read the file", file.string()));
  std::ostringstream text;
  text << in.rdbuf();
  YAML::Node root;
  try {
    root = YAML::Load(text.str());
  } catch (const YAML::Exception& e) {
    throw ModelError(
        fmt::format("{}:{}:{}: YAML syntax error: {}", file.string(), e.mark.line + 1, e.mark.column + 1, e.msg));
  }
  return parse_description(root, file.string());
}

}  // namespace commtune::analysis
