// `commtune analyze DIR`: what to change in the program's communication, per call site, with the
// predicted gain and its interval (analysis/analyze.hpp writes DIR/recommendations.yaml); this
// file only parses the options and prints the short summary.
#include <fmt/core.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include "build_info.hpp"
#include "commands.hpp"
#include "commtune/analysis/analyze.hpp"
#include "commtune/pmpi/run_directory.hpp"

namespace commtune::cli {
namespace {

namespace fs = std::filesystem;

struct AnalyzeCommandOptions {
  std::string dir;
  std::string database;
  std::string hardware;
  std::string format = "text";
};

// How many significant recommendations the summary lists (the file has them all).
constexpr std::size_t kTopShown = 5;

std::string percent_interval(const analysis::PredictedGain& gain) {
  return fmt::format("{:.1f} % of run time (95 % interval {:.1f} .. {:.1f} %)", gain.fraction_of_run * 100,
                     gain.ci_low_fraction * 100, gain.ci_high_fraction * 100);
}

void print_pop(const analysis::PopMetrics& pop) {
  fmt::print("Efficiency ({}): parallel {:.2f} = load balance {:.2f} x communication {:.2f}", pop.scope,
             pop.parallel_efficiency, pop.load_balance, pop.communication_efficiency);
  if (pop.serialisation_estimate && pop.transfer_estimate)
    fmt::print(" (serialisation ~{:.2f} x transfer ~{:.2f}, estimates)", *pop.serialisation_estimate,
               *pop.transfer_estimate);
  fmt::print("\n");
}

void print_summary(const analysis::Recommendations& result, const fs::path& file) {
  fmt::print("commtune analyze: {} ranks on {} node(s), {:.3f} s; models: {}\n", result.ranks, result.nodes,
             result.wall_time_s, result.models_source.empty() ? "none" : result.models_source);
  print_pop(result.run_efficiency);
  for (const auto& region : result.region_efficiency) print_pop(region);
  std::size_t shown = 0;
  std::vector<const analysis::Recommendation*> keep;
  for (const auto& recommendation : result.recommendations) {
    if (!recommendation.gain.significant) {
      keep.push_back(&recommendation);
      continue;
    }
    if (shown++ == 0) fmt::print("Recommendations:\n");
    if (shown > kTopShown) continue;
    fmt::print("  {}. [{}] {}: {}\n", recommendation.rank, analysis::to_string(recommendation.technique),
               recommendation.title, percent_interval(recommendation.gain));
  }
  if (shown == 0) fmt::print("No change with a significant predicted gain.\n");
  if (shown > kTopShown) fmt::print("  ... {} more in {}\n", shown - kTopShown, file.string());
  if (!keep.empty()) {
    fmt::print("Keep as is ({}):\n", keep.size());
    for (std::size_t i = 0; i < keep.size() && i < kTopShown; ++i)
      fmt::print("  [{}] {}\n", analysis::to_string(keep[i]->technique), keep[i]->title);
    if (keep.size() > kTopShown) fmt::print("  ... {} more in {}\n", keep.size() - kTopShown, file.string());
  }
  if (!result.missing_sweeps.empty()) {
    fmt::print("Missing measurements (run these sweeps, then analyze again):\n");
    for (const auto& sweep : result.missing_sweeps)
      fmt::print("  {}\n    commtune sweep {}\n", sweep.reason, sweep.spec.string());
  }
  fmt::print("Details: {}\n", file.string());
}

void run_analyze(const AnalyzeCommandOptions& options) {
  analysis::AnalyzeOptions analyze_options;
  analyze_options.run_dir = fs::absolute(options.dir).lexically_normal();
  analyze_options.database = options.database;
  analyze_options.hardware = options.hardware;
  analyze_options.tool_version = build::kVersion;
  std::error_code error;
  if (!fs::is_directory(analyze_options.run_dir, error)) {
    fmt::print(stderr, "commtune analyze: {} is not a directory\n", analyze_options.run_dir.string());
    throw ExitCode{1};
  }
  try {
    const analysis::Recommendations result = analysis::analyze(analyze_options);
    const fs::path file = run_directory::recommendations_path(analyze_options.run_dir);
    if (options.format == "yaml")
      fmt::print("{}", analysis::recommendations_yaml(result));
    else
      print_summary(result, file);
  } catch (const std::exception& problem) {  // each names the file it could not read or write
    fmt::print(stderr, "commtune analyze: {}\n", problem.what());
    throw ExitCode{1};
  }
}

}  // namespace

void add_analyze_command(CLI::App& app) {
  auto options = std::make_shared<AnalyzeCommandOptions>();
  CLI::App* command = app.add_subcommand(
      "analyze", "Recommends changes to a run's communication (DIR/recommendations.yaml, docs/analysis.md)");
  command->add_option("DIR", options->dir, "The run directory (commtune run -o DIR)")->required();
  command->add_option("--db", options->database,
                      "The results database the hardware models are fitted from (default: "
                      "$XDG_DATA_HOME/commtune/results.sqlite; without one the rules run without models)");
  command->add_option("--hardware", options->hardware,
                      "A fingerprint id in the database, or a hardware description file (default: the run's own, "
                      "DIR/hardware.json)");
  command->add_option("--format", options->format, "What to print: a short summary, or the whole file")
      ->check(CLI::IsMember({"text", "yaml"}))
      ->capture_default_str();
  command->callback([options] { run_analyze(*options); });
}

}  // namespace commtune::cli
