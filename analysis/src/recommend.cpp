// The list of rules and the ranking of their recommendations.
#include "commtune/analysis/recommend.hpp"

#include <algorithm>

namespace commtune::analysis {
namespace {

// Every technique's rule, once.
const std::vector<Rule>& rules() {
  static const std::vector<Rule> kRules{
      recommend_batching,     recommend_compression, recommend_nonblocking,      recommend_overlap,
      recommend_load_balance, recommend_topology,    recommend_runtime_settings,
  };
  return kRules;
}

}  // namespace

PredictedGain bounded_gain(double bound_s, double predicted_s, double low_s, double high_s, double wall_time_s) {
  PredictedGain gain;
  const double bound = std::max(0.0, bound_s);
  gain.bound_s = bound;
  gain.seconds = std::min(predicted_s, bound);
  gain.ci_low_s = std::min(low_s, bound);
  gain.ci_high_s = std::min(high_s, bound);
  if (wall_time_s > 0) {
    gain.fraction_of_run = gain.seconds / wall_time_s;
    gain.ci_low_fraction = gain.ci_low_s / wall_time_s;
    gain.ci_high_fraction = gain.ci_high_s / wall_time_s;
  }
  gain.significant = gain.ci_low_fraction >= kPracticalFraction;
  return gain;
}

std::vector<Recommendation> recommend(const AnalysisInput& input) {
  std::vector<Recommendation> all;
  for (Rule rule : rules()) {
    auto made = rule(input);
    all.insert(all.end(), std::make_move_iterator(made.begin()), std::make_move_iterator(made.end()));
  }
  std::stable_sort(all.begin(), all.end(), [](const Recommendation& a, const Recommendation& b) {
    if (a.gain.significant != b.gain.significant) return a.gain.significant;
    return a.gain.seconds > b.gain.seconds;
  });
  for (std::size_t i = 0; i < all.size(); ++i) all[i].rank = int(i + 1);
  return all;
}

}  // namespace commtune::analysis
