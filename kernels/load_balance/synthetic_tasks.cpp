#include "synthetic_tasks.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

namespace commtune::kernels::load_balance {
namespace {

constexpr std::uint64_t kMultiplier = 6364136223846793005ULL;  // odd, so invertible modulo 2^64
constexpr std::uint64_t kIncrement = 1442695040888963407ULL;

constexpr std::uint64_t inverse_mod_2_64(std::uint64_t a) {
  std::uint64_t x = a;                         // correct to 3 bits for odd a
  for (int i = 0; i < 5; ++i) x *= 2 - a * x;  // Newton: doubles the correct bits
  return x;
}
constexpr std::uint64_t kInverse = inverse_mod_2_64(kMultiplier);
static_assert(kMultiplier * kInverse == 1);

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

std::optional<CostDistribution> parse_cost_distribution(const std::string& name) {
  if (name == "uniform") return CostDistribution::Uniform;
  if (name == "linear_ramp") return CostDistribution::LinearRamp;
  if (name == "heavy_tailed") return CostDistribution::HeavyTailed;
  return std::nullopt;
}

std::vector<double> task_costs_us(CostDistribution distribution, std::int64_t tasks, double mean_cost_us,
                                  std::uint64_t seed) {
  std::vector<double> costs(static_cast<std::size_t>(std::max<std::int64_t>(tasks, 0)), mean_cost_us);
  if (costs.empty()) return costs;
  if (distribution == CostDistribution::LinearRamp) {
    for (std::size_t i = 0; i < costs.size(); ++i) {
      costs[i] = 2.0 * mean_cost_us * (double(i) + 0.5) / double(costs.size());
    }
  } else if (distribution == CostDistribution::HeavyTailed) {
    constexpr double kAlpha = 1.5;
    constexpr double kCap = 50.0;
    for (std::size_t i = 0; i < costs.size(); ++i) {
      // Uniform in (0, 1] from the top 53 bits, then the Pareto inverse CDF with minimum 1.
      const double u = (double(splitmix64(seed * 0x100000001b3ULL + i) >> 11) + 1.0) * 0x1.0p-53;
      costs[i] = std::min(std::pow(u, -1.0 / kAlpha), kCap);
    }
    const double mean = std::accumulate(costs.begin(), costs.end(), 0.0) / double(costs.size());
    for (double& c : costs) c *= mean_cost_us / mean;
  }
  return costs;
}

std::uint64_t spin_task(std::uint64_t seed, std::int64_t steps) {
  std::uint64_t x = splitmix64(seed);
  const std::int64_t half = steps / 2;
  for (std::int64_t i = 0; i < half; ++i) {
    x = x * kMultiplier + kIncrement;
    asm volatile("" : "+r"(x));  // an optimisation barrier: every step is really computed
  }
  for (std::int64_t i = 0; i < half; ++i) {
    x = (x - kIncrement) * kInverse;
    asm volatile("" : "+r"(x));
  }
  return splitmix64(x ^ 0x5bd1e995ULL);
}

double calibrate_steps_per_us(MPI_Comm comm) {
  static const double local_steps_per_us = [] {
    constexpr std::int64_t kSteps = 1 << 21;
    double best_s = 1e9;
    std::uint64_t sink = 0;
    for (int round = 0; round < 5; ++round) {
      const auto start = std::chrono::steady_clock::now();
      sink += spin_task(static_cast<std::uint64_t>(round), kSteps);
      best_s = std::min(best_s, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    asm volatile("" : : "r"(sink));
    return double(kSteps) / (best_s * 1e6);
  }();
  double steps_per_us = local_steps_per_us;
  MPI_Allreduce(&local_steps_per_us, &steps_per_us, 1, MPI_DOUBLE, MPI_MAX, comm);
  return steps_per_us;
}

}  // namespace commtune::kernels::load_balance
