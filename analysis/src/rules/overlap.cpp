// Overlap: a point-to-point exchange whose transfer the rank sits through (blocking calls, or
// nonblocking ones waited for at once) while it computes between exchanges. Posted early and
// progressed by polling between chunks of that computation, the transfer hides as much as the
// overlap kernel managed on this hardware. Assumes the computation does not need the exchanged data:
// the summary says so.
#include <fmt/core.h>

#include <algorithm>
#include <cmath>

#include "rules/p2p_common.hpp"

namespace commtune::analysis {
namespace {

using namespace rules;

// Nonblocking requests that already overlap more than this are left alone.
constexpr double kLowOverlap = 0.5;
constexpr int kDefaultChunks = 16;

// The transfer time the rank sits through at the site (slowest rank), waiting for partners excluded.
double exposed_transfer_s(const SiteSignature& site, int ranks) {
  if (is_blocking_p2p(site.function)) return time_without_lateness_s(site, ranks);
  if (site.requests && site.requests->overlap_fraction < kLowOverlap && site.calls_per_rank > 0) {
    const double ranks = double(site.calls) / site.calls_per_rank;
    return site.requests->inside_completion_s / std::max(ranks, 1.0);
  }
  return 0;
}

bool has_pattern(const SiteSignature& site, int ranks) {
  return is_point_to_point(site) && site.fraction_of_run >= kMinSiteFraction && site.compute_between_calls_s > 0 &&
         exposed_transfer_s(site, ranks) > 0;
}

Recommendation recommend_site(const AnalysisInput& input, const SiteSignature& site) {
  const double wall_s = input.signature.wall_time_s;
  const double exposed_s = exposed_transfer_s(site, input.signature.ranks);
  const double compute_s = site.compute_between_calls_s * site.calls_per_rank;
  const double hideable_s = std::min(exposed_s, compute_s);

  Recommendation out = site_recommendation(site, Technique::Overlap, "");  // the component depends on the model
  const std::string source = profile_source(site);
  out.evidence.push_back({"transfer time the rank sits through, slowest rank", exposed_s, "s",
                          is_blocking_p2p(site.function) ? source + " (time - waiting for late partners)"
                                                         : source + " requests inside_completion_s / ranks"});
  if (site.requests)
    out.evidence.push_back(
        {"request overlap fraction", site.requests->overlap_fraction, "ratio", source + " requests"});
  out.evidence.push_back({"computation between calls", site.compute_between_calls_s, "s",
                          site.compute_from_trace ? "trace (median gap on a rank)"
                                                  : "profile (application time / calls per rank, an estimate)"});
  out.evidence.push_back({"messages per rank", site.calls_per_rank, "calls", source});

  const OverlapModel* overlap = overlap_for(input.models, "p2p", site.mean_message_bytes);
  const int chunks = overlap && overlap->chunks > 0 ? overlap->chunks : kDefaultChunks;
  const bool thread = overlap && overlap->progress_thread;
  out.apply.component = thread ? "commtune::kernels::ProgressThread" : "commtune::kernels::compute_while_polling";
  out.parameters = {{"chunks", std::to_string(chunks)},
                    {"polling", thread ? "progress thread" : "MPI_Testall between chunks"}};
  out.apply.settings = {{"chunks", std::to_string(chunks)}};
  if (overlap == nullptr) {
    out.gain = unknown_gain(hideable_s, wall_s);
    out.parameters["note"] = "no overlap model for point-to-point";
    keep_as_is(out, "overlapping communication with computation", site,
               "there is no overlap model for point-to-point to predict how much of the transfer would hide");
    return out;
  }
  const double measurement = measurement_error_95(site, input.signature.ranks);
  const double predicted_s = hideable_s * overlap->achievable_fraction;
  const double low_s = hideable_s * overlap->ci_low * (1 - measurement);
  const double high_s = hideable_s * overlap->ci_high * (1 + measurement);
  out.gain = bounded_gain(exposed_s, predicted_s, low_s, high_s, wall_s);
  out.evidence.push_back(
      {fmt::format("achievable overlap of point-to-point at {} bytes (model)", overlap->message_bytes),
       overlap->achievable_fraction, "ratio",
       fmt::format("{}: {} points, best with {} chunks", input.models.source, overlap->points, overlap->chunks)});
  if (out.gain.significant) {
    out.title = fmt::format("Overlap {} with the computation between calls ({} chunks, {})", where(site), chunks,
                            thread ? "progress thread" : "polling");
    out.apply.summary = fmt::format(
        "Post the exchange at {} with MPI_Isend/MPI_Irecv before the computation that does not need its data, split "
        "that computation into {} chunks and run it with compute_while_polling (MPI_Testall between chunks){}.",
        site.location, chunks, thread ? ", or keep the requests moving with a ProgressThread" : "");
  } else {
    keep_as_is(
        out, "overlapping communication with computation", site,
        fmt::format("hiding its transfer predicts {} of the run, an interval whose low end is below {} of the run",
                    percent(out.gain.fraction_of_run), percent(kPracticalFraction)));
  }
  return out;
}

}  // namespace

std::vector<Recommendation> recommend_overlap(const AnalysisInput& input) {
  std::vector<Recommendation> out;
  for (const auto& site : input.signature.sites)
    if (has_pattern(site, input.signature.ranks)) out.push_back(recommend_site(input, site));
  return out;
}

}  // namespace commtune::analysis
