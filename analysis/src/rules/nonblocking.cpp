// Nonblocking point-to-point: blocking sends and receives that wait for a late partner (late
// sender / late receiver wait states). Posted early, through a window of requests, the waiting can
// pass behind the computation between calls, as much as the overlap kernel managed on this
// hardware for messages of that size.
#include <fmt/core.h>

#include <algorithm>
#include <cmath>

#include "rules/p2p_common.hpp"

namespace commtune::analysis {
namespace {

using namespace rules;

bool has_pattern(const SiteSignature& site, int ranks) {
  return is_point_to_point(site) && is_blocking_p2p(site.function) && site.fraction_of_run >= kMinSiteFraction &&
         site.wait && (site.wait->kind == "late_sender" || site.wait->kind == "late_receiver") &&
         late_partner_wait_s(site, ranks) > 0;
}

// Requests in flight: one receive and one send per peer, at least two.
int window_for(const SiteSignature& site) { return std::clamp(2 * std::max(site.distinct_peers, 1), 2, 64); }

Recommendation recommend_site(const AnalysisInput& input, const SiteSignature& site) {
  const double wall_s = input.signature.wall_time_s;
  const double waiting_s = late_partner_wait_s(site, input.signature.ranks);
  // What the waits could hide behind: the computation between this site's calls on one rank.
  const double compute_s = site.compute_between_calls_s * site.calls_per_rank;
  const double hideable_s = std::min(waiting_s, compute_s);
  const int window = window_for(site);

  Recommendation out = site_recommendation(site, Technique::Nonblocking, "commtune::kernels::RequestWindow");
  out.parameters = {{"window", std::to_string(window)}, {"post_receives_first", "true"}};
  out.apply.settings = {{"capacity", std::to_string(window)}};
  const std::string source = profile_source(site);
  out.evidence.push_back({site.wait->kind == "late_sender"
                              ? "late-sender waiting beyond what every rank waits, slowest rank"
                              : "late-receiver waiting beyond what every rank waits, slowest rank",
                          waiting_s, "s", "profile.json wait_states"});
  out.evidence.push_back({"wait instances", double(site.wait->instances), "calls", "profile.json wait_states"});
  out.evidence.push_back({"computation between calls", site.compute_between_calls_s, "s",
                          site.compute_from_trace ? "trace (median gap on a rank)"
                                                  : "profile (application time / calls per rank, an estimate)"});
  out.evidence.push_back({"time at the site, slowest rank", site.time_per_rank_max_s, "s", source});

  const OverlapModel* overlap = overlap_for(input.models, "p2p", site.mean_message_bytes);
  if (overlap == nullptr) {
    out.gain = unknown_gain(waiting_s, wall_s);
    out.parameters["note"] = "no overlap model for point-to-point";
    keep_as_is(out, "nonblocking calls", site,
               "it waits for a late partner, but there is no overlap model for point-to-point to predict how much "
               "of the waiting would pass behind computation");
    return out;
  }
  const double measurement = measurement_error_95(site, input.signature.ranks);
  const double predicted_s = hideable_s * overlap->achievable_fraction;
  const double low_s = hideable_s * overlap->ci_low * (1 - measurement);
  const double high_s = hideable_s * overlap->ci_high * (1 + measurement);
  out.gain = bounded_gain(site.time_per_rank_max_s, predicted_s, low_s, high_s, wall_s);
  out.evidence.push_back(
      {fmt::format("achievable overlap of point-to-point at {} bytes (model)", overlap->message_bytes),
       overlap->achievable_fraction, "ratio", fmt::format("{}: {} points", input.models.source, overlap->points)});
  if (out.gain.significant) {
    out.title = fmt::format("Post {} as nonblocking calls in a window of {} requests", where(site), window);
    out.apply.summary = fmt::format(
        "Replace the blocking calls at {} by MPI_Irecv/MPI_Isend through a RequestWindow of {} (post every receive "
        "first), do the independent computation, then wait: the {} waiting for the partner passes behind it.",
        site.location, window, percent(waiting_s / std::max(wall_s, 1e-12)));
  } else {
    keep_as_is(
        out, "nonblocking calls", site,
        fmt::format("hiding its waiting predicts {} of the run, an interval whose low end is below {} of the run",
                    percent(out.gain.fraction_of_run), percent(kPracticalFraction)));
  }
  return out;
}

}  // namespace

std::vector<Recommendation> recommend_nonblocking(const AnalysisInput& input) {
  std::vector<Recommendation> out;
  for (const auto& site : input.signature.sites)
    if (has_pattern(site, input.signature.ranks)) out.push_back(recommend_site(input, site));
  return out;
}

}  // namespace commtune::analysis
