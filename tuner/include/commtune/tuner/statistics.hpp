// Statistics of timing samples under noise: every sample kept, summaries that assume no normal
// distribution (median with an order-statistics interval, minimum, CV), outliers flagged but never
// dropped, nonparametric comparison of two configurations, and the rule that decides when a
// measurement has enough samples. Values are in whatever unit the samples are (seconds for the
// kernels' iteration times); nothing here reads a clock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace commtune::tuner {

struct Interval {
  double low = 0;
  double high = 0;
};

// The median's confidence interval [x(j), x(n-j+1)] from the sorted samples, with j the largest
// rank whose binomial(n, 1/2) coverage is still >= `confidence`. `coverage` is the exact coverage
// achieved; below 6 samples no pair of order statistics reaches 95 %, so the interval is
// [min, max] and coverage < confidence.
struct MedianInterval {
  Interval interval;
  double coverage = 0;
  std::size_t lower_rank = 0;  // j, 1-based; 0 when there are no samples
  std::size_t upper_rank = 0;  // n - j + 1
};
MedianInterval median_interval(std::span<const double> samples, double confidence = 0.95);

double median(std::span<const double> samples);  // 0 when empty

// Indices of the samples farther than `mad_factor` scaled median absolute deviations
// (1.4826 x MAD, which estimates the standard deviation of normal data) from the median. When
// MAD is 0 (more than half the samples equal) no scale exists and nothing is flagged.
std::vector<std::size_t> outlier_indices(std::span<const double> samples, double mad_factor = 3.0);

struct SampleSummary {
  std::size_t count = 0;
  double median = 0;
  MedianInterval median_ci;  // 95 %
  double min = 0;
  double max = 0;
  double mean = 0;
  double stddev = 0;                  // sample standard deviation (n - 1)
  double cv = 0;                      // stddev / mean; 0 when the mean is 0
  std::vector<std::size_t> outliers;  // indices into the samples, see outlier_indices()
  bool noisy() const { return cv > kNoisyCv; }
  static constexpr double kNoisyCv = 0.10;  // TUNING-FACTS: CV flagged above ~10 %
};
SampleSummary summarize(std::span<const double> samples);

// Two-sided Mann-Whitney U test of "a and b come from the same distribution". Exact null
// distribution when both samples have at most kExactMaxSize values and there are no ties;
// otherwise the normal approximation with tie correction and continuity correction.
struct MannWhitneyResult {
  double u_a = 0;  // U of sample a: pairs (x in a, y in b) with x > y, ties counting 1/2
  double u_b = 0;  // n_a * n_b - u_a
  double p_value = 1;
  bool exact = false;
  static constexpr std::size_t kExactMaxSize = 8;
};
MannWhitneyResult mann_whitney_u(std::span<const double> a, std::span<const double> b);

enum class Verdict { Faster, Slower, NoSignificantDifference };
std::string to_string(Verdict verdict);  // "faster", "slower", "no significant difference"

struct CompareOptions {
  double practical_threshold = 0.02;  // relative change of the median below which nobody cares
  double alpha = 0.05;                // significance level of the Mann-Whitney test
  std::size_t bootstrap_resamples = 2000;
  std::uint64_t seed = 1;  // of the bootstrap; the same inputs and seed give the same interval
};

// Is `b` faster or slower than `a`? relative_difference = median(b) / median(a) - 1 (negative:
// b is faster). The verdict is Faster or Slower only when the test is significant, |relative
// difference| >= the practical threshold, and the bootstrap interval of the relative difference
// excludes 0; `reason` says which condition failed otherwise.
struct Comparison {
  Verdict verdict = Verdict::NoSignificantDifference;
  double relative_difference = 0;
  Interval relative_difference_ci;  // 95 % percentile bootstrap
  MannWhitneyResult test;
  std::string reason;
  // Fewer than kFewSamples values on either side: the test has little power (google/benchmark's
  // compare tool warns below 9 repetitions). The verdict stands; a report should say so.
  bool few_samples = false;
  static constexpr std::size_t kFewSamples = 9;
};
Comparison compare(std::span<const double> a, std::span<const double> b, const CompareOptions& options = {});

// When to stop adding samples to one measurement (google/benchmark's runner grows its iteration
// count until a minimum time; we also wait for a confidence target, as Hoefler and Belli advise).
struct SampleTarget {
  double min_time_s = 0.2;               // measure at least this long in total
  std::size_t min_samples = 10;          // and at least this many samples
  double ci_half_width_fraction = 0.02;  // stop once the median's 95 % CI half-width <= this x median
  std::size_t max_samples = 10000;       // caps: stop here even without the target
  double max_time_s = 30;
};

enum class StopReason { NotYet, TargetReached, SampleCap, TimeCap };
std::string to_string(StopReason reason);

struct SampleDecision {
  StopReason reason = StopReason::NotYet;
  bool done() const { return reason != StopReason::NotYet; }
  std::size_t more_samples = 0;       // when not done: how many to take next (growth capped at 10x)
  double ci_half_width_fraction = 0;  // the larger side of the median's CI, relative to the median
};
// `samples_s` are all samples so far (seconds); `elapsed_s` the time spent measuring them.
SampleDecision decide_sampling(const SampleTarget& target, std::span<const double> samples_s, double elapsed_s);

}  // namespace commtune::tuner
