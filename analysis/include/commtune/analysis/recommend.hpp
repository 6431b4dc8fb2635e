// The judgements: from a workload signature and the hardware models to recommendations, one rule
// per technique (src/rules/*.cpp), each bounding its predicted gain by the time actually spent at
// the call sites it concerns and carrying a 95 % interval from the measurements it rests on.
#pragma once

#include <filesystem>
#include <vector>

#include "commtune/analysis/models.hpp"
#include "commtune/analysis/recommendations.hpp"
#include "commtune/analysis/signature.hpp"
#include "profile/model.hpp"

namespace commtune::analysis {

struct AnalysisInput {
  const profile::Profile& profile;
  const WorkloadSignature& signature;
  const HardwareModels& models;
  std::filesystem::path files_dir;  // DIR/analysis: where rules files, rankfiles and specs go
};

// A rule: the recommendations of one technique (none when its pattern is absent; a recommendation
// whose gain is not significant says "keep as is").
using Rule = std::vector<Recommendation> (*)(const AnalysisInput& input);

std::vector<Recommendation> recommend_batching(const AnalysisInput& input);
std::vector<Recommendation> recommend_compression(const AnalysisInput& input);
std::vector<Recommendation> recommend_nonblocking(const AnalysisInput& input);
std::vector<Recommendation> recommend_overlap(const AnalysisInput& input);
std::vector<Recommendation> recommend_load_balance(const AnalysisInput& input);
std::vector<Recommendation> recommend_topology(const AnalysisInput& input);
std::vector<Recommendation> recommend_runtime_settings(const AnalysisInput& input);

// Every rule's recommendations, significant ones first, then by predicted gain; `rank` numbered.
std::vector<Recommendation> recommend(const AnalysisInput& input);

// A predicted saving of `predicted_s` in [low_s, high_s] (95 %), clamped to [0, bound_s] at the
// top (a rule never promises more than the time at its sites), as fractions of `wall_time_s`.
// Significant when even the interval's low end saves kPracticalFraction of the run: an interval
// that includes zero, or a saving lost in the noise of a run, says "keep as is".
inline constexpr double kPracticalFraction = 0.01;
PredictedGain bounded_gain(double bound_s, double predicted_s, double low_s, double high_s, double wall_time_s);

}  // namespace commtune::analysis
