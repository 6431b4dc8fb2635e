// The load_balance kernel's cost model and spin task (no MPI processes needed).
#include "synthetic_tasks.hpp"

#include <gtest/gtest.h>

#include <numeric>

namespace commtune::kernels::load_balance {
namespace {

double mean(const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0) / double(v.size()); }

TEST(TaskCosts, EveryDistributionAveragesTheRequestedCost) {
  for (auto d : {CostDistribution::Uniform, CostDistribution::LinearRamp, CostDistribution::HeavyTailed}) {
    const auto costs = task_costs_us(d, 1000, 80.0, 3);
    ASSERT_EQ(costs.size(), 1000u);
    EXPECT_NEAR(mean(costs), 80.0, 1e-9);
    for (double c : costs) EXPECT_GE(c, 0.0);
  }
  EXPECT_TRUE(task_costs_us(CostDistribution::LinearRamp, 0, 80.0, 3).empty());
}

TEST(TaskCosts, LinearRampPutsThreeQuartersOfTheWorkInTheSecondHalf) {
  const auto costs = task_costs_us(CostDistribution::LinearRamp, 400, 10.0, 0);
  const double first = std::accumulate(costs.begin(), costs.begin() + 200, 0.0);
  const double second = std::accumulate(costs.begin() + 200, costs.end(), 0.0);
  EXPECT_NEAR(second / (first + second), 0.75, 1e-9);
  EXPECT_LT(costs.front(), costs.back());
}

TEST(TaskCosts, HeavyTailedIsSkewedAndReproducible) {
  const auto a = task_costs_us(CostDistribution::HeavyTailed, 2000, 100.0, 7);
  EXPECT_EQ(a, task_costs_us(CostDistribution::HeavyTailed, 2000, 100.0, 7));
  EXPECT_NE(a, task_costs_us(CostDistribution::HeavyTailed, 2000, 100.0, 8));
  std::vector<double> sorted = a;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_LT(sorted[1000], 100.0);       // median below the mean
  EXPECT_GT(sorted.back(), 5 * 100.0);  // and a long tail
}

TEST(SpinTask, ResultDependsOnTheSeedNotOnTheLength) {
  EXPECT_EQ(spin_task(11, 0), spin_task(11, 100001));
  EXPECT_EQ(spin_task(11, 2), spin_task(11, 3));
  EXPECT_NE(spin_task(11, 1000), spin_task(12, 1000));
}

}  // namespace
}  // namespace commtune::kernels::load_balance
