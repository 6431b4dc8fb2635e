// Search strategies (tuner/search.hpp) on a synthetic kernel whose time has a known optimum and
// seeded noise: grid and random coverage, successive halving's accuracy and cost, and replays of a
// recorded grid, directly and through the results database.
#include "commtune/tuner/search.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <random>
#include <set>

#include "commtune/tuner/results_db.hpp"
#include "commtune/tuner/statistics.hpp"

namespace commtune::tuner {
namespace {

using kernels::ParamSpace;
using kernels::ParamSpec;
using kernels::ParamType;

constexpr int kFullFidelity = 27;

ParamSpace synthetic_kernel_params() {
  return ParamSpace({
      {.name = "variant",
       .type = ParamType::Choice,
       .default_value = "blocking",
       .choices = {"blocking", "nonblocking"}},
      {.name = "message_bytes",
       .type = ParamType::Bytes,
       .default_value = "4K",
       .unit = "bytes",
       .min = 1,
       .max = 1 << 26},
      {.name = "window", .type = ParamType::Integer, .default_value = "8", .min = 1, .max = 1024},
      {.name = "peers", .type = ParamType::Integer, .default_value = "1", .min = 1, .max = 64},
  });
}

// 2 variants x 8 sizes x 8 windows = 128 points.
const std::map<std::string, std::vector<std::string>> kGrid{
    {"variant", {"blocking", "nonblocking"}},
    {"message_bytes", {"1K", "2K", "4K", "8K", "16K", "32K", "64K", "128K"}},
    {"window", {"1", "2", "4", "8", "16", "32", "64", "128"}}};

// Noise-free time: a bowl with its unique minimum at nonblocking, 32K, window 8; every neighbour
// is at least 15 % slower.
double true_time_s(const Configuration& c) {
  const double size_step = std::log2(std::stod(c.at("message_bytes")) / 1024) - 5;
  const double window_step = std::log2(std::stod(c.at("window"))) - 3;
  const double variant_penalty = c.at("variant") == "blocking" ? 0.3 : 0;
  return 1e-3 * (1 + 0.15 * (size_step * size_step + window_step * window_step) + variant_penalty);
}

// One noisy iteration: half-normal jitter of 5 % and, one time in twenty, a 50 % spike.
double noisy_sample_s(const Configuration& c, std::mt19937_64& generator) {
  std::normal_distribution<double> jitter(0, 0.05);
  std::bernoulli_distribution spike(0.05);
  return true_time_s(c) * (1 + std::fabs(jitter(generator))) * (spike(generator) ? 1.5 : 1.0);
}

class NoisyObjective : public Objective {
 public:
  explicit NoisyObjective(std::uint64_t seed) : generator_(seed) {}
  std::optional<double> evaluate(const Configuration& c, int fidelity) override {
    std::vector<double> samples;
    for (int i = 0; i < fidelity; ++i) samples.push_back(noisy_sample_s(c, generator_));
    return median(samples);
  }

