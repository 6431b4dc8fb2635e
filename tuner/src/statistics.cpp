#include "commtune/tuner/statistics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <stdexcept>

namespace commtune::tuner {
namespace {

std::vector<double> sorted_copy(std::span<const double> samples) {
  std::vector<double> sorted(samples.begin(), samples.end());
  std::sort(sorted.begin(), sorted.end());
  return sorted;
}

double median_of_sorted(const std::vector<double>& sorted) {
  const std::size_t n = sorted.size();
  if (n == 0) return 0;
  return n % 2 == 1 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
}

// Median in place (reorders `values`); used by the bootstrap, where a full sort per resample
// would dominate.
double median_in_place(std::vector<double>& values) {
  const std::size_t n = values.size();
  if (n == 0) return 0;
  const auto middle = values.begin() + static_cast<std::ptrdiff_t>(n / 2);
  std::nth_element(values.begin(), middle, values.end());
  if (n % 2 == 1) return *middle;
  return 0.5 * (*middle + *std::max_element(values.begin(), middle));
}

// log of the binomial(n, 1/2) probability of k.
double log_binomial_half(std::size_t n, std::size_t k) {
  return std::lgamma(double(n) + 1) - std::lgamma(double(k) + 1) - std::lgamma(double(n - k) + 1) -
         double(n) * std::log(2.0);
}

// Exact two-sided p-value of U for samples of sizes m and n without ties: the null distribution
// of the rank sum of the first sample, counted over all C(m+n, m) equally likely rank sets.
double exact_mann_whitney_p(std::size_t m, std::size_t n, double u) {
  const std::size_t total = m + n;
  const std::size_t max_sum = total * (total + 1) / 2;
  // ways[k][s]: subsets of size k of the ranks seen so far with rank sum s.
  std::vector<std::vector<double>> ways(m + 1, std::vector<double>(max_sum + 1, 0.0));
  ways[0][0] = 1;
  for (std::size_t rank = 1; rank <= total; ++rank) {
    for (std::size_t k = std::min(rank, m); k >= 1; --k) {
      for (std::size_t s = max_sum; s >= rank; --s) ways[k][s] += ways[k - 1][s - rank];
    }
  }
  const double offset = double(m * (m + 1) / 2);  // U = rank sum - m(m+1)/2
  double all = 0, at_most = 0, at_least = 0;
  for (std::size_t s = 0; s <= max_sum; ++s) {
    const double count = ways[m][s];
    if (count == 0) continue;
    const double u_s = double(s) - offset;
    all += count;
    if (u_s <= u + 1e-9) at_most += count;
    if (u_s >= u - 1e-9) at_least += count;
  }
  return std::min(1.0, 2.0 * std::min(at_most, at_least) / all);
}

double percentile_of_sorted(const std::vector<double>& sorted, double fraction) {
  if (sorted.empty()) return 0;
  const double position = fraction * double(sorted.size() - 1);
  const auto below = static_cast<std::size_t>(std::floor(position));
  const std::size_t above = std::min(below + 1, sorted.size() - 1);
  return sorted[below] + (position - double(below)) * (sorted[above] - sorted[below]);
}

Interval bootstrap_relative_difference(std::span<const double> a, std::span<const double> b,
                                       const CompareOptions& options) {
  // std::uniform_int_distribution is not specified bit-for-bit across standard libraries: the
  // interval is reproducible for one build, not across compilers.
  std::mt19937_64 generator(options.seed);
  std::uniform_int_distribution<std::size_t> pick_a(0, a.size() - 1), pick_b(0, b.size() - 1);
  std::vector<double> resample_a(a.size()), resample_b(b.size()), differences;
  differences.reserve(options.bootstrap_resamples);
  for (std::size_t r = 0; r < options.bootstrap_resamples; ++r) {
    for (double& x : resample_a) x = a[pick_a(generator)];
    for (double& x : resample_b) x = b[pick_b(generator)];
    const double median_a = median_in_place(resample_a);
    if (median_a == 0) continue;
    differences.push_back(median_in_place(resample_b) / median_a - 1);
  }
  std::sort(differences.begin(), differences.end());
  return {percentile_of_sorted(differences, 0.025), percentile_of_sorted(differences, 0.975)};
}

std::string percent(double fraction) { return fmt::format("{:+.2f} %", 100 * fraction); }

}  // namespace

double median(std::span<const double> samples) { return median_of_sorted(sorted_copy(samples)); }

MedianInterval median_interval(std::span<const double> samples, double confidence) {
  if (confidence <= 0 || confidence >= 1) {
    throw std::invalid_argument(fmt::format("median_interval: confidence {} is not in (0, 1)", confidence));
  }
  const std::vector<double> sorted = sorted_copy(samples);
  const std::size_t n = sorted.size();
  MedianInterval result;
  if (n == 0) return result;
  // The interval [x(j), x(n-j+1)] misses the median when fewer than j samples lie below it or
  // fewer than j above: coverage = 1 - 2 P(B <= j-1), B ~ binomial(n, 1/2).
  std::size_t rank = 1;
  double tail = std::exp(log_binomial_half(n, 0));  // P(B <= rank - 1)
  for (std::size_t j = 2; j <= (n + 1) / 2; ++j) {
    const double wider_tail = tail + std::exp(log_binomial_half(n, j - 1));
    if (1 - 2 * wider_tail < confidence) break;
    rank = j;
    tail = wider_tail;
  }
  result.coverage = 1 - 2 * tail;
  result.lower_rank = rank;
  result.upper_rank = n - rank + 1;
  result.interval = {sorted[rank - 1], sorted[n - rank]};
  return result;
}

std::vector<std::size_t> outlier_indices(std::span<const double> samples, double mad_factor) {
  const double center = median(samples);
  std::vector<double> deviations;
  deviations.reserve(samples.size());
  for (double x : samples) deviations.push_back(std::fabs(x - center));
  const double scaled_mad = 1.4826 * median(deviations);
  std::vector<std::size_t> flagged;
  if (scaled_mad == 0) return flagged;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    if (std::fabs(samples[i] - center) > mad_factor * scaled_mad) flagged.push_back(i);
  }
  return flagged;
}

