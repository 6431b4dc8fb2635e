// Statistics of timing samples (tuner/statistics.hpp) against values worked out by hand in the
// comments, and seeded synthetic samples for the comparison and the sampling rule.
#include "commtune/tuner/statistics.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

namespace commtune::tuner {
namespace {

std::vector<double> noisy_samples(std::size_t count, double center, double relative_noise, std::uint64_t seed) {
  std::mt19937_64 generator(seed);
  std::normal_distribution<double> noise(0.0, relative_noise);
  std::vector<double> samples;
  for (std::size_t i = 0; i < count; ++i) samples.push_back(center * (1 + std::fabs(noise(generator))));
  return samples;
}

TEST(MedianInterval, TenSamplesUseRanksTwoAndNine) {
  // n = 10: P(B <= 1) = 11/1024, coverage 1 - 22/1024 = 0.9785; rank 3 would give 1 - 112/1024 = 0.89.
  const std::vector<double> samples{7, 3, 10, 1, 9, 2, 8, 4, 6, 5};
  const MedianInterval ci = median_interval(samples);
  EXPECT_EQ(ci.lower_rank, 2u);
  EXPECT_EQ(ci.upper_rank, 9u);
  EXPECT_DOUBLE_EQ(ci.interval.low, 2);
  EXPECT_DOUBLE_EQ(ci.interval.high, 9);
  EXPECT_NEAR(ci.coverage, 1 - 22.0 / 1024, 1e-12);
  EXPECT_DOUBLE_EQ(median(samples), 5.5);
}

TEST(MedianInterval, TwentySamplesUseRanksSixAndFifteen) {
  // n = 20: P(B <= 5) = (1 + 20 + 190 + 1140 + 4845 + 15504) / 2^20 = 21700 / 1048576.
  std::vector<double> samples;
  for (int i = 20; i >= 1; --i) samples.push_back(i * 0.5);
  const MedianInterval ci = median_interval(samples);
  EXPECT_EQ(ci.lower_rank, 6u);
  EXPECT_EQ(ci.upper_rank, 15u);
  EXPECT_DOUBLE_EQ(ci.interval.low, 3.0);
  EXPECT_DOUBLE_EQ(ci.interval.high, 7.5);
  EXPECT_NEAR(ci.coverage, 1 - 2 * 21700.0 / 1048576, 1e-12);
}

TEST(MedianInterval, FewSamplesGiveTheRangeWithItsTrueCoverage) {
  // n = 5: even [min, max] misses the median with probability 2/32.
  const MedianInterval ci = median_interval(std::vector<double>{4, 1, 5, 2, 3});
  EXPECT_DOUBLE_EQ(ci.interval.low, 1);
  EXPECT_DOUBLE_EQ(ci.interval.high, 5);
  EXPECT_NEAR(ci.coverage, 1 - 2.0 / 32, 1e-12);
  EXPECT_LT(ci.coverage, 0.95);
  EXPECT_EQ(median_interval(std::vector<double>{}).lower_rank, 0u);
}

TEST(Summary, FlagsTheOutlierAndKeepsEverySample) {
  std::vector<double> samples{1.00, 1.01, 1.02, 1.03, 1.04, 1.05, 1.06, 1.07, 1.08, 5.0};
  const SampleSummary summary = summarize(samples);
  EXPECT_EQ(summary.count, 10u);
  ASSERT_EQ(summary.outliers.size(), 1u);
  EXPECT_EQ(summary.outliers[0], 9u);
  EXPECT_DOUBLE_EQ(summary.min, 1.0);
  EXPECT_DOUBLE_EQ(summary.max, 5.0);
  EXPECT_NEAR(summary.mean, (9.36 + 5.0) / 10, 1e-12);  // the outlier is still in the mean
  EXPECT_DOUBLE_EQ(summary.median, 1.045);
  EXPECT_TRUE(summary.noisy());
  // More than half equal: MAD is 0, no scale, nothing flagged.
  EXPECT_TRUE(outlier_indices(std::vector<double>{2, 2, 2, 2, 9}).empty());
}

TEST(MannWhitney, ExactSmallSamples) {
  // No overlap, 3 + 3 values: U = 0, P(U <= 0) = 1 / C(6, 3) = 1/20, two-sided p = 0.1.
  const MannWhitneyResult separated = mann_whitney_u(std::vector<double>{1, 2, 3}, std::vector<double>{4, 5, 6});
  EXPECT_TRUE(separated.exact);
  EXPECT_DOUBLE_EQ(separated.u_a, 0);
  EXPECT_DOUBLE_EQ(separated.u_b, 9);
  EXPECT_NEAR(separated.p_value, 0.1, 1e-12);
  // a = {1, 3, 5}, b = {2, 4, 6}: U_a = 3 (3 > 2, 5 > 2, 5 > 4). Counts of U = 0..9 over the 20
  // rank sets: 1 1 2 3 3 3 3 2 1 1, so P(U <= 3) = 7/20 and p = 0.7.
  const MannWhitneyResult interleaved = mann_whitney_u(std::vector<double>{1, 3, 5}, std::vector<double>{2, 4, 6});
  EXPECT_DOUBLE_EQ(interleaved.u_a, 3);
  EXPECT_NEAR(interleaved.p_value, 0.7, 1e-12);
}

TEST(MannWhitney, NormalApproximationWithTies) {
  // Pooled ranks: 1->1, the three 2s -> 3, 3->5, the two 4s -> 6.5, 5..9 -> 8..12, 10..15 -> 13..18.
  // R_a = 1 + 3 + 3 + 5 + 8 + 9 + 10 + 11 + 12 = 62, U_a = 62 - 9*10/2 = 17, mean 81/2 = 40.5.
  // Ties: (27 - 3) + (8 - 2) = 30; var = 81/12 (19 - 30 / (18*17)) = 127.5882;
  // z = (23.5 - 0.5) / sqrt(var) = 2.03621; p = erfc(z / sqrt 2) = 0.041729.
  const std::vector<double> a{1, 2, 2, 3, 5, 6, 7, 8, 9};
  const std::vector<double> b{2, 4, 4, 10, 11, 12, 13, 14, 15};
  const MannWhitneyResult result = mann_whitney_u(a, b);
  EXPECT_FALSE(result.exact);
  EXPECT_DOUBLE_EQ(result.u_a, 17);
  EXPECT_NEAR(result.p_value, 0.041729, 1e-5);
  // The test is symmetric: swapping the samples swaps U and keeps p.
  const MannWhitneyResult swapped = mann_whitney_u(b, a);
  EXPECT_DOUBLE_EQ(swapped.u_a, 64);
  EXPECT_NEAR(swapped.p_value, result.p_value, 1e-12);
  EXPECT_DOUBLE_EQ(mann_whitney_u(std::vector<double>{3, 3, 3}, std::vector<double>{3, 3, 3}).p_value, 1.0);
}

TEST(Compare, DetectsATenPercentShift) {
  const std::vector<double> a = noisy_samples(40, 1.0e-3, 0.03, 11);
  const std::vector<double> slower = noisy_samples(40, 1.1e-3, 0.03, 12);
  const Comparison comparison = compare(a, slower);
  EXPECT_EQ(comparison.verdict, Verdict::Slower) << comparison.reason;
  EXPECT_NEAR(comparison.relative_difference, 0.10, 0.03);
  EXPECT_GT(comparison.relative_difference_ci.low, 0.0);
  EXPECT_LT(comparison.test.p_value, 0.001);
  EXPECT_EQ(compare(slower, a).verdict, Verdict::Faster);
  EXPECT_FALSE(comparison.few_samples);
  EXPECT_TRUE(compare(std::vector<double>(a.begin(), a.begin() + 8), slower).few_samples);
  // The bootstrap is seeded: the same inputs give the same interval.
  EXPECT_DOUBLE_EQ(compare(a, slower).relative_difference_ci.low, comparison.relative_difference_ci.low);
}

TEST(Compare, IdenticalDistributionsAreNotDifferent) {
  for (std::uint64_t seed = 100; seed < 120; ++seed) {
    const Comparison comparison =
        compare(noisy_samples(40, 1.0e-3, 0.03, seed), noisy_samples(40, 1.0e-3, 0.03, seed + 1000));
    EXPECT_EQ(comparison.verdict, Verdict::NoSignificantDifference) << "seed " << seed << ": " << comparison.reason;
  }
}

TEST(Compare, SignificantButBelowThePracticalThresholdIsNoDifference) {
  // A 1 % shift on nearly noiseless samples is significant but below a 2 % threshold.
  const std::vector<double> a = noisy_samples(50, 1.0, 0.001, 3);
  const std::vector<double> b = noisy_samples(50, 1.01, 0.001, 4);
  const Comparison comparison = compare(a, b, {.practical_threshold = 0.02});
  EXPECT_LT(comparison.test.p_value, 0.05);
  EXPECT_EQ(comparison.verdict, Verdict::NoSignificantDifference);
  EXPECT_NE(comparison.reason.find("practical threshold"), std::string::npos) << comparison.reason;
  EXPECT_EQ(compare(a, b, {.practical_threshold = 0.005}).verdict, Verdict::Slower);
  EXPECT_THROW(compare(std::vector<double>{}, b), std::invalid_argument);
}

TEST(SampleTarget, StopsWhenTheIntervalIsTight) {
  const SampleTarget target{.min_time_s = 0.1, .min_samples = 10, .ci_half_width_fraction = 0.02};
  const std::vector<double> tight = noisy_samples(50, 0.01, 0.002, 5);
  EXPECT_EQ(decide_sampling(target, tight, 0.5).reason, StopReason::TargetReached);
  // Tight but not yet the minimum time: take enough samples for 1.4 x the remaining time.
  const SampleDecision early = decide_sampling(target, tight, 0.05);
  EXPECT_EQ(early.reason, StopReason::NotYet);
  EXPECT_GE(early.more_samples, 90u);
  EXPECT_LE(early.more_samples, 450u);  // growth capped at 10x
}

TEST(SampleTarget, NoisySamplesAskForMoreUntilACap) {
  const SampleTarget target{
      .min_time_s = 0.1, .min_samples = 10, .ci_half_width_fraction = 0.02, .max_samples = 1000, .max_time_s = 10};
  const std::vector<double> noisy = noisy_samples(20, 0.01, 0.5, 6);
  const SampleDecision decision = decide_sampling(target, noisy, 1.0);
  EXPECT_EQ(decision.reason, StopReason::NotYet);
  EXPECT_GT(decision.ci_half_width_fraction, 0.02);
  EXPECT_GT(decision.more_samples, 20u);
  EXPECT_EQ(decide_sampling(target, noisy, 10.0).reason, StopReason::TimeCap);
  EXPECT_EQ(decide_sampling(target, noisy_samples(1000, 0.01, 0.5, 7), 1.0).reason, StopReason::SampleCap);
  EXPECT_EQ(decide_sampling(target, std::vector<double>{}, 0).more_samples, 10u);
}

TEST(SampleTarget, AGrowingMeasurementEndsAtTheTarget) {
  // Measuring as a runner would: take what the rule asks for, one simulated 1 ms iteration each
  // (5 % half-normal jitter), until it says stop.
  const SampleTarget target{.min_time_s = 0.05, .min_samples = 10, .ci_half_width_fraction = 0.01};
  std::mt19937_64 generator(8);
  std::normal_distribution<double> jitter(0.0, 0.05);
  std::vector<double> samples_s;
  double elapsed_s = 0;
  int rounds = 0;
  for (SampleDecision decision = decide_sampling(target, samples_s, elapsed_s); !decision.done();
       decision = decide_sampling(target, samples_s, elapsed_s)) {
    ++rounds;
    for (std::size_t i = 0; i < decision.more_samples; ++i) {
      samples_s.push_back(1e-3 * (1 + std::fabs(jitter(generator))));
      elapsed_s += samples_s.back();
    }
    ASSERT_LT(rounds, 20) << "the rule keeps asking for more";
  }
  const SampleDecision final_decision = decide_sampling(target, samples_s, elapsed_s);
  EXPECT_EQ(final_decision.reason, StopReason::TargetReached);
  EXPECT_LE(final_decision.ci_half_width_fraction, 0.01);
  EXPECT_GE(elapsed_s, 0.05);
  EXPECT_LE(rounds, 6);
}

}  // namespace
}  // namespace commtune::tuner
