#include "commtune/tuner/replay.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <memory>
#include <tuple>

#include "commtune/kernels/declaration.hpp"
#include "commtune/tuner/search.hpp"
#include "commtune/tuner/statistics.hpp"

namespace commtune::tuner {
namespace {

using GroupKey = std::tuple<std::string, int, std::string>;  // hardware id, ranks, settings JSON

struct RecordedGroup {
  ReplayGroup group;
  std::vector<RecordedPoint> points;
};

// The recorded points of `kernel` that lie in `space`, grouped by the study that measured them.
std::vector<RecordedGroup> recorded_groups(const ResultsDb& db, const std::string& kernel, const SearchSpace& space) {
  std::map<GroupKey, RecordedGroup> groups;
  for (const PointRow& row : db.list_points({kernel, ""})) {
    if (!space.index_of(row.key.params)) continue;  // measured by another spec's grid
    RecordedGroup& entry = groups[{row.key.hardware_id, row.key.ranks, to_canonical_json(row.key.settings)}];
    if (entry.points.empty()) {
      entry.group = {.kernel = kernel,
                     .hardware_id = row.key.hardware_id,
                     .ranks = row.key.ranks,
                     .settings = row.key.settings,
                     .space_size = space.size()};
    }
    RecordedPoint point{row.key.params, db.samples(row.id), row.status != "measured"};
    if (!point.failed && !point.sample_times_s.empty()) {
      const int samples = int(point.sample_times_s.size());
      entry.group.full_fidelity =
          entry.group.full_fidelity == 0 ? samples : std::min(entry.group.full_fidelity, samples);
    }
    ++entry.group.recorded;
    entry.points.push_back(std::move(point));
  }
  std::vector<RecordedGroup> result;
  for (auto& [key, group] : groups) result.push_back(std::move(group));
  return result;
}

// Each point cut to the group's full fidelity, so that every strategy and the optimum see the
// same number of samples per point.
std::vector<RecordedPoint> at_fidelity(std::vector<RecordedPoint> points, int fidelity) {
  for (RecordedPoint& point : points) {
    if (point.sample_times_s.size() > std::size_t(fidelity)) point.sample_times_s.resize(std::size_t(fidelity));
  }
  return points;
}

struct NamedFactory {
  std::string strategy;
  std::string options;
  std::function<std::unique_ptr<Sampler>(std::size_t space_size, std::uint64_t seed)> make;
};

std::vector<NamedFactory> strategies(const SweepSpec& spec, const ReplayOptions& options, int full_fidelity) {
  const auto random_count = [&](std::size_t space_size) {
    return std::max<std::size_t>(1, std::size_t(options.random_fraction * double(space_size) + 0.5));
  };
  SuccessiveHalvingOptions halving = spec.strategy.kind == StrategyKind::SuccessiveHalving
                                         ? spec.strategy.successive_halving
                                         : SuccessiveHalvingOptions{};
  halving.max_fidelity = std::min(halving.max_fidelity, full_fidelity);
  halving.min_fidelity = std::min(halving.min_fidelity, halving.max_fidelity);
  return {
      {"grid", fmt::format("iterations={}", full_fidelity),
       [=](std::size_t n, std::uint64_t seed) { return std::make_unique<GridSampler>(n, full_fidelity, seed); }},
      {"random", fmt::format("{:.0f}% of the grid", 100 * options.random_fraction),
       [=](std::size_t n, std::uint64_t seed) {
         return std::make_unique<RandomSampler>(n, random_count(n), full_fidelity, seed);
       }},
      {"successive_halving",
       fmt::format("eta={} iterations {}..{}", halving.eta, halving.min_fidelity, halving.max_fidelity),
       [=](std::size_t n, std::uint64_t seed) {
         SuccessiveHalvingOptions seeded = halving;
         seeded.seed = seed;
         return std::make_unique<SuccessiveHalvingSampler>(n, seeded);
       }},
  };
}

GroupReplay replay_group(const SearchSpace& space, const RecordedGroup& recorded, const SweepSpec& spec,
                         const ReplayOptions& options) {
  GroupReplay replay{.group = recorded.group};
  if (recorded.group.recorded < space.size() || recorded.group.full_fidelity == 0) {
    replay.skipped = fmt::format("{} of the grid's {} points recorded: a replay needs the full grid",
                                 recorded.group.recorded, space.size());
    return replay;
  }
  const std::vector<RecordedPoint> points = at_fidelity(recorded.points, recorded.group.full_fidelity);
  for (const NamedFactory& factory : strategies(spec, options, recorded.group.full_fidelity)) {
    std::vector<double> evaluations, costs, gaps;
    StrategySummary summary{.strategy = factory.strategy, .options = factory.options};
    for (const std::uint64_t seed : options.seeds) {
      const StrategyReport report =
          compare_strategies(space, points, {[&](std::size_t n) { return factory.make(n, seed); }}, spec.finalists)
              .front();
      replay.optimum_s = report.optimum_value_s;
      evaluations.push_back(double(report.launches));
      costs.push_back(report.cost_fraction);
      gaps.push_back(report.gap_fraction);
      summary.worst_gap_fraction = std::max(summary.worst_gap_fraction, report.gap_fraction);
      if (report.gap_fraction <= 0.03) ++summary.within_3_percent;
    }
    summary.seeds = options.seeds.size();
    summary.median_evaluations = median(evaluations);
    summary.median_cost_fraction = median(costs);
    summary.median_gap_fraction = median(gaps);
    replay.strategies.push_back(std::move(summary));
  }
  return replay;
}

}  // namespace

std::vector<GroupReplay> replay_strategies(const ResultsDb& db, const SweepSpec& spec, const ReplayOptions& options) {
  std::vector<GroupReplay> replays;
  for (const KernelSweep& sweep : spec.kernels) {
    const SearchSpace space(kernels::find_declaration(sweep.kernel)->params, sweep.grid);
    for (const RecordedGroup& group : recorded_groups(db, sweep.kernel, space)) {
      replays.push_back(replay_group(space, group, spec, options));
    }
  }
  return replays;
}

}  // namespace commtune::tuner
