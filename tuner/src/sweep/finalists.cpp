// The choice at the end of a study: the finalists re-measured in separate launches, the best of
// them by median, which others are statistically indistinguishable from it, and its gain over the
// kernel's baseline variant.
#include <algorithm>

#include "sweep_internal.hpp"

namespace commtune::tuner::sweep_detail {

Configuration baseline_configuration(const kernels::KernelDeclaration& declaration, const Configuration& best) {
  Configuration overrides = best;
  overrides["variant"] = declaration.baseline_variant;
  try {
    return declaration.params.resolve(overrides).values();
  } catch (const std::invalid_argument&) {
    // A constraint ties another parameter to a better variant (a progress thread needs
    // nonblocking): compare with the plain baseline instead.
    return declaration.params.resolve({{"variant", declaration.baseline_variant}}).values();
  }
}

std::optional<ChoiceRecord> decide_choice(const std::vector<FinalistSamples>& finalists,
                                          const FinalistSamples& baseline, std::uint64_t seed) {
  const FinalistSamples* best = nullptr;
  for (const FinalistSamples& finalist : finalists) {
    if (finalist.samples_s.empty()) continue;
    if (!best || median(finalist.samples_s) < median(best->samples_s)) best = &finalist;
  }
  if (!best) return std::nullopt;
  const CompareOptions options{.seed = seed};
  ChoiceRecord choice;
  choice.params = best->params;
  const SampleSummary summary = summarize(best->samples_s);
  choice.median_s = summary.median;
  choice.ci_low_s = summary.median_ci.interval.low;
  choice.ci_high_s = summary.median_ci.interval.high;
  for (const FinalistSamples& finalist : finalists) {
    if (&finalist == best || finalist.samples_s.empty()) continue;
    if (compare(best->samples_s, finalist.samples_s, options).verdict != Verdict::Slower) {
      choice.indistinguishable.push_back(finalist.params);
    }
  }
  choice.baseline_params = baseline.params;
  if (baseline.samples_s.empty()) {
    choice.verdict = "baseline not measured";
    return choice;
  }
  const SampleSummary base = summarize(baseline.samples_s);
  choice.baseline_median_s = base.median;
  choice.baseline_ci_low_s = base.median_ci.interval.low;
  choice.baseline_ci_high_s = base.median_ci.interval.high;
  if (baseline.params == best->params) {
    choice.gain = choice.gain_ci_low = choice.gain_ci_high = 0.0;
    choice.verdict = "the baseline itself";
    return choice;
  }
  // relative_difference = median(chosen) / median(baseline) - 1: the gain is its opposite.
  const Comparison comparison = compare(baseline.samples_s, best->samples_s, options);
  choice.gain = -comparison.relative_difference;
  choice.gain_ci_low = -comparison.relative_difference_ci.high;
  choice.gain_ci_high = -comparison.relative_difference_ci.low;
  choice.verdict = to_string(comparison.verdict);
  return choice;
}

}  // namespace commtune::tuner::sweep_detail
