// Eager limits, collective-algorithm measurements, the rules file built from them and the --tune
// file (runtime_settings.hpp).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "commtune/analysis/runtime_settings.hpp"
#include "commtune/tuner/fingerprint.hpp"
#include "commtune/tuner/results_db.hpp"

namespace commtune::analysis {

const std::vector<EagerLimit>& eager_limits() {
  static const std::vector<EagerLimit> kLimits{
      {"openmpi", "vader", "btl_vader_eager_limit", 4096, 32768},
      {"openmpi", "tcp", "btl_tcp_eager_limit", 65536, 1 << 20},
      {"mpich", "ch3", "MPIR_CVAR_CH3_EAGER_MAX_MSG_SIZE", 131072, 1 << 20},
      {"mpich", "ch4:ofi", "MPIR_CVAR_CH4_OFI_EAGER_MAX_MSG_SIZE", 16384, 1 << 20},
  };
  return kLimits;
}

namespace {

const EagerLimit* find_limit(const char* mpi, const std::string& transport) {
  for (const auto& limit : eager_limits())
    if (mpi == std::string_view(limit.mpi) && transport == limit.transport) return &limit;
  return nullptr;
}

// "openmpi" / "mpich" / "" from a parsed implementation name.
std::string family_of(const std::string& implementation) {
  if (implementation == "Open MPI") return "openmpi";
  if (implementation == "MPICH") return "mpich";
  return "";
}

std::uint64_t parse_bytes(const std::string& text) {
  std::size_t used = 0;
  const double value = std::stod(text, &used);
  const std::string suffix = text.substr(used);
  const double scale = suffix == "K" ? 1024.0 : suffix == "M" ? 1048576.0 : suffix == "G" ? 1073741824.0 : 1.0;
  return std::uint64_t(value * scale);
}

// The identifying fields of a fingerprint without the collective-algorithm settings a sweep
// varies: two points that differ only there ran on the same machine, library and transport.
nlohmann::json comparable_identity(nlohmann::json document) {
  for (const char* key : {"schema", "id", "calibration"}) document.erase(key);
  if (document.contains("launch")) {
    auto& launch = document["launch"];
    for (const char* map : {"mca", "environment"}) {
      if (!launch.contains(map) || !launch[map].is_object()) continue;
      nlohmann::json kept = nlohmann::json::object();
      for (const auto& [name, value] : launch[map].items()) {
        const bool algorithm_setting =
            name.rfind("coll_tuned_", 0) == 0 ||
            (name.rfind("MPIR_CVAR_", 0) == 0 && name.find("_ALGORITHM") != std::string::npos);
        if (!algorithm_setting) kept[name] = value;
      }
      launch[map] = kept;
    }
    // The transport text repeats the MCA selection; the sweep's own settings do not change it.
    launch.erase("nodes");
    launch.erase("ranks_per_node");
  }
  return document;
}

std::string upper(std::string text) {
  for (char& c : text) c = char(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

// The algorithm a point's settings selected, for one collective; nullopt when the settings force
// something for which this point does not tell (dynamic rules off with an algorithm set).
std::optional<std::pair<std::string, int>> selected_algorithm(const std::string& mpi, const std::string& collective,
                                                              const tuner::Configuration& settings) {
  if (mpi == "openmpi") {
    const auto forced = settings.find("coll_tuned_" + collective + "_algorithm");
    if (forced == settings.end()) return std::pair<std::string, int>{"default", 0};
    const auto dynamic = settings.find("coll_tuned_use_dynamic_rules");
    if (dynamic == settings.end() || (dynamic->second != "1" && dynamic->second != "true")) return std::nullopt;
    const int id = std::stoi(forced->second);
    const OmpiCollective* known = find_ompi_collective(collective);
    if (!known || id < 0 || id > int(known->algorithms.size())) return std::nullopt;
    return std::pair<std::string, int>{id == 0 ? "default" : known->algorithms[std::size_t(id - 1)], id};
  }
  const auto forced = settings.find("MPIR_CVAR_" + upper(collective) + "_INTRA_ALGORITHM");
  if (forced == settings.end() || forced->second == "auto") return std::pair<std::string, int>{"default", 0};
  return std::pair<std::string, int>{forced->second, 0};
}

}  // namespace

std::string mpi_family(const std::string& mpi_library_text) {
  return family_of(tuner::parse_mpi_library(mpi_library_text).implementation);
}

const EagerLimit* eager_limit_for(const std::string& mpi_library_text, int nodes) {
  const tuner::MpiLibrary library = tuner::parse_mpi_library(mpi_library_text);
  const std::string family = family_of(library.implementation);
  if (family == "openmpi") return find_limit("openmpi", nodes > 1 ? "tcp" : "vader");
  if (family == "mpich") {
    if (library.device.rfind("ch3", 0) == 0) return find_limit("mpich", "ch3");
    if (library.device.rfind("ch4:ofi", 0) == 0) return find_limit("mpich", "ch4:ofi");
  }
  return nullptr;
}

std::vector<CollectiveAlgorithmModel> collective_algorithm_models(const tuner::ResultsDb& db,
                                                                  const std::string& hardware_id) {
  std::vector<CollectiveAlgorithmModel> out;
  const auto reference = db.hardware(hardware_id);
  if (!reference) return out;
  const nlohmann::json wanted = comparable_identity(*reference);
  std::map<std::string, bool> same_machine;
  for (const auto& point : db.list_points({.kernel = "overlap", .hardware_id = ""})) {
    const auto& params = point.key.params;
    const auto get = [&](const char* name) {
      const auto found = params.find(name);
      return found == params.end() ? std::string() : found->second;
    };
    if (!point.statistics || get("variant") != "blocking" ||
        std::stod(get("compute_us").empty() ? "1" : get("compute_us")) != 0)
      continue;
    const std::string operation = get("operation");
    const std::string collective = operation == "iallreduce" ? "allreduce" : operation == "ibcast" ? "bcast" : "";
    if (collective.empty()) continue;
    const std::string& id = point.key.hardware_id;
    if (!same_machine.count(id)) {
      const auto document = db.hardware(id);
      same_machine[id] = document && comparable_identity(*document) == wanted;
    }
    if (!same_machine[id]) continue;
    const auto document = db.hardware(id);
    const std::string mpi = family_of(document->value("/mpi/implementation"_json_pointer, std::string()));
    if (mpi.empty()) continue;
    const auto algorithm = selected_algorithm(mpi, collective, point.key.settings);
    if (!algorithm) continue;
    const auto& statistics = *point.statistics;
    out.push_back({.collective = collective,
                   .mpi = mpi,
                   .algorithm = algorithm->first,
                   .algorithm_id = algorithm->second,
                   .comm_size = point.key.ranks,
                   .message_bytes = parse_bytes(get("message_bytes")),
                   .median_s = statistics.median_s,
                   .ci_low_s = statistics.ci_low_s,
                   .ci_high_s = statistics.ci_high_s,
                   .samples = int(statistics.sample_count),
                   .source = fmt::format("database {} point {}", id, point.id)});
  }
  return out;
}

std::optional<AlgorithmChoice> best_algorithm(const std::vector<CollectiveAlgorithmModel>& models,
                                              const std::string& mpi, const std::string& collective, int comm_size,
                                              std::uint64_t message_bytes) {
  // The nearest measured size (in log scale) within a factor of 2.
  std::optional<std::uint64_t> nearest;
  double nearest_distance = 0;
  for (const auto& model : models) {
    if (model.mpi != mpi || model.collective != collective || model.comm_size != comm_size) continue;
    const double distance = std::abs(std::log2(double(std::max<std::uint64_t>(model.message_bytes, 1))) -
                                     std::log2(double(std::max<std::uint64_t>(message_bytes, 1))));
    if (distance <= 1.0 && (!nearest || distance < nearest_distance)) {
      nearest = model.message_bytes;
      nearest_distance = distance;
    }
  }
  if (!nearest) return std::nullopt;
  AlgorithmChoice choice;
  bool found = false;
  for (const auto& model : models) {
    if (model.mpi != mpi || model.collective != collective || model.comm_size != comm_size ||
        model.message_bytes != *nearest)
      continue;
    if (model.algorithm == "default") choice.default_algorithm = model;
    if (!found || model.median_s < choice.best.median_s) choice.best = model;
    found = true;
  }
  return choice;
}

OmpiRules ompi_rules_from_measurements(const std::vector<CollectiveAlgorithmModel>& models) {
  // (collective id, comm size) -> message size -> the measurements there.
  std::map<int, std::map<int, std::map<std::uint64_t, std::vector<const CollectiveAlgorithmModel*>>>> grid;
  for (const auto& model : models) {
    if (model.mpi != "openmpi") continue;
    const OmpiCollective* collective = find_ompi_collective(model.collective);
    if (!collective) continue;
    const std::uint64_t bytes =
        model.message_bytes * (collective->total_over_ranks ? std::uint64_t(model.comm_size) : 1);
    grid[collective->id][model.comm_size][bytes].push_back(&model);
  }
  OmpiRules rules;
  for (const auto& [collective_id, sizes] : grid) {
    OmpiCollectiveRules block{.collective_id = collective_id, .comm_sizes = {}};
    // Open MPI applies the first block below its size too: smaller communicators, which were not
    // measured, get the built-in decision.
    if (sizes.begin()->first > 1) block.comm_sizes.push_back({.from_comm_size = 1, .messages = {{0, 0, 0, 0}}});
    for (const auto& [comm_size, by_bytes] : sizes) {
      OmpiCommSizeRule size{.from_comm_size = comm_size, .messages = {}};
      std::uint64_t previous_bytes = 0;
      for (const auto& [bytes, measured] : by_bytes) {
        const auto best = *std::min_element(measured.begin(), measured.end(),
                                            [](auto* a, auto* b) { return a->median_s < b->median_s; });
        const auto built_in =
            std::find_if(measured.begin(), measured.end(), [](auto* m) { return m->algorithm_id == 0; });
        // Only a clear winner replaces the built-in decision: its interval lies below the default's.
        const int algorithm =
            built_in != measured.end() && best->ci_high_s >= (*built_in)->ci_low_s ? 0 : best->algorithm_id;
        const std::uint64_t from =
            size.messages.empty() ? 0 : std::uint64_t(std::sqrt(double(previous_bytes) * double(bytes)));
        if (size.messages.empty() || size.messages.back().algorithm != algorithm)
          size.messages.push_back({.from_bytes = from, .algorithm = algorithm, .fan_in_out = 0, .segment_bytes = 0});
        previous_bytes = bytes;
      }
      block.comm_sizes.push_back(std::move(size));
    }
    rules.collectives.push_back(std::move(block));
  }
  return rules;
}

std::string ompi_tune_file_text(const std::map<std::string, std::string>& mca) {
  std::string out =
      "# commtune.ompi_tune/1: Open MPI settings written by commtune analyze: mpirun --tune THIS_FILE ...\n";
  for (const auto& [name, value] : mca) out += fmt::format("-mca {} {}\n", name, value);
  return out;
}

}  // namespace commtune::analysis
