#include "piecewise_fit.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>

namespace commtune::analysis::models {
namespace {

struct LineFit {
  double latency_s = 0;
  double seconds_per_byte = 0;
  double relative_rss = 0;  // sum of squared relative residuals
};

double relative_rss(const std::vector<SizeTime>& points, std::size_t begin, std::size_t end, double a, double b) {
  double rss = 0;
  for (std::size_t i = begin; i < end; ++i) {
    const double r = (a + b * double(points[i].bytes)) / points[i].seconds - 1;
    rss += r * r;
  }
  return rss;
}

// Minimises sum ((a + b x_i) / y_i - 1)^2 over points [begin, end) with a, b >= 0: relative
// residuals, because the times span four orders of magnitude and a plain fit would ignore the
// small messages. Sizes are scaled to the segment's largest so the normal equations stay tame.
LineFit fit_line(const std::vector<SizeTime>& points, std::size_t begin, std::size_t end) {
  const std::size_t n = end - begin;
  double x_scale = 1;
  for (std::size_t i = begin; i < end; ++i) x_scale = std::max(x_scale, double(points[i].bytes));
  Eigen::MatrixXd design(n, 2);
  Eigen::VectorXd ones = Eigen::VectorXd::Ones(Eigen::Index(n));
  for (std::size_t i = 0; i < n; ++i) {
    const SizeTime& p = points[begin + i];
    design(Eigen::Index(i), 0) = 1 / p.seconds;
    design(Eigen::Index(i), 1) = double(p.bytes) / x_scale / p.seconds;
  }
  Eigen::Vector2d solution = design.colPivHouseholderQr().solve(ones);
  double a = solution(0);
  double b = solution(1) / x_scale;
  // A negative latency or slope is noise around zero: refit with that coefficient held at 0.
  if (a < 0 || !std::isfinite(a)) {
    const Eigen::VectorXd column = design.col(1);
    const double norm = column.squaredNorm();
    a = 0;
    b = norm > 0 ? column.sum() / norm / x_scale : 0;
  }
  if (b < 0 || !std::isfinite(b)) {
    const Eigen::VectorXd column = design.col(0);
    a = column.sum() / column.squaredNorm();
    b = 0;
  }
  return {a, b, relative_rss(points, begin, end, a, b)};
}

// Breakpoints are indices into the sorted points where a segment starts; they must fall between
// two different sizes, and leave every segment at least `min_points`.
bool valid_cut(const std::vector<SizeTime>& points, std::size_t cut) {
  return cut > 0 && cut < points.size() && points[cut - 1].bytes != points[cut].bytes;
}

struct Candidate {
  std::vector<std::size_t> starts;  // first index of each segment
  std::vector<LineFit> lines;
  double bic = std::numeric_limits<double>::infinity();
};

Candidate evaluate(const std::vector<SizeTime>& points, std::vector<std::size_t> starts) {
  Candidate candidate;
  candidate.starts = std::move(starts);
  double rss = 0;
  for (std::size_t s = 0; s < candidate.starts.size(); ++s) {
    const std::size_t end = s + 1 < candidate.starts.size() ? candidate.starts[s + 1] : points.size();
    candidate.lines.push_back(fit_line(points, candidate.starts[s], end));
    rss += candidate.lines.back().relative_rss;
  }
  const double n = double(points.size());
  // Two coefficients per segment and one breakpoint between segments. The floor keeps exact
  // (synthetic) data from sending the log to minus infinity: below a 1e-4 relative error per
  // point, more segments cannot buy anything.
  const double parameters = 3.0 * double(candidate.starts.size()) - 1;
  candidate.bic = n * std::log(rss / n + 1e-8) + parameters * std::log(n);
  return candidate;
}

}  // namespace

double seconds_at(const std::vector<LinkSegment>& segments, std::uint64_t bytes) {
  LinkModel model;
  model.segments = segments;
  return model.seconds(bytes);
}

std::vector<LinkSegment> fit_piecewise(std::vector<SizeTime> points, const PiecewiseOptions& options) {
  std::sort(points.begin(), points.end(), [](const SizeTime& a, const SizeTime& b) { return a.bytes < b.bytes; });
  const std::size_t n = points.size();
  if (n == 0) return {};
  const std::size_t min_points = std::size_t(std::max(1, options.min_points_per_segment));
  Candidate best = evaluate(points, {0});
  const auto consider = [&](std::vector<std::size_t> starts) {
    Candidate candidate = evaluate(points, std::move(starts));
    if (candidate.bic < best.bic) best = std::move(candidate);
  };
  for (std::size_t first = min_points; options.max_segments >= 2 && first + min_points <= n; ++first) {
    if (!valid_cut(points, first)) continue;
    consider({0, first});
    for (std::size_t second = first + min_points; options.max_segments >= 3 && second + min_points <= n; ++second) {
      if (valid_cut(points, second)) consider({0, first, second});
    }
  }
  std::vector<LinkSegment> segments;
  for (std::size_t s = 0; s < best.starts.size(); ++s) {
    segments.push_back({.from_bytes = s == 0 ? 0 : points[best.starts[s]].bytes,
                        .latency_s = best.lines[s].latency_s,
                        .seconds_per_byte = best.lines[s].seconds_per_byte});
  }
  return segments;
}

void set_error_quantiles(std::vector<double> errors, FitQuality& quality) {
  quality.held_out = int(errors.size());
  if (errors.empty()) return;
  std::sort(errors.begin(), errors.end());
  const auto quantile = [&errors](double q) {
    const double position = q * double(errors.size() - 1);
    const auto low = std::size_t(std::floor(position));
    const std::size_t high = std::min(errors.size() - 1, low + 1);
    return errors[low] + (position - double(low)) * (errors[high] - errors[low]);
  };
  quality.median_abs_relative_error = quantile(0.5);
  quality.p90_abs_relative_error = quantile(0.9);
}

FitQuality leave_one_out(const std::vector<SizeTime>& points, const PiecewiseOptions& options) {
  FitQuality quality{.points = int(points.size()), .method = "leave-one-out (breakpoints chosen again each time)"};
  if (points.size() < 2) return quality;
  std::vector<double> errors;
  for (std::size_t i = 0; i < points.size(); ++i) {
    std::vector<SizeTime> others = points;
    others.erase(others.begin() + std::ptrdiff_t(i));
    const double predicted = seconds_at(fit_piecewise(others, options), points[i].bytes);
    errors.push_back(std::abs(predicted / points[i].seconds - 1));
  }
  set_error_quantiles(std::move(errors), quality);
  return quality;
}

}  // namespace commtune::analysis::models
