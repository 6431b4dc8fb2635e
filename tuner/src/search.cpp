#include "commtune/tuner/search.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <stdexcept>
#include <utility>

#include "commtune/tuner/statistics.hpp"

namespace commtune::tuner {
namespace {

// Beyond this a full grid is no longer something to enumerate (or to run).
constexpr std::size_t kMaxGridPoints = 1'000'000;

using Dimension = std::pair<std::string, std::vector<std::string>>;

std::vector<Dimension> canonical_dimensions(const kernels::ParamSpace& params,
                                            const std::map<std::string, std::vector<std::string>>& grid_values) {
  std::vector<Dimension> dimensions;
  for (const auto& [name, values] : grid_values) {
    const kernels::ParamSpec* spec = params.find(name);
    if (!spec) {
      std::vector<std::string> names;
      for (const auto& known : params.specs()) names.push_back(known.name);
      throw std::invalid_argument(
          fmt::format("search space: unknown parameter '{}'; this kernel has: {}", name, fmt::join(names, ", ")));
    }
    if (values.empty()) throw std::invalid_argument(fmt::format("search space: parameter '{}' has no values", name));
    std::vector<std::string> canonical;
    for (const std::string& value : values) {
      std::string text = params.canonical(*spec, value);
      if (std::find(canonical.begin(), canonical.end(), text) == canonical.end()) canonical.push_back(std::move(text));
    }
    dimensions.emplace_back(name, std::move(canonical));
  }
  return dimensions;
}

std::vector<std::size_t> shuffled_indices(std::size_t count, std::uint64_t seed) {
  std::vector<std::size_t> indices(count);
  std::iota(indices.begin(), indices.end(), std::size_t{0});
  std::mt19937_64 generator(seed);
  std::shuffle(indices.begin(), indices.end(), generator);
  return indices;
}

void check_fidelity(int fidelity) {
  if (fidelity < 1)
    throw std::invalid_argument(fmt::format("fidelity {} is not a number of iterations >= 1", fidelity));
}

}  // namespace

SearchSpace::SearchSpace(const kernels::ParamSpace& params,
                         const std::map<std::string, std::vector<std::string>>& grid_values) {
  const std::vector<Dimension> dimensions = canonical_dimensions(params, grid_values);
  std::size_t total = 1;
  for (const auto& [name, values] : dimensions) {
    if (total > kMaxGridPoints / values.size()) {
      throw std::invalid_argument(fmt::format("search space: more than {} points; list fewer values", kMaxGridPoints));
    }
    total *= values.size();
  }
  std::vector<std::size_t> digits(dimensions.size(), 0);  // mixed-radix counter over the dimensions
  for (std::size_t n = 0; n < total; ++n) {
    std::map<std::string, std::string> overrides;
    for (std::size_t d = 0; d < dimensions.size(); ++d)
      overrides[dimensions[d].first] = dimensions[d].second[digits[d]];
    try {
      const kernels::ParamSet set = params.resolve(overrides);  // values are valid: a throw is a constraint
      index_by_json_[to_canonical_json(set.values())] = points_.size();
      points_.push_back(set.values());
    } catch (const std::invalid_argument&) {
      ++excluded_;
    }
    for (std::size_t d = dimensions.size(); d-- > 0;) {
      if (++digits[d] < dimensions[d].second.size()) break;
      digits[d] = 0;
    }
  }
}

std::optional<std::size_t> SearchSpace::index_of(const Configuration& configuration) const {
  const auto it = index_by_json_.find(to_canonical_json(configuration));
  if (it == index_by_json_.end()) return std::nullopt;
  return it->second;
}

GridSampler::GridSampler(std::size_t space_size, int fidelity, std::uint64_t seed) {
  check_fidelity(fidelity);
  for (std::size_t point : shuffled_indices(space_size, seed)) pending_.push_back({point, fidelity});
}

std::vector<Trial> GridSampler::ask() { return std::exchange(pending_, {}); }

RandomSampler::RandomSampler(std::size_t space_size, std::size_t count, int fidelity, std::uint64_t seed) {
  check_fidelity(fidelity);
  // The first `count` of a seeded permutation: distinct by construction.
  std::vector<std::size_t> order = shuffled_indices(space_size, seed);
  order.resize(std::min(count, space_size));
  for (std::size_t point : order) pending_.push_back({point, fidelity});
}

std::vector<Trial> RandomSampler::ask() { return std::exchange(pending_, {}); }

SuccessiveHalvingSampler::SuccessiveHalvingSampler(std::size_t space_size, const SuccessiveHalvingOptions& options)
    : options_(options), fidelity_(options.min_fidelity) {
  if (!(options.eta > 1))
    throw std::invalid_argument(fmt::format("successive halving: eta {} must be > 1", options.eta));
  if (options.min_fidelity < 1 || options.max_fidelity < options.min_fidelity) {
    throw std::invalid_argument(fmt::format("successive halving: fidelities {} .. {} must satisfy 1 <= min <= max",
                                            options.min_fidelity, options.max_fidelity));
  }
  survivors_ = shuffled_indices(space_size, options.seed);
  if (options.initial_configurations != 0) survivors_.resize(std::min(options.initial_configurations, space_size));
  finished_ = survivors_.empty();
}

std::vector<Trial> SuccessiveHalvingSampler::ask() {
  std::vector<Trial> trials;
  if (finished_) return trials;
  for (std::size_t point : survivors_) trials.push_back({point, fidelity_});
  return trials;
}

void SuccessiveHalvingSampler::tell(const std::vector<TrialResult>& results) {
  if (fidelity_ >= options_.max_fidelity) {
    finished_ = true;
    return;
  }
  std::vector<TrialResult> succeeded;
  for (const TrialResult& result : results) {
    if (result.value_s) succeeded.push_back(result);
  }
  std::stable_sort(succeeded.begin(), succeeded.end(),
                   [](const TrialResult& a, const TrialResult& b) { return *a.value_s < *b.value_s; });
  const auto keep = static_cast<std::size_t>(std::ceil(double(succeeded.size()) / options_.eta));
  survivors_.clear();
  for (std::size_t i = 0; i < std::min(keep, succeeded.size()); ++i) survivors_.push_back(succeeded[i].trial.point);
  // At least one more iteration per rung: an eta close to 1 would otherwise round back to the same
  // fidelity and never finish.
  const int raised = std::max(fidelity_ + 1, static_cast<int>(std::lround(fidelity_ * options_.eta)));
  fidelity_ = std::min(options_.max_fidelity, raised);
  finished_ = survivors_.empty();
}

ReplayObjective::ReplayObjective(const std::vector<RecordedPoint>& recorded) {
  for (const RecordedPoint& point : recorded) by_json_[to_canonical_json(point.params)] = point;
}

std::optional<double> ReplayObjective::evaluate(const Configuration& configuration, int fidelity) {
  const auto it = by_json_.find(to_canonical_json(configuration));
  if (it == by_json_.end() || it->second.failed || it->second.sample_times_s.empty()) return std::nullopt;
  const std::vector<double>& samples = it->second.sample_times_s;
  const std::size_t used = std::min(samples.size(), static_cast<std::size_t>(std::max(fidelity, 1)));
  return median(std::span<const double>(samples.data(), used));
}

std::optional<double> ReplayObjective::full_value(const Configuration& configuration) const {
  const auto it = by_json_.find(to_canonical_json(configuration));
  if (it == by_json_.end() || it->second.failed || it->second.sample_times_s.empty()) return std::nullopt;
  return median(it->second.sample_times_s);
}

std::size_t ReplayObjective::max_samples() const {
  std::size_t most = 0;
  for (const auto& [json, point] : by_json_) most = std::max(most, point.sample_times_s.size());
  return most;
}

StudyResult run_study(const SearchSpace& space, Sampler& sampler, Objective& objective) {
  StudyResult study;
  study.sampler = sampler.name();
  int best_fidelity = 0;
  for (std::vector<Trial> batch = sampler.ask(); !batch.empty(); batch = sampler.ask()) {
    std::vector<TrialResult> results;
    for (const Trial& trial : batch) {
      if (trial.point >= space.size()) {
        throw std::out_of_range(fmt::format("sampler '{}' asked for point {} of a space of {} points", sampler.name(),
                                            trial.point, space.size()));
      }
      const TrialResult result{trial, objective.evaluate(space.at(trial.point), trial.fidelity)};
      ++study.launches;
      study.iterations += trial.fidelity;
      // Values at a higher fidelity supersede lower ones: the choice is made among the most exact.
      const bool better_fidelity = trial.fidelity > best_fidelity;
      if (result.value_s &&
          (better_fidelity || (trial.fidelity == best_fidelity && *result.value_s < study.best_value_s))) {
        study.best_point = trial.point;
        study.best_value_s = *result.value_s;
        best_fidelity = trial.fidelity;
      }
      results.push_back(result);
    }
    sampler.tell(results);
    study.trials.insert(study.trials.end(), results.begin(), results.end());
  }
  return study;
}

std::vector<std::size_t> rank_finalists(const std::vector<TrialResult>& trials, std::size_t count) {
  std::vector<const TrialResult*> ranked;
  for (const TrialResult& trial : trials) {
    if (trial.value_s) ranked.push_back(&trial);
  }
  std::stable_sort(ranked.begin(), ranked.end(), [](const TrialResult* a, const TrialResult* b) {
    if (a->trial.fidelity != b->trial.fidelity) return a->trial.fidelity > b->trial.fidelity;
    return *a->value_s < *b->value_s;
  });
  std::vector<std::size_t> points;
  for (const TrialResult* trial : ranked) {
    if (points.size() == count) break;
    if (std::find(points.begin(), points.end(), trial->trial.point) == points.end())
      points.push_back(trial->trial.point);
  }
  return points;
}

std::vector<StrategyReport> compare_strategies(const SearchSpace& space, const std::vector<RecordedPoint>& recorded,
                                               const std::vector<SamplerFactory>& strategies, std::size_t finalists) {
  ReplayObjective replay(recorded);
  std::optional<double> optimum_s;
  for (std::size_t i = 0; i < space.size(); ++i) {
    const std::optional<double> value = replay.full_value(space.at(i));
    if (value && (!optimum_s || *value < *optimum_s)) optimum_s = value;
  }
  if (!optimum_s) {
    throw std::invalid_argument(
        fmt::format("replay: none of the {} points of the search space has a recorded success", space.size()));
  }
  const double full_grid_iterations = double(space.size()) * double(replay.max_samples());
  std::vector<StrategyReport> reports;
  for (const SamplerFactory& make_sampler : strategies) {
    const std::unique_ptr<Sampler> sampler = make_sampler(space.size());
    const StudyResult study = run_study(space, *sampler, replay);
    StrategyReport report;
    report.strategy = study.sampler;
    report.launches = study.launches;
    report.iterations = study.iterations;
    report.cost_fraction = double(study.iterations) / full_grid_iterations;
    report.optimum_value_s = *optimum_s;
    report.chosen_value_s = std::numeric_limits<double>::infinity();  // nothing succeeded
    for (const std::size_t point : rank_finalists(study.trials, std::max<std::size_t>(finalists, 1))) {
      const std::optional<double> value = replay.full_value(space.at(point));
      if (value && *value < report.chosen_value_s) {
        report.chosen = space.at(point);
        report.chosen_value_s = *value;
      }
    }
    report.gap_fraction = report.chosen_value_s / *optimum_s - 1;
    reports.push_back(std::move(report));
  }
  return reports;
}

}  // namespace commtune::tuner
