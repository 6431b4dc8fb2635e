// replay_strategies(): the grids a sweep recorded, grouped by the study that measured them, and
// the strategies replayed against each complete grid.
#include "commtune/tuner/replay.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "commtune/kernels/declaration.hpp"
#include "commtune/tuner/search.hpp"

namespace commtune::tuner {
namespace {

constexpr const char* kSpec = R"(schema: commtune.sweep/1
kernels:
  - kernel: nonblocking
    params:
      variant: [blocking, nonblocking]
      message_bytes: [1K, 4K, 16K, 64K, 256K, 1M]
      window: [4, 64]
ranks: [2, 4]
budget:
  time: 5m
strategy:
  name: successive_halving
  eta: 3
  min_iterations: 1
  max_iterations: 9
)";

// A cost that grows with the size, is lower for nonblocking with a large window (the optimum is
// nonblocking, 1K, window 64), and is noisy by 3 %.
double sample_s(const Configuration& params, std::mt19937_64& generator) {
  double cost = std::stod(params.at("message_bytes")) * 1e-9 + 1e-6;
  if (params.at("variant") == "nonblocking") cost *= params.at("window") == "64" ? 0.6 : 0.8;
  return cost * std::normal_distribution<double>(1.0, 0.03)(generator);
}

TEST(ReplayStrategies, ReplaysEachCompleteRecordedGridAndSkipsAnIncompleteOne) {
  const SweepSpec spec = parse_sweep_spec(kSpec, "replay.yaml");
  const SearchSpace space(kernels::find_declaration("nonblocking")->params, spec.kernels.front().grid);
  ASSERT_EQ(space.size(), 24u);
  const std::filesystem::path path = std::filesystem::path(testing::TempDir()) / "commtune-replay-strategies.sqlite";
  std::filesystem::remove(path);
  {
    ResultsDb db(path);
    db.add_hardware("hw", {});
    const std::int64_t sweep = db.begin_sweep("hw", kSpec, 1);
    std::mt19937_64 generator(7);
    for (std::size_t i = 0; i < space.size(); ++i) {
      std::vector<double> samples;
      for (int s = 0; s < 12; ++s) samples.push_back(sample_s(space.at(i), generator));
      db.record_measurement(sweep, {"hw", "nonblocking", space.at(i), {}, 2},
                            {LaunchRecord{{"x"}, "", 1, 0, 2, samples}});
      // 4 ranks: half the grid only.
      if (i % 2 == 0) {
        db.record_measurement(sweep, {"hw", "nonblocking", space.at(i), {}, 4},
                              {LaunchRecord{{"x"}, "", 1, 0, 2, samples}});
      }
    }
  }
  const ResultsDb db(path, ResultsDb::Mode::ReadOnly);
  const std::vector<GroupReplay> replays = replay_strategies(db, spec, {.seeds = {1, 2, 3, 4, 5}});
  ASSERT_EQ(replays.size(), 2u);
  const GroupReplay& full = replays[0].group.ranks == 2 ? replays[0] : replays[1];
  const GroupReplay& half = replays[0].group.ranks == 2 ? replays[1] : replays[0];
  EXPECT_NE(half.skipped.find("12 of the grid's 24 points"), std::string::npos) << half.skipped;
  EXPECT_TRUE(half.strategies.empty());

  ASSERT_TRUE(full.skipped.empty()) << full.skipped;
  EXPECT_EQ(full.group.full_fidelity, 12);
  EXPECT_EQ(full.group.recorded, 24u);
  ASSERT_EQ(full.strategies.size(), 3u);
  const StrategySummary& grid = full.strategies[0];
  const StrategySummary& random = full.strategies[1];
  const StrategySummary& halving = full.strategies[2];
  EXPECT_EQ(grid.strategy, "grid");
  EXPECT_DOUBLE_EQ(grid.median_cost_fraction, 1.0);
  EXPECT_DOUBLE_EQ(grid.worst_gap_fraction, 0.0);  // the grid sees every point at full fidelity
  EXPECT_EQ(grid.within_3_percent, 5u);
  EXPECT_EQ(random.strategy, "random");
  EXPECT_DOUBLE_EQ(random.median_evaluations, 5.0);  // 20 % of 24, rounded
  EXPECT_NEAR(random.median_cost_fraction, 5.0 / 24.0, 1e-12);
  EXPECT_EQ(halving.strategy, "successive_halving");
  EXPECT_EQ(halving.options, "eta=3 iterations 1..9");
  EXPECT_LT(halving.median_cost_fraction, 0.5);
  // The sizes differ by 4x, so one iteration at the first rung already separates them: halving
  // keeps the 1K configurations and finds the optimum.
  EXPECT_LE(halving.median_gap_fraction, 0.03);
  for (const StrategySummary& s : full.strategies) {
    EXPECT_EQ(s.seeds, 5u);
    EXPECT_GE(s.median_gap_fraction, 0.0);
    EXPECT_LE(s.median_gap_fraction, s.worst_gap_fraction);
  }
}

}  // namespace
}  // namespace commtune::tuner