 private:
  std::mt19937_64 generator_;
};

std::vector<RecordedPoint> record_grid(const SearchSpace& space, std::uint64_t seed) {
  std::mt19937_64 generator(seed);
  std::vector<RecordedPoint> recorded;
  for (std::size_t i = 0; i < space.size(); ++i) {
    RecordedPoint point{space.at(i), {}, false};
    for (int s = 0; s < kFullFidelity; ++s) point.sample_times_s.push_back(noisy_sample_s(space.at(i), generator));
    recorded.push_back(std::move(point));
  }
  return recorded;
}

std::vector<SamplerFactory> three_strategies(std::uint64_t seed) {
  return {[seed](std::size_t n) { return std::make_unique<GridSampler>(n, kFullFidelity, seed); },
          [seed](std::size_t n) { return std::make_unique<RandomSampler>(n, 25, kFullFidelity, seed); },
          [seed](std::size_t n) {
            return std::make_unique<SuccessiveHalvingSampler>(
                n, SuccessiveHalvingOptions{.eta = 3, .min_fidelity = 1, .max_fidelity = kFullFidelity, .seed = seed});
          }};
}

TEST(SearchSpace, EnumeratesTheGridWithDefaultsForTheRest) {
  const SearchSpace space(synthetic_kernel_params(), kGrid);
  ASSERT_EQ(space.size(), 128u);
  std::set<std::string> distinct;
  for (std::size_t i = 0; i < space.size(); ++i) {
    EXPECT_EQ(space.at(i).at("peers"), "1");
    distinct.insert(to_canonical_json(space.at(i)));
    EXPECT_EQ(space.index_of(space.at(i)), i);
  }
  EXPECT_EQ(distinct.size(), 128u);
  // "4K" and "4096" are one value once canonical.
  EXPECT_EQ(SearchSpace(synthetic_kernel_params(), {{"message_bytes", {"4K", "4096", "8K"}}}).size(), 2u);
}

TEST(SearchSpace, RejectsUnknownParametersAndValuesAndAppliesConstraints) {
  try {
    SearchSpace(synthetic_kernel_params(), {{"windw", {"1"}}});
    FAIL() << "an unknown parameter was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("unknown parameter 'windw'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("window"), std::string::npos) << e.what();
  }
  EXPECT_THROW(SearchSpace(synthetic_kernel_params(), {{"window", {"0"}}}), std::invalid_argument);
  EXPECT_THROW(SearchSpace(synthetic_kernel_params(), {{"window", {}}}), std::invalid_argument);
  const ParamSpace constrained(synthetic_kernel_params().specs(),
                               {{.kind = kernels::ConstraintKind::InRange,
                                 .when = {.param = "variant", .values = {"blocking"}},
                                 .param = "window",
                                 .min = 1,
                                 .max = 64,
                                 .reason = "blocking ignores window > 64"}});
  const SearchSpace space(constrained, kGrid);
  EXPECT_EQ(space.size(), 120u);
  EXPECT_EQ(space.excluded_by_constraints(), 8u);
}

TEST(Samplers, GridCoversEveryPointOnceInASeededOrder) {
  GridSampler grid(128, 5, 1);
  const std::vector<Trial> trials = grid.ask();
  std::set<std::size_t> points;
  bool in_order = true;
  for (std::size_t i = 0; i < trials.size(); ++i) {
    points.insert(trials[i].point);
    in_order = in_order && trials[i].point == i;
    EXPECT_EQ(trials[i].fidelity, 5);
  }
  EXPECT_EQ(trials.size(), 128u);
  EXPECT_EQ(points.size(), 128u);
  EXPECT_FALSE(in_order);
  EXPECT_TRUE(grid.ask().empty());
  EXPECT_NE(GridSampler(128, 5, 2).ask()[0].point + 1000 * GridSampler(128, 5, 2).ask()[1].point,
            trials[0].point + 1000 * trials[1].point);
  EXPECT_THROW(GridSampler(10, 0, 1), std::invalid_argument);
}

TEST(Samplers, RandomNeverRepeats) {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    RandomSampler random(128, 60, kFullFidelity, seed);
    const std::vector<Trial> trials = random.ask();
    std::set<std::size_t> points;
    for (const Trial& trial : trials) points.insert(trial.point);
    EXPECT_EQ(trials.size(), 60u);
    EXPECT_EQ(points.size(), 60u) << "seed " << seed;
  }
  EXPECT_EQ(RandomSampler(10, 50, 1, 1).ask().size(), 10u);  // capped at the space
}

