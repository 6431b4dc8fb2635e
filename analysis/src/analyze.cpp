// `commtune analyze DIR`: profile (and trace) -> workload signature; hardware models from the
// results database or a description; rules -> DIR/recommendations.yaml, with the sweep specs the
// models lack in DIR/analysis/sweeps.
#include "commtune/analysis/analyze.hpp"

#include <fmt/core.h>

#include <chrono>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "commtune/analysis/recommend.hpp"
#include "commtune/analysis/signature.hpp"
#include "commtune/pmpi/run_directory.hpp"
#include "commtune/tuner/fingerprint.hpp"
#include "commtune/tuner/results_db.hpp"
#include "profile/reader.hpp"
#include "trace/reader.hpp"

namespace commtune::analysis {
namespace {

namespace fs = std::filesystem;

std::string utc_now() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

// DIR/hardware.json's id (the tuner's fingerprint); empty when the run recorded none. Throws
// naming the file when it is there but unreadable.
std::string run_hardware_id(const fs::path& run_dir) {
  const fs::path file = run_directory::hardware_path(run_dir);
  std::ifstream in(file);
  if (!in) return {};
  try {
    return tuner::HardwareFingerprint::from_json(nlohmann::json::parse(in)).id();
  } catch (const std::exception& error) {
    throw std::runtime_error(file.string() + ": " + error.what());
  }
}

// The trace when DIR/trace holds logs; nothing (and a note) when it cannot be read.
std::optional<trace::Trace> read_trace_if_any(const fs::path& run_dir, std::vector<std::string>& notes) {
  if (run_directory::trace_logs(run_dir).empty()) return std::nullopt;
  try {
    trace::ReadOptions options;
    options.resolve_sites = false;  // joined to the profile's sites by module and offset
    trace::Trace trace = trace::read_trace(run_dir, options);
    for (const auto& warning : trace.warnings) notes.push_back("trace: " + warning);
    return trace;
  } catch (const std::exception& error) {
    notes.push_back(std::string("trace not used: ") + error.what());
    return std::nullopt;
  }
}

bool is_description_file(const std::string& hardware) {
  std::error_code error;
  const fs::path path(hardware);
  return fs::is_regular_file(path, error) || path.extension() == ".yaml" || path.extension() == ".yml";
}

// The models for --hardware (a description file, or a fingerprint id) or for the run's own id.
HardwareModels choose_models(const AnalyzeOptions& options, const std::string& run_id) {
  if (!options.hardware.empty() && is_description_file(options.hardware))
    return read_hardware_description(options.hardware);
  const std::string id = options.hardware.empty() ? run_id : options.hardware;
  HardwareModels none;
  none.source = "none";
  if (id.empty()) {
    none.notes.push_back("no hardware models: the run recorded no hardware.json and no --hardware was given");
    return none;
  }
  const fs::path database = options.database.empty() ? tuner::ResultsDb::default_path() : options.database;
  std::error_code error;
  if (options.database.empty() && !fs::exists(database, error)) {
    none.hardware_id = id;
    none.notes.push_back("no hardware models: no results database at " + database.string() +
                         " (run the sweeps below, or give --db)");
    return none;
  }
  const tuner::ResultsDb db(database, tuner::ResultsDb::Mode::ReadOnly);
  HardwareModels models = fit_models(db, id);
  if (models.source.empty()) models.source = "database " + database.string();
  return models;
}

std::vector<MissingSweepReference> write_sweeps(const std::vector<MissingSweep>& sweeps, const fs::path& run_dir) {
  std::vector<MissingSweepReference> out;
  if (sweeps.empty()) return out;
  const fs::path folder = run_directory::analysis_path(run_dir) / "sweeps";
  std::error_code error;
  fs::create_directories(folder, error);
  if (error) throw std::runtime_error(folder.string() + ": cannot create: " + error.message());
  for (const auto& sweep : sweeps) {
    const fs::path file = folder / (sweep.name + ".yaml");
    std::ofstream spec(file);
    spec << sweep.spec_yaml;
    if (!spec.flush()) throw std::runtime_error(file.string() + ": cannot write");
    out.push_back({sweep.reason, file});
  }
  return out;
}

}  // namespace

Recommendations analyze(const AnalyzeOptions& options) {
  const profile::Profile profile = profile::read_profile(options.run_dir);
  Recommendations out;
  const std::optional<trace::Trace> trace = read_trace_if_any(options.run_dir, out.notes);
  out.run_hardware_id = run_hardware_id(options.run_dir);
  const HardwareModels models = choose_models(options, out.run_hardware_id);
  const WorkloadSignature signature = characterise(profile, trace ? &*trace : nullptr);

  out.tool_version = options.tool_version;
  out.generated_at = utc_now();
  out.run_directory = options.run_dir;
  out.command = profile.command;
  out.ranks = signature.ranks;
  out.nodes = signature.nodes;
  out.wall_time_s = signature.wall_time_s;
  out.models_source = models.source;
  out.models_hardware_id = models.hardware_id;
  out.run_efficiency = signature.run;
  out.region_efficiency = signature.regions;
  out.notes.insert(out.notes.end(), signature.notes.begin(), signature.notes.end());
  out.notes.insert(out.notes.end(), models.notes.begin(), models.notes.end());

  out.missing_sweeps = write_sweeps(missing_sweeps(signature, models), options.run_dir);
  const AnalysisInput input{profile, signature, models, run_directory::analysis_path(options.run_dir)};
  out.recommendations = recommend(input);
  write_recommendations(out, run_directory::recommendations_path(options.run_dir));
  return out;
}

}  // namespace commtune::analysis
