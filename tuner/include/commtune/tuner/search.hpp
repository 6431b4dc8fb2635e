// Search over a kernel's configurations, kept apart as Optuna keeps them: a SearchSpace (what may
// be tried), a Sampler (which configurations to evaluate next, at which fidelity), an Objective
// (how one configuration is evaluated: running the kernel, or a ReplayObjective answering from a
// recorded full grid), and run_study() joining them. Replays let strategies be compared offline
// (compare_strategies) without running a kernel.
//
// Fidelity is the number of timed iterations an evaluation uses; cost is counted in those
// iterations, the part of a sweep's time that grows with the evaluations (each launch also pays
// a fixed start-up time, which is why StudyResult reports launches separately).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "commtune/kernels/params.hpp"
#include "commtune/tuner/configuration.hpp"

namespace commtune::tuner {

// The grid of a kernel's ParamSpace: listed parameters take each of their values, the others stay
// at their defaults. Values are canonicalised (so "4K" and "4096" are one value); combinations the
// kernel's constraints reject are left out and counted.
class SearchSpace {
 public:
  // Throws std::invalid_argument naming an unknown parameter, an empty list or a rejected value.
  SearchSpace(const kernels::ParamSpace& params, const std::map<std::string, std::vector<std::string>>& grid_values);

  std::size_t size() const { return points_.size(); }
  const Configuration& at(std::size_t index) const { return points_.at(index); }
  std::optional<std::size_t> index_of(const Configuration& configuration) const;
  std::size_t excluded_by_constraints() const { return excluded_; }

 private:
  std::vector<Configuration> points_;
  std::map<std::string, std::size_t> index_by_json_;
  std::size_t excluded_ = 0;
};

struct Trial {
  std::size_t point = 0;  // index into the SearchSpace
  int fidelity = 0;       // timed iterations
};

struct TrialResult {
  Trial trial;
  std::optional<double> value_s;  // the figure minimised (a median time); nullopt when it failed
};

class Sampler {
 public:
  virtual ~Sampler() = default;
  virtual std::string name() const = 0;
  // The next batch of trials (a driver may shuffle and interleave them); empty when finished.
  virtual std::vector<Trial> ask() = 0;
  // The results of the last batch asked for.
  virtual void tell(const std::vector<TrialResult>& results) = 0;
};

// Every point once, in an order shuffled by `seed` (so slow drifts of the machine do not line up
// with a parameter).
class GridSampler : public Sampler {
 public:
  GridSampler(std::size_t space_size, int fidelity, std::uint64_t seed);
  std::string name() const override { return "grid"; }
  std::vector<Trial> ask() override;
  void tell(const std::vector<TrialResult>&) override {}

 private:
  std::vector<Trial> pending_;
};

// `count` distinct points (all of them when count >= the space size), chosen with `seed`.
class RandomSampler : public Sampler {
 public:
  RandomSampler(std::size_t space_size, std::size_t count, int fidelity, std::uint64_t seed);
  std::string name() const override { return "random"; }
  std::vector<Trial> ask() override;
  void tell(const std::vector<TrialResult>&) override {}

 private:
  std::vector<Trial> pending_;
};

struct SuccessiveHalvingOptions {
  std::size_t initial_configurations = 0;  // 0: every point of the space
  double eta = 3;                          // keep the best 1/eta of each rung
  int min_fidelity = 1;                    // iterations of the first rung
  int max_fidelity = 27;                   // iterations of the last rung
  std::uint64_t seed = 1;                  // which initial configurations, when not all
};

// Successive halving: evaluate many configurations with few iterations, keep the best 1/eta by
// value, multiply the fidelity by eta, until a rung at max_fidelity has been evaluated. Failed
// trials are dropped from the next rung.
class SuccessiveHalvingSampler : public Sampler {
 public:
  // Throws std::invalid_argument when eta <= 1 or the fidelities are not 1 <= min <= max.
  SuccessiveHalvingSampler(std::size_t space_size, const SuccessiveHalvingOptions& options);
  std::string name() const override { return "successive_halving"; }
  std::vector<Trial> ask() override;
  void tell(const std::vector<TrialResult>& results) override;

 private:
  SuccessiveHalvingOptions options_;
  std::vector<std::size_t> survivors_;
  int fidelity_ = 1;
  bool finished_ = false;
};

class Objective {
 public:
  virtual ~Objective() = default;
  // The figure to minimise for `configuration` measured with `fidelity` timed iterations;
  // nullopt when the evaluation failed, crashed or timed out.
  virtual std::optional<double> evaluate(const Configuration& configuration, int fidelity) = 0;
};

// Answers from a recorded sweep instead of running the kernel: the median of the first `fidelity`
// recorded samples (all of them when fewer were recorded), so a low-fidelity replay sees the same
// noise a short run would have seen. Points not recorded, or recorded as failures, fail.
class ReplayObjective : public Objective {
 public:
  explicit ReplayObjective(const std::vector<RecordedPoint>& recorded);
  std::optional<double> evaluate(const Configuration& configuration, int fidelity) override;
  std::optional<double> full_value(const Configuration& configuration) const;  // median of all samples
  std::size_t max_samples() const;  // the most samples any point has: the full grid's fidelity

 private:
  std::map<std::string, RecordedPoint> by_json_;
};

struct StudyResult {
  std::string sampler;
  std::vector<TrialResult> trials;        // in evaluation order
  std::size_t launches = 0;               // evaluations, each one kernel launch
  std::int64_t iterations = 0;            // sum of the fidelities: the cost
  std::optional<std::size_t> best_point;  // lowest value among the trials of the highest fidelity
  double best_value_s = 0;
};
StudyResult run_study(const SearchSpace& space, Sampler& sampler, Objective& objective);

// The points a sweep re-measures after a study (its finalists): the `count` best distinct points
// that did not fail, those of the highest fidelity first, each fidelity by value. Filling up from
// lower rungs matters for successive halving, whose last rung may hold a single configuration
// chosen on few samples.
std::vector<std::size_t> rank_finalists(const std::vector<TrialResult>& trials, std::size_t count);

struct StrategyReport {
  std::string strategy;
  std::size_t launches = 0;
  std::int64_t iterations = 0;
  double cost_fraction = 0;  // iterations / the full grid's iterations (every point at max_samples())
  Configuration chosen;
  double chosen_value_s = 0;   // the chosen point's full recorded median
  double optimum_value_s = 0;  // the best full recorded median in the space
  double gap_fraction = 0;     // chosen / optimum - 1
};

// Runs each strategy against the recording and reports its cost and how far its choice is from
// the recorded grid's optimum. The choice is made as a sweep makes it: the best of the study's
// `finalists` (rank_finalists) by their full recorded medians, which the finalists' re-measurement
// stands for; the cost counts the search only (a sweep re-measures its finalists whatever the
// strategy). Throws std::invalid_argument when no point of the space has a
// recorded success.
using SamplerFactory = std::function<std::unique_ptr<Sampler>(std::size_t space_size)>;
std::vector<StrategyReport> compare_strategies(const SearchSpace& space, const std::vector<RecordedPoint>& recorded,
                                               const std::vector<SamplerFactory>& strategies,
                                               std::size_t finalists = 1);

}  // namespace commtune::tuner