TEST(Samplers, SuccessiveHalvingKeepsAThirdAndTriplesTheFidelity) {
  SuccessiveHalvingSampler halving(
      100, {.initial_configurations = 81, .eta = 3, .min_fidelity = 1, .max_fidelity = 27, .seed = 4});
  std::vector<std::size_t> rung_sizes;
  std::vector<int> fidelities;
  for (auto batch = halving.ask(); !batch.empty(); batch = halving.ask()) {
    rung_sizes.push_back(batch.size());
    fidelities.push_back(batch[0].fidelity);
    std::vector<TrialResult> results;
    for (const Trial& trial : batch) results.push_back({trial, double(trial.point)});  // lower index is better
    halving.tell(results);
  }
  EXPECT_EQ(rung_sizes, (std::vector<std::size_t>{81, 27, 9, 3}));
  EXPECT_EQ(fidelities, (std::vector<int>{1, 3, 9, 27}));
  EXPECT_THROW(SuccessiveHalvingSampler(10, {.eta = 1}), std::invalid_argument);
  EXPECT_THROW(SuccessiveHalvingSampler(10, {.min_fidelity = 5, .max_fidelity = 2}), std::invalid_argument);
}

TEST(Samplers, SuccessiveHalvingWithAnEtaNearOneStillRaisesTheFidelity) {
  // 1 * 1.2 rounds back to 1: each rung must still add an iteration, and the search must end.
  SuccessiveHalvingSampler halving(10, {.eta = 1.2, .min_fidelity = 1, .max_fidelity = 4, .seed = 1});
  std::vector<int> fidelities;
  for (auto batch = halving.ask(); !batch.empty() && fidelities.size() < 10; batch = halving.ask()) {
    fidelities.push_back(batch[0].fidelity);
    std::vector<TrialResult> results;
    for (const Trial& trial : batch) results.push_back({trial, double(trial.point)});
    halving.tell(results);
  }
  EXPECT_EQ(fidelities, (std::vector<int>{1, 2, 3, 4}));
}

TEST(Study, SuccessiveHalvingFindsTheOptimumWithAFifthOfTheGridCost) {
  const SearchSpace space(synthetic_kernel_params(), kGrid);
  double optimum_s = 1e9;
  for (std::size_t i = 0; i < space.size(); ++i) optimum_s = std::min(optimum_s, true_time_s(space.at(i)));
  const double grid_iterations = double(space.size()) * kFullFidelity;
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    NoisyObjective objective(seed);
    SuccessiveHalvingSampler halving(space.size(), {.eta = 3, .max_fidelity = kFullFidelity, .seed = seed});
    const StudyResult study = run_study(space, halving, objective);
    ASSERT_TRUE(study.best_point.has_value());
    const double gap = true_time_s(space.at(*study.best_point)) / optimum_s - 1;
    EXPECT_LE(gap, 0.03) << "seed " << seed;
    EXPECT_LE(double(study.iterations), 0.20 * grid_iterations) << "seed " << seed;
    // Rungs of 128, 43, 15 and 5 configurations at 1, 3, 9 and 27 iterations (docs/tuner.md).
    EXPECT_EQ(study.iterations, 128 * 1 + 43 * 3 + 15 * 9 + 5 * 27);
    EXPECT_EQ(study.launches, 128u + 43 + 15 + 5);
  }
}

TEST(Replay, AnswersFromTheRecordingAtEachFidelity) {
  const SearchSpace space(synthetic_kernel_params(), kGrid);
  std::vector<RecordedPoint> recorded = record_grid(space, 9);
  recorded[3].failed = true;
  ReplayObjective replay(recorded);
  const std::vector<double>& samples = recorded[0].sample_times_s;
  EXPECT_DOUBLE_EQ(*replay.evaluate(space.at(0), 1), samples[0]);
  EXPECT_DOUBLE_EQ(*replay.evaluate(space.at(0), 3), median(std::vector<double>(samples.begin(), samples.begin() + 3)));
  EXPECT_DOUBLE_EQ(*replay.evaluate(space.at(0), 1000), median(samples));
  EXPECT_FALSE(replay.evaluate(space.at(3), 27).has_value());
  EXPECT_FALSE(replay.evaluate({{"variant", "other"}}, 27).has_value());
  EXPECT_EQ(replay.max_samples(), std::size_t(kFullFidelity));
}

