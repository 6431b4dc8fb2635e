// Deterministic synthetic tasks for the load_balance kernel: a cost model (how long task i should
// take) and a calibrated spin that really occupies a core for that long.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace commtune::kernels::load_balance {

enum class CostDistribution { Uniform, LinearRamp, HeavyTailed };
std::optional<CostDistribution> parse_cost_distribution(const std::string& name);

// Cost of every task in microseconds, averaging mean_cost_us exactly:
//   uniform      every task costs the mean;
//   linear_ramp  task i costs 2 * mean * (i + 0.5) / tasks (the last rank's block is the heaviest);
//   heavy_tailed Pareto(alpha = 1.5) draws from `seed`, capped at 50x the minimum, rescaled to the mean.
std::vector<double> task_costs_us(CostDistribution distribution, std::int64_t tasks, double mean_cost_us,
                                  std::uint64_t seed);

// Runs `steps` dependent integer steps forward and the same number backward, so the result is a
// pure function of `seed` (a wrong or repeated task changes the checksum) while the time spent
// follows `steps`, which the calibration below derives from the machine's speed. The result cannot
// depend on `steps`: it differs between machines and runs, and checksums must not.
std::uint64_t spin_task(std::uint64_t seed, std::int64_t steps);

// Spin steps per microsecond on this machine: the fastest of a few timed spins on each rank, then
// the maximum over ranks, so every rank converts costs to the same step counts. Collective.
double calibrate_steps_per_us(MPI_Comm comm);

}  // namespace commtune::kernels::load_balance
