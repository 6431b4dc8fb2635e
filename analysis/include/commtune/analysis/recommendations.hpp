// DIR/recommendations.yaml (schema commtune.recommendations/1, docs/analysis.md): what
// `commtune analyze` recommends for one run, as typed values, with its one writer and one reader.
// The report reads it through read_recommendations() and never parses the YAML itself.
#pragma once

#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "commtune/analysis/signature.hpp"

namespace commtune::analysis {

inline constexpr const char* kRecommendationsSchema = "commtune.recommendations/1";

// Techniques a recommendation can name: the five kernels' techniques, placement, and MPI runtime
// settings. One list: to_string/technique_from_string and the docs use it.
enum class Technique {
  Batching,
  Compression,
  Nonblocking,
  Overlap,
  LoadBalance,
  Topology,
  RuntimeSettings,
  CollectiveAlgorithm,
};
std::string to_string(Technique technique);                // "batching", "compression", ..., "collective_algorithm"
Technique technique_from_string(const std::string& name);  // throws std::invalid_argument

// A number a recommendation rests on, and where it came from ("profile.json callsites[3]",
// "database <hardware id> kernel batching, 12 points", "trace", "hardware description FILE").
struct Evidence {
  std::string what;  // "messages per rank", "late-sender waiting", "link latency (fitted)"
  double value = 0;
  std::string unit;  // "s", "bytes", "messages", "ratio", "bytes/s", ...
  std::string source;
};

// A predicted saving and its 95 % interval, in seconds of run time and as a fraction of it. Never
// more than the time spent at the call sites it concerns. `significant` is false when the interval
// includes zero: then the advice is "no significant gain - keep as is".
struct PredictedGain {
  double seconds = 0;
  double ci_low_s = 0;
  double ci_high_s = 0;
  double fraction_of_run = 0;
  double ci_low_fraction = 0;
  double ci_high_fraction = 0;
  double bound_s = 0;  // the time spent at the call sites: the most it could save
  bool significant = false;
};

// How to apply it: a commtune component with its settings, and/or runtime options.
struct Application {
  std::string summary;                          // one sentence a person can act on
  std::string component;                        // "commtune::kernels::MessageAggregator"; empty for runtime options
  std::map<std::string, std::string> settings;  // the component's parameters
  std::vector<std::string> environment;         // "OMPI_MCA_btl_vader_eager_limit=8192"
  std::vector<std::string> launcher_args;       // "--mca coll_tuned_use_dynamic_rules 1", "--rankfile FILE"
  std::vector<std::string> files;               // files written beside the profile (DIR/analysis/...)
};

struct SiteReference {
  int callsite_id = 0;
  std::string function;
  std::string location;  // "solver.c:212"
  double time_s = 0;
};

struct Recommendation {
  int rank = 0;  // 1: the largest predicted gain
  Technique technique = Technique::Batching;
  std::string title;
  std::vector<SiteReference> callsites;
  std::map<std::string, std::string> parameters;  // the values to use (batch_bytes, codec, level, ...)
  std::vector<Evidence> evidence;
  PredictedGain gain;
  Application apply;
};

struct MissingSweepReference {
  std::string reason;
  std::filesystem::path spec;  // DIR/analysis/sweeps/NAME.yaml
};

struct Recommendations {
  std::string schema = kRecommendationsSchema;
  std::string tool_version;
  std::string generated_at;  // ISO 8601 UTC
  std::filesystem::path run_directory;
  std::string command;
  int ranks = 0;
  int nodes = 0;
  double wall_time_s = 0;
  std::string run_hardware_id;  // DIR/hardware.json's id; empty when the run did not record one
  std::string models_source;    // HardwareModels::source
  std::string models_hardware_id;
  PopMetrics run_efficiency;
  std::vector<PopMetrics> region_efficiency;
  std::vector<Recommendation> recommendations;  // by predicted gain, largest first
  std::vector<MissingSweepReference> missing_sweeps;
  std::vector<std::string> notes;
};

// What is wrong with a recommendations file, naming the file and the key.
class RecommendationsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::string recommendations_yaml(const Recommendations& recommendations);
// Writes atomically (a temporary file renamed); throws RecommendationsError naming the file.
void write_recommendations(const Recommendations& recommendations, const std::filesystem::path& file);
Recommendations read_recommendations(const std::filesystem::path& file);

}  // namespace commtune::analysis
