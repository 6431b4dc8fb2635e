// `commtune replay SPEC.yaml [--db DB] [--seeds N] [--format table|json]`: compares the search
// strategies offline against the full grids a sweep of SPEC recorded in the results database
// (tuner/replay.hpp): what each strategy would have cost and how close its choice comes to the
// grid's optimum, over N seeds. Nothing is launched.
#include <fmt/core.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <numeric>
#include <string>
#include <vector>

#include "commands.hpp"
#include "commtune/tuner/replay.hpp"

namespace commtune::cli {
namespace {

inline constexpr const char* kReplaySchema = "commtune.replay/1";

struct ReplayCommandOptions {
  std::string spec;
  std::string db;
  int seeds = 20;
  std::string format = "table";
};

std::string settings_text(const tuner::Configuration& settings) {
  std::string text;
  for (const auto& [name, value] : settings) text += fmt::format("{}{}={}", text.empty() ? "" : " ", name, value);
  return text.empty() ? "defaults" : text;
}

void print_table(const std::vector<tuner::GroupReplay>& replays) {
  for (const tuner::GroupReplay& replay : replays) {
    const tuner::ReplayGroup& group = replay.group;
    fmt::print("{} on {}, {} ranks, {}: {} configurations, {} samples each\n", group.kernel, group.hardware_id,
               group.ranks, settings_text(group.settings), group.space_size, group.full_fidelity);
    if (!replay.skipped.empty()) {
      fmt::print("  skipped: {}\n", replay.skipped);
      continue;
    }
    fmt::print("  optimum {:.1f} us\n", replay.optimum_s * 1e6);
    fmt::print("  {:<20} {:<24} {:>11} {:>9} {:>10} {:>10} {:>11}\n", "strategy", "options", "evaluations", "cost",
               "median gap", "worst gap", "within 3%");
    for (const tuner::StrategySummary& s : replay.strategies) {
      fmt::print("  {:<20} {:<24} {:>11.0f} {:>8.1f}% {:>9.1f}% {:>9.1f}% {:>6}/{}\n", s.strategy, s.options,
                 s.median_evaluations, 100 * s.median_cost_fraction, 100 * s.median_gap_fraction,
                 100 * s.worst_gap_fraction, s.within_3_percent, s.seeds);
    }
  }
  fmt::print(
      "cost: timed iterations relative to the full grid's; gap: the chosen configuration's median over the "
      "optimum's, minus 1 (medians of all recorded samples)\n");
}

void print_json(const std::vector<tuner::GroupReplay>& replays, const std::string& spec) {
  nlohmann::ordered_json document{{"schema", kReplaySchema}, {"spec", spec}, {"groups", nlohmann::json::array()}};
  for (const tuner::GroupReplay& replay : replays) {
    const tuner::ReplayGroup& group = replay.group;
    nlohmann::ordered_json entry{{"kernel", group.kernel},
                                 {"hardware_id", group.hardware_id},
                                 {"ranks", group.ranks},
                                 {"settings", group.settings},
                                 {"configurations", group.space_size},
                                 {"recorded", group.recorded},
                                 {"samples_per_point", group.full_fidelity}};
    if (!replay.skipped.empty()) entry["skipped"] = replay.skipped;
    entry["optimum_s"] = replay.optimum_s;
    entry["strategies"] = nlohmann::json::array();
    for (const tuner::StrategySummary& s : replay.strategies) {
      entry["strategies"].push_back({{"strategy", s.strategy},
                                     {"options", s.options},
                                     {"seeds", s.seeds},
                                     {"median_evaluations", s.median_evaluations},
                                     {"median_cost_fraction", s.median_cost_fraction},
                                     {"median_gap_fraction", s.median_gap_fraction},
                                     {"worst_gap_fraction", s.worst_gap_fraction},
                                     {"within_3_percent", s.within_3_percent}});
    }
    document["groups"].push_back(std::move(entry));
  }
  fmt::print("{}\n", document.dump(2));
}

void replay(const ReplayCommandOptions& options) {
  const std::filesystem::path path =
      options.db.empty() ? tuner::ResultsDb::default_path() : std::filesystem::path(options.db);
  std::vector<tuner::GroupReplay> replays;
  try {
    const tuner::SweepSpec spec = tuner::load_sweep_spec(options.spec);
    const tuner::ResultsDb db(path, tuner::ResultsDb::Mode::ReadOnly);
    tuner::ReplayOptions replay_options;
    replay_options.seeds.resize(std::size_t(options.seeds));
    std::iota(replay_options.seeds.begin(), replay_options.seeds.end(), std::uint64_t{1});
    replays = tuner::replay_strategies(db, spec, replay_options);
  } catch (const tuner::SpecError& e) {
    fmt::print(stderr, "commtune replay: {}\n", e.what());
    throw ExitCode{2};
  } catch (const std::exception& e) {
    fmt::print(stderr, "commtune replay: {}\n", e.what());
    throw ExitCode{1};
  }
  if (replays.empty()) {
    fmt::print(stderr, "commtune replay: {} holds no points of the kernels of {} (run `commtune sweep {}` first)\n",
               path.string(), options.spec, options.spec);
    throw ExitCode{1};
  }
  if (options.format == "json") return print_json(replays, options.spec);
  print_table(replays);
}

}  // namespace

void add_replay_command(CLI::App& app) {
  auto options = std::make_shared<ReplayCommandOptions>();
  CLI::App* command = app.add_subcommand(
      "replay",
      "Compare search strategies offline against the full grid a sweep recorded: for each kernel of SPEC and "
      "each recorded group (hardware, ranks, settings), replay grid, random and successive-halving searches over "
      "many seeds and print their cost and how close they come to the grid's optimum. Runs nothing.\n"
      "  commtune replay configs/sweeps/batching.yaml   (after a sweep of it with strategy: grid)");
  command->add_option("spec", options->spec, "The sweep spec whose grids to replay")->required();
  command->add_option("--db", options->db, "Results database (default: $XDG_DATA_HOME/commtune/results.sqlite)");
  command->add_option("--seeds", options->seeds, "Replays of each strategy, seeds 1..N")->check(CLI::Range(1, 10000));
  command->add_option("--format", options->format, "table, or json (schema commtune.replay/1)")
      ->check(CLI::IsMember({"table", "json"}));
  command->callback([options] { replay(*options); });
}

}  // namespace commtune::cli