void expect_sound_reports(const std::vector<StrategyReport>& reports) {
  ASSERT_EQ(reports.size(), 3u);
  EXPECT_EQ(reports[0].strategy, "grid");
  EXPECT_DOUBLE_EQ(reports[0].gap_fraction, 0);  // the grid at full fidelity is the reference
  EXPECT_DOUBLE_EQ(reports[0].cost_fraction, 1);
  EXPECT_EQ(reports[1].strategy, "random");
  EXPECT_EQ(reports[1].launches, 25u);
  EXPECT_GE(reports[1].gap_fraction, 0);
  EXPECT_EQ(reports[2].strategy, "successive_halving");
  EXPECT_LE(reports[2].gap_fraction, 0.03);
  EXPECT_LE(reports[2].cost_fraction, 0.20);
  // At about the same cost (25 points x 27 iterations = 19.5 %), random search chooses worse.
  EXPECT_LT(reports[2].gap_fraction, reports[1].gap_fraction);
}

TEST(Replay, ComparesStrategiesOffline) {
  const SearchSpace space(synthetic_kernel_params(), kGrid);
  expect_sound_reports(compare_strategies(space, record_grid(space, 21), three_strategies(21)));
  EXPECT_THROW(compare_strategies(space, {}, three_strategies(1)), std::invalid_argument);
}

TEST(Replay, ComparesStrategiesFromTheResultsDatabase) {
  const SearchSpace space(synthetic_kernel_params(), kGrid);
  const std::filesystem::path path = std::filesystem::path(testing::TempDir()) / "commtune-replay.sqlite";
  std::filesystem::remove(path);
  const std::vector<RecordedPoint> recorded = record_grid(space, 33);
  {
    ResultsDb db(path);
    db.add_hardware("hw", {});
    const std::int64_t sweep = db.begin_sweep("hw", "grid", 33);
    for (const RecordedPoint& point : recorded) {
      db.record_measurement(sweep, {"hw", "synthetic", point.params, {}, 2},
                            {LaunchRecord{{"fake"}, "", 0.1, 0, 0, point.sample_times_s}});
    }
  }
  const std::vector<RecordedPoint> loaded =
      ResultsDb(path, ResultsDb::Mode::ReadOnly).recorded_points("synthetic", "hw");
  ASSERT_EQ(loaded.size(), recorded.size());
  const auto from_db = compare_strategies(space, loaded, three_strategies(33));
  const auto direct = compare_strategies(space, recorded, three_strategies(33));
  expect_sound_reports(from_db);
  for (std::size_t i = 0; i < direct.size(); ++i) {
    EXPECT_EQ(from_db[i].chosen, direct[i].chosen) << direct[i].strategy;
    EXPECT_DOUBLE_EQ(from_db[i].chosen_value_s, direct[i].chosen_value_s) << direct[i].strategy;
  }
}

}  // namespace
}  // namespace commtune::tuner

namespace commtune::tuner {
namespace {

TEST(Finalists, HighestFidelityFirstThenByValueDistinctAndNeverAFailure) {
  const std::vector<TrialResult> trials{
      {{0, 1}, 1.0}, {{1, 1}, 2.0}, {{2, 1}, 0.5},          {{3, 1}, std::nullopt}, {{4, 1}, 3.0},  // rung 1
      {{0, 3}, 1.1}, {{2, 3}, 0.9}, {{4, 3}, std::nullopt},                                         // rung 2
      {{0, 9}, 1.2},                                                                                // last rung
  };
  EXPECT_EQ(rank_finalists(trials, 1), (std::vector<std::size_t>{0}));
  // Point 0 comes once, from its highest fidelity; then rung 2's 2; then rung 1's best left (1),
  // skipping point 3, which failed, and point 4, whose only success is worse.
  EXPECT_EQ(rank_finalists(trials, 3), (std::vector<std::size_t>{0, 2, 1}));
  EXPECT_EQ(rank_finalists(trials, 10), (std::vector<std::size_t>{0, 2, 1, 4}));
  EXPECT_TRUE(rank_finalists({{{0, 1}, std::nullopt}}, 3).empty());
}

}  // namespace
}  // namespace commtune::tuner
