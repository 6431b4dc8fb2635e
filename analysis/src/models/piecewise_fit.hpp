// The piecewise latency-bandwidth fit behind LinkModel (models.hpp): segments of
// time = latency + bytes x seconds_per_byte, split at breakpoints chosen among the measured sizes.
#pragma once

#include <cstdint>
#include <vector>

#include "commtune/analysis/models.hpp"

namespace commtune::analysis::models {

struct SizeTime {
  std::uint64_t bytes = 0;
  double seconds = 0;  // one message, one way; above 0
};

struct PiecewiseOptions {
  int max_segments = 3;
  int min_points_per_segment = 3;  // so that no segment interpolates its points exactly
};

// Chooses the number of segments (1 .. max_segments) and their breakpoints by the Bayesian
// information criterion on relative residuals, each segment a weighted least-squares line
// (weights 1 / time: every size counts alike, from 0 B to megabytes). Empty without points.
std::vector<LinkSegment> fit_piecewise(std::vector<SizeTime> points, const PiecewiseOptions& options = {});

// Leave-one-out: each point is predicted by a fit of the others, breakpoints chosen again.
FitQuality leave_one_out(const std::vector<SizeTime>& points, const PiecewiseOptions& options = {});

double seconds_at(const std::vector<LinkSegment>& segments, std::uint64_t bytes);

// Median and 90th percentile of |predicted / observed - 1| over `errors` (already relative).
void set_error_quantiles(std::vector<double> errors, FitQuality& quality);

}  // namespace commtune::analysis::models
