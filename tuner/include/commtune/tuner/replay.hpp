// Replaying search strategies offline against a full grid recorded in the results database
// (`commtune replay SPEC`): for each kernel of a sweep spec and each group of its recorded points
// that a study would have searched (one hardware fingerprint, rank count and MPI settings), run
// grid, random and successive-halving searches against the recording with many seeds and say what
// each cost and how far its choice is from the recorded optimum. Nothing is run; this is how the
// strategies are compared without re-running kernels.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "commtune/tuner/configuration.hpp"
#include "commtune/tuner/results_db.hpp"
#include "commtune/tuner/spec.hpp"

namespace commtune::tuner {

// The points one study searched: one kernel on one fingerprint with one rank count and settings.
struct ReplayGroup {
  std::string kernel;
  std::string hardware_id;
  int ranks = 0;
  Configuration settings;
  std::size_t space_size = 0;  // configurations of the spec's grid for this kernel
  std::size_t recorded = 0;    // of them, recorded in the group (measured or failed)
  int full_fidelity = 0;       // the fewest samples of a measured point: what every replay may use
};

// One strategy over all seeds.
struct StrategySummary {
  std::string strategy;  // "grid", "random", "successive_halving"
  std::string options;   // e.g. "count=8", "eta=3 min=1 max=20"
  std::size_t seeds = 0;
  double median_evaluations = 0;    // trials run, whatever their fidelity
  double median_cost_fraction = 0;  // timed iterations / the full grid's at full fidelity
  double median_gap_fraction = 0;   // chosen / optimum - 1 (full recorded medians)
  double worst_gap_fraction = 0;
  std::size_t within_3_percent = 0;  // seeds whose choice is within 3 % of the optimum
};

struct GroupReplay {
  ReplayGroup group;
  std::string skipped;  // why no strategy was replayed (an incomplete grid); empty otherwise
  double optimum_s = 0;
  std::vector<StrategySummary> strategies;
};

struct ReplayOptions {
  std::vector<std::uint64_t> seeds;  // one replay of each strategy per seed
  double random_fraction = 0.2;      // random search evaluates this share of the grid
};

// Throws std::runtime_error from the database, std::invalid_argument for a kernel the spec names
// that no longer declares the spec's parameters.
std::vector<GroupReplay> replay_strategies(const ResultsDb& db, const SweepSpec& spec, const ReplayOptions& options);

}  // namespace commtune::tuner