SampleSummary summarize(std::span<const double> samples) {
  SampleSummary summary;
  summary.count = samples.size();
  if (samples.empty()) return summary;
  const auto [min_it, max_it] = std::minmax_element(samples.begin(), samples.end());
  summary.min = *min_it;
  summary.max = *max_it;
  summary.median = median(samples);
  summary.median_ci = median_interval(samples);
  summary.mean = std::accumulate(samples.begin(), samples.end(), 0.0) / double(samples.size());
  if (samples.size() > 1) {
    double squares = 0;
    for (double x : samples) squares += (x - summary.mean) * (x - summary.mean);
    summary.stddev = std::sqrt(squares / double(samples.size() - 1));
  }
  summary.cv = summary.mean != 0 ? summary.stddev / summary.mean : 0;
  summary.outliers = outlier_indices(samples);
  return summary;
}

MannWhitneyResult mann_whitney_u(std::span<const double> a, std::span<const double> b) {
  MannWhitneyResult result;
  const std::size_t n_a = a.size(), n_b = b.size();
  if (n_a == 0 || n_b == 0) return result;
  // Ranks of the pooled samples, ties given their average rank.
  std::vector<std::pair<double, bool>> pooled;  // value, from a
  for (double x : a) pooled.emplace_back(x, true);
  for (double y : b) pooled.emplace_back(y, false);
  std::sort(pooled.begin(), pooled.end());
  const std::size_t total = pooled.size();
  double rank_sum_a = 0, tie_term = 0;  // tie_term: sum of t^3 - t over groups of t equal values
  for (std::size_t first = 0; first < total;) {
    std::size_t last = first;
    while (last + 1 < total && pooled[last + 1].first == pooled[first].first) ++last;
    const double average_rank = 0.5 * double(first + last) + 1;
    const double t = double(last - first + 1);
    tie_term += t * t * t - t;
    for (std::size_t i = first; i <= last; ++i) {
      if (pooled[i].second) rank_sum_a += average_rank;
    }
    first = last + 1;
  }
  result.u_a = rank_sum_a - double(n_a * (n_a + 1)) / 2;
  result.u_b = double(n_a * n_b) - result.u_a;
  if (tie_term == 0 && n_a <= MannWhitneyResult::kExactMaxSize && n_b <= MannWhitneyResult::kExactMaxSize) {
    result.exact = true;
    result.p_value = exact_mann_whitney_p(n_a, n_b, result.u_a);
    return result;
  }
  const double mean_u = double(n_a * n_b) / 2;
  const double variance =
      double(n_a * n_b) / 12 * ((double(total) + 1) - tie_term / (double(total) * (double(total) - 1)));
  if (variance <= 0) return result;  // every value equal: no evidence of a difference, p = 1
  const double z = std::max(0.0, std::fabs(result.u_a - mean_u) - 0.5) / std::sqrt(variance);
  result.p_value = std::min(1.0, std::erfc(z / std::sqrt(2.0)));
  return result;
}

