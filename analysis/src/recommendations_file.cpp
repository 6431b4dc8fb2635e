// The writer and the reader of recommendations.yaml (recommendations.hpp): the one place its keys
// are spelled.
#include <yaml-cpp/yaml.h>

#include <array>
#include <fstream>
#include <sstream>
#include <utility>

#include "commtune/analysis/recommendations.hpp"

namespace commtune::analysis {
namespace {

constexpr std::array<std::pair<Technique, const char*>, 8> kTechniqueNames{{
    {Technique::Batching, "batching"},
    {Technique::Compression, "compression"},
    {Technique::Nonblocking, "nonblocking"},
    {Technique::Overlap, "overlap"},
    {Technique::LoadBalance, "load_balance"},
    {Technique::Topology, "topology"},
    {Technique::RuntimeSettings, "runtime_settings"},
    {Technique::CollectiveAlgorithm, "collective_algorithm"},
}};

// ---- writing -------------------------------------------------------------------------------------

void emit_strings(YAML::Emitter& out, const char* key, const std::vector<std::string>& values) {
  out << YAML::Key << key << YAML::Value << YAML::BeginSeq;
  for (const auto& value : values) out << value;
  out << YAML::EndSeq;
}

void emit_map(YAML::Emitter& out, const char* key, const std::map<std::string, std::string>& values) {
  out << YAML::Key << key << YAML::Value << YAML::BeginMap;
  for (const auto& [name, value] : values) out << YAML::Key << name << YAML::Value << value;
  out << YAML::EndMap;
}

void emit_pop(YAML::Emitter& out, const PopMetrics& pop) {
  out << YAML::BeginMap;
  out << YAML::Key << "scope" << YAML::Value << pop.scope;
  out << YAML::Key << "load_balance" << YAML::Value << pop.load_balance;
  out << YAML::Key << "communication_efficiency" << YAML::Value << pop.communication_efficiency;
  out << YAML::Key << "parallel_efficiency" << YAML::Value << pop.parallel_efficiency;
  if (pop.serialisation_estimate)
    out << YAML::Key << "serialisation_efficiency_estimate" << YAML::Value << *pop.serialisation_estimate;
  if (pop.transfer_estimate)
    out << YAML::Key << "transfer_efficiency_estimate" << YAML::Value << *pop.transfer_estimate;
  out << YAML::Key << "method" << YAML::Value << pop.method;
  out << YAML::EndMap;
}

void emit_gain(YAML::Emitter& out, const PredictedGain& gain) {
  out << YAML::Key << "predicted_gain" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "seconds" << YAML::Value << gain.seconds;
  out << YAML::Key << "ci_low_s" << YAML::Value << gain.ci_low_s;
  out << YAML::Key << "ci_high_s" << YAML::Value << gain.ci_high_s;
  out << YAML::Key << "percent_of_run" << YAML::Value << gain.fraction_of_run * 100;
  out << YAML::Key << "ci_low_percent" << YAML::Value << gain.ci_low_fraction * 100;
  out << YAML::Key << "ci_high_percent" << YAML::Value << gain.ci_high_fraction * 100;
  out << YAML::Key << "bound_s" << YAML::Value << gain.bound_s;
  out << YAML::Key << "significant" << YAML::Value << gain.significant;
  out << YAML::EndMap;
}

void emit_recommendation(YAML::Emitter& out, const Recommendation& recommendation) {
  out << YAML::BeginMap;
  out << YAML::Key << "rank" << YAML::Value << recommendation.rank;
  out << YAML::Key << "technique" << YAML::Value << to_string(recommendation.technique);
  out << YAML::Key << "title" << YAML::Value << recommendation.title;
  out << YAML::Key << "callsites" << YAML::Value << YAML::BeginSeq;
  for (const auto& site : recommendation.callsites) {
    out << YAML::Flow << YAML::BeginMap;
    out << YAML::Key << "id" << YAML::Value << site.callsite_id;
    out << YAML::Key << "function" << YAML::Value << site.function;
    out << YAML::Key << "location" << YAML::Value << site.location;
    out << YAML::Key << "time_s" << YAML::Value << site.time_s;
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
  emit_gain(out, recommendation.gain);
  emit_map(out, "parameters", recommendation.parameters);
  out << YAML::Key << "evidence" << YAML::Value << YAML::BeginSeq;
  for (const auto& evidence : recommendation.evidence) {
    out << YAML::BeginMap;
    out << YAML::Key << "what" << YAML::Value << evidence.what;
    out << YAML::Key << "value" << YAML::Value << evidence.value;
    out << YAML::Key << "unit" << YAML::Value << evidence.unit;
    out << YAML::Key << "source" << YAML::Value << evidence.source;
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
  const Application& apply = recommendation.apply;
  out << YAML::Key << "apply" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "summary" << YAML::Value << apply.summary;
  out << YAML::Key << "component" << YAML::Value << apply.component;
  emit_map(out, "settings", apply.settings);
  emit_strings(out, "environment", apply.environment);
  emit_strings(out, "launcher_args", apply.launcher_args);
  emit_strings(out, "files", apply.files);
  out << YAML::EndMap;
  out << YAML::EndMap;
}

// ---- reading -------------------------------------------------------------------------------------

// Reads keys of one file, naming the file, the key path and the line of what is wrong.
class Reader {
 public:
  explicit Reader(std::filesystem::path file) : file_(std::move(file)) {}

  [[noreturn]] void fail(const YAML::Node& node, const std::string& key, const std::string& what) const {
    std::ostringstream message;
    message << file_.string();
    if (node.Mark().line >= 0) message << ":" << node.Mark().line + 1;
    message << ": " << key << ": " << what;
    throw RecommendationsError(message.str());
  }

  YAML::Node child(const YAML::Node& node, const std::string& path, const char* key) const {
    YAML::Node value = node[key];
    if (!value) fail(node, path + key, "missing");
    return value;
  }

  template <typename T>
  T get(const YAML::Node& node, const std::string& path, const char* key) const {
    YAML::Node value = child(node, path, key);
    try {
      return value.as<T>();
    } catch (const YAML::Exception&) {
      fail(value, path + key, "not a valid value");
    }
  }

  std::vector<std::string> strings(const YAML::Node& node, const std::string& path, const char* key) const {
    YAML::Node value = child(node, path, key);
    if (!value.IsSequence()) fail(value, path + key, "not a list");
    std::vector<std::string> out;
    for (std::size_t i = 0; i < value.size(); ++i) out.push_back(get_item(value[i], path + key, i));
    return out;
  }

  std::map<std::string, std::string> map(const YAML::Node& node, const std::string& path, const char* key) const {
    YAML::Node value = child(node, path, key);
    if (!value.IsMap()) fail(value, path + key, "not a map");
    std::map<std::string, std::string> out;
    for (const auto& entry : value) out[entry.first.as<std::string>()] = entry.second.as<std::string>();
    return out;
  }

  YAML::Node sequence(const YAML::Node& node, const std::string& path, const char* key) const {
    YAML::Node value = child(node, path, key);
    if (!value.IsSequence()) fail(value, path + key, "not a list");
    return value;
  }

 private:
  std::string get_item(const YAML::Node& item, const std::string& path, std::size_t index) const {
    if (!item.IsScalar()) fail(item, path + "[" + std::to_string(index) + "]", "not a text");
    return item.as<std::string>();
  }
  std::filesystem::path file_;
};

PopMetrics read_pop(const Reader& in, const YAML::Node& node, const std::string& path) {
  PopMetrics pop;
  pop.scope = in.get<std::string>(node, path, "scope");
  pop.load_balance = in.get<double>(node, path, "load_balance");
  pop.communication_efficiency = in.get<double>(node, path, "communication_efficiency");
  pop.parallel_efficiency = in.get<double>(node, path, "parallel_efficiency");
  if (node["serialisation_efficiency_estimate"])
    pop.serialisation_estimate = in.get<double>(node, path, "serialisation_efficiency_estimate");
  if (node["transfer_efficiency_estimate"])
    pop.transfer_estimate = in.get<double>(node, path, "transfer_efficiency_estimate");
  pop.method = in.get<std::string>(node, path, "method");
  return pop;
}

PredictedGain read_gain(const Reader& in, const YAML::Node& node, const std::string& path) {
  PredictedGain gain;
  gain.seconds = in.get<double>(node, path, "seconds");
  gain.ci_low_s = in.get<double>(node, path, "ci_low_s");
  gain.ci_high_s = in.get<double>(node, path, "ci_high_s");
  gain.fraction_of_run = in.get<double>(node, path, "percent_of_run") / 100;
  gain.ci_low_fraction = in.get<double>(node, path, "ci_low_percent") / 100;
  gain.ci_high_fraction = in.get<double>(node, path, "ci_high_percent") / 100;
  gain.bound_s = in.get<double>(node, path, "bound_s");
  gain.significant = in.get<bool>(node, path, "significant");
  return gain;
}

Recommendation read_recommendation(const Reader& in, const YAML::Node& node, const std::string& path) {
  Recommendation out;
  out.rank = in.get<int>(node, path, "rank");
  const std::string technique = in.get<std::string>(node, path, "technique");
  try {
    out.technique = technique_from_string(technique);
  } catch (const std::invalid_argument& error) {
    in.fail(node["technique"], path + "technique", error.what());
  }
  out.title = in.get<std::string>(node, path, "title");
  YAML::Node sites = in.sequence(node, path, "callsites");
  for (std::size_t i = 0; i < sites.size(); ++i) {
    const std::string site_path = path + "callsites[" + std::to_string(i) + "].";
    SiteReference site;
    site.callsite_id = in.get<int>(sites[i], site_path, "id");
    site.function = in.get<std::string>(sites[i], site_path, "function");
    site.location = in.get<std::string>(sites[i], site_path, "location");
    site.time_s = in.get<double>(sites[i], site_path, "time_s");
    out.callsites.push_back(std::move(site));
  }
  out.gain = read_gain(in, in.child(node, path, "predicted_gain"), path + "predicted_gain.");
  out.parameters = in.map(node, path, "parameters");
  YAML::Node evidence = in.sequence(node, path, "evidence");
  for (std::size_t i = 0; i < evidence.size(); ++i) {
    const std::string item_path = path + "evidence[" + std::to_string(i) + "].";
    out.evidence.push_back(
        {in.get<std::string>(evidence[i], item_path, "what"), in.get<double>(evidence[i], item_path, "value"),
         in.get<std::string>(evidence[i], item_path, "unit"), in.get<std::string>(evidence[i], item_path, "source")});
  }
  const YAML::Node apply = in.child(node, path, "apply");
  const std::string apply_path = path + "apply.";
  out.apply.summary = in.get<std::string>(apply, apply_path, "summary");
  out.apply.component = in.get<std::string>(apply, apply_path, "component");
  out.apply.settings = in.map(apply, apply_path, "settings");
  out.apply.environment = in.strings(apply, apply_path, "environment");
  out.apply.launcher_args = in.strings(apply, apply_path, "launcher_args");
  out.apply.files = in.strings(apply, apply_path, "files");
  return out;
}

}  // namespace

std::string to_string(Technique technique) {
  for (const auto& [value, name] : kTechniqueNames)
    if (value == technique) return name;
  return "unknown";
}

Technique technique_from_string(const std::string& name) {
  std::string accepted;
  for (const auto& [value, known] : kTechniqueNames) {
    if (name == known) return value;
    accepted += accepted.empty() ? known : std::string(", ") + known;
  }
  throw std::invalid_argument("unknown technique '" + name + "'; accepted: " + accepted);
}

std::string recommendations_yaml(const Recommendations& in) {
  YAML::Emitter out;
  out.SetDoublePrecision(6);
  out << YAML::BeginMap;
  out << YAML::Key << "schema" << YAML::Value << in.schema;
  out << YAML::Key << "tool_version" << YAML::Value << in.tool_version;
  out << YAML::Key << "generated_at" << YAML::Value << in.generated_at;
  out << YAML::Key << "run" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "directory" << YAML::Value << in.run_directory.string();
  out << YAML::Key << "command" << YAML::Value << in.command;
  out << YAML::Key << "ranks" << YAML::Value << in.ranks;
  out << YAML::Key << "nodes" << YAML::Value << in.nodes;
  out << YAML::Key << "wall_time_s" << YAML::Value << in.wall_time_s;
  out << YAML::Key << "hardware_id" << YAML::Value << in.run_hardware_id;
  out << YAML::EndMap;
  out << YAML::Key << "models" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "source" << YAML::Value << in.models_source;
  out << YAML::Key << "hardware_id" << YAML::Value << in.models_hardware_id;
  out << YAML::EndMap;
  out << YAML::Key << "efficiency" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "run" << YAML::Value;
  emit_pop(out, in.run_efficiency);
  out << YAML::Key << "regions" << YAML::Value << YAML::BeginSeq;
  for (const auto& region : in.region_efficiency) emit_pop(out, region);
  out << YAML::EndSeq << YAML::EndMap;
  out << YAML::Key << "recommendations" << YAML::Value << YAML::BeginSeq;
  for (const auto& recommendation : in.recommendations) emit_recommendation(out, recommendation);
  out << YAML::EndSeq;
  out << YAML::Key << "missing_sweeps" << YAML::Value << YAML::BeginSeq;
  for (const auto& sweep : in.missing_sweeps) {
    out << YAML::BeginMap << YAML::Key << "reason" << YAML::Value << sweep.reason;
    out << YAML::Key << "spec" << YAML::Value << sweep.spec.string() << YAML::EndMap;
  }
  out << YAML::EndSeq;
  emit_strings(out, "notes", in.notes);
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

void write_recommendations(const Recommendations& recommendations, const std::filesystem::path& file) {
  const std::filesystem::path temporary = file.string() + ".tmp";
  {
    std::ofstream out(temporary);
    out << recommendations_yaml(recommendations);
    if (!out.flush()) throw RecommendationsError(temporary.string() + ": cannot write");
  }
  std::error_code error;
  std::filesystem::rename(temporary, file, error);
  if (error) throw RecommendationsError(file.string() + ": cannot write: " + error.message());
}

Recommendations read_recommendations(const std::filesystem::path& file) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(file.string());
  } catch (const YAML::BadFile&) {
    throw RecommendationsError(file.string() + ": cannot read");
  } catch (const YAML::Exception& error) {
    throw RecommendationsError(file.string() + ":" + std::to_string(error.mark.line + 1) + ": not YAML: " + error.msg);
  }
  const Reader in(file);
  if (!root.IsMap()) in.fail(root, "(document)", "not a map");
  Recommendations out;
  out.schema = in.get<std::string>(root, "", "schema");
  if (out.schema != kRecommendationsSchema)
    in.fail(root["schema"], "schema", "'" + out.schema + "'; this reader reads " + kRecommendationsSchema);
  out.tool_version = in.get<std::string>(root, "", "tool_version");
  out.generated_at = in.get<std::string>(root, "", "generated_at");
  const YAML::Node run = in.child(root, "", "run");
  out.run_directory = in.get<std::string>(run, "run.", "directory");
  out.command = in.get<std::string>(run, "run.", "command");
  out.ranks = in.get<int>(run, "run.", "ranks");
  out.nodes = in.get<int>(run, "run.", "nodes");
  out.wall_time_s = in.get<double>(run, "run.", "wall_time_s");
  out.run_hardware_id = in.get<std::string>(run, "run.", "hardware_id");
  const YAML::Node models = in.child(root, "", "models");
  out.models_source = in.get<std::string>(models, "models.", "source");
  out.models_hardware_id = in.get<std::string>(models, "models.", "hardware_id");
  const YAML::Node efficiency = in.child(root, "", "efficiency");
  out.run_efficiency = read_pop(in, in.child(efficiency, "efficiency.", "run"), "efficiency.run.");
  const YAML::Node regions = in.sequence(efficiency, "efficiency.", "regions");
  for (std::size_t i = 0; i < regions.size(); ++i)
    out.region_efficiency.push_back(read_pop(in, regions[i], "efficiency.regions[" + std::to_string(i) + "]."));
  const YAML::Node list = in.sequence(root, "", "recommendations");
  for (std::size_t i = 0; i < list.size(); ++i)
    out.recommendations.push_back(read_recommendation(in, list[i], "recommendations[" + std::to_string(i) + "]."));
  const YAML::Node sweeps = in.sequence(root, "", "missing_sweeps");
  for (std::size_t i = 0; i < sweeps.size(); ++i) {
    const std::string path = "missing_sweeps[" + std::to_string(i) + "].";
    out.missing_sweeps.push_back(
        {in.get<std::string>(sweeps[i], path, "reason"), in.get<std::string>(sweeps[i], path, "spec")});
  }
  out.notes = in.strings(root, "", "notes");
  return out;
}

}  // namespace commtune::analysis