std::string to_string(Verdict verdict) {
  switch (verdict) {
    case Verdict::Faster:
      return "faster";
    case Verdict::Slower:
      return "slower";
    case Verdict::NoSignificantDifference:
      return "no significant difference";
  }
  return "unknown";
}

Comparison compare(std::span<const double> a, std::span<const double> b, const CompareOptions& options) {
  if (a.empty() || b.empty()) {
    throw std::invalid_argument(
        fmt::format("compare: sample a has {} values and b has {}; both need at least one", a.size(), b.size()));
  }
  Comparison result;
  const double median_a = median(a);
  if (median_a == 0) throw std::invalid_argument("compare: the median of sample a is 0; no relative difference");
  result.relative_difference = median(b) / median_a - 1;
  result.relative_difference_ci = bootstrap_relative_difference(a, b, options);
  result.test = mann_whitney_u(a, b);
  result.few_samples = std::min(a.size(), b.size()) < Comparison::kFewSamples;
  const Interval& ci = result.relative_difference_ci;
  if (result.test.p_value >= options.alpha) {
    result.reason = fmt::format("Mann-Whitney p = {:.3g} >= alpha {}", result.test.p_value, options.alpha);
  } else if (std::fabs(result.relative_difference) < options.practical_threshold) {
    result.reason = fmt::format("|{}| is below the practical threshold {}", percent(result.relative_difference),
                                percent(options.practical_threshold));
  } else if (ci.low <= 0 && ci.high >= 0) {
    result.reason = fmt::format("the bootstrap interval [{}, {}] contains 0", percent(ci.low), percent(ci.high));
  } else {
    result.verdict = result.relative_difference < 0 ? Verdict::Faster : Verdict::Slower;
    result.reason = fmt::format("{} [{}, {}], p = {:.3g}", percent(result.relative_difference), percent(ci.low),
                                percent(ci.high), result.test.p_value);
  }
  return result;
}

std::string to_string(StopReason reason) {
  switch (reason) {
    case StopReason::NotYet:
      return "not yet";
    case StopReason::TargetReached:
      return "confidence target reached";
    case StopReason::SampleCap:
      return "sample cap reached";
    case StopReason::TimeCap:
      return "time cap reached";
  }
  return "unknown";
}

SampleDecision decide_sampling(const SampleTarget& target, std::span<const double> samples_s, double elapsed_s) {
  SampleDecision decision;
  const std::size_t n = samples_s.size();
  const MedianInterval ci = median_interval(samples_s);
  const double center = median(samples_s);
  decision.ci_half_width_fraction =
      center > 0 ? std::max(center - ci.interval.low, ci.interval.high - center) / center : 0;
  if (n >= target.max_samples) {
    decision.reason = StopReason::SampleCap;
  } else if (elapsed_s >= target.max_time_s) {
    decision.reason = StopReason::TimeCap;
  } else if (n >= target.min_samples && elapsed_s >= target.min_time_s && ci.coverage >= 0.95 &&
             decision.ci_half_width_fraction <= target.ci_half_width_fraction) {
    decision.reason = StopReason::TargetReached;
  }
  if (decision.done()) return decision;
  if (n == 0 || elapsed_s <= 0) {
    decision.more_samples = target.min_samples > n ? target.min_samples - n : 1;
    return decision;
  }
  // Like google/benchmark: aim 40 % past the minimum time; the CI half-width shrinks as 1/sqrt(n),
  // so reaching the target needs about n (width / target)^2 samples. Never grow more than 10x at once.
  const double per_sample_s = elapsed_s / double(n);
  double wanted = double(std::max(n + 1, target.min_samples));
  if (elapsed_s < target.min_time_s) wanted = std::max(wanted, 1.4 * target.min_time_s / per_sample_s);
  if (decision.ci_half_width_fraction > target.ci_half_width_fraction && target.ci_half_width_fraction > 0) {
    const double ratio = decision.ci_half_width_fraction / target.ci_half_width_fraction;
    wanted = std::max(wanted, 1.2 * double(n) * ratio * ratio);
  }
  wanted = std::min({wanted, 10.0 * double(n), double(target.max_samples)});
  wanted = std::min(wanted, double(n) + std::max(1.0, (target.max_time_s - elapsed_s) / per_sample_s));
  decision.more_samples = std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(wanted)) - n);
  return decision;
}

}  // namespace commtune::tuner
