// What the point-to-point rules (batching, compression, nonblocking, overlap) share: which link a
// site's messages take, how sure the models and the measurements are, and the gain of a change
// predicted as a fraction of the time measured at a site.
#pragma once

#include <string>
#include <vector>

#include "commtune/analysis/recommend.hpp"

namespace commtune::analysis::rules {

// Sites below this share of the run are not worth a recommendation, not even "keep as is".
inline constexpr double kMinSiteFraction = 0.001;

// Blocking point-to-point functions (a rank waits in them until its part of the transfer is done).
bool is_blocking_p2p(const std::string& function);
// Functions that send a message (blocking or not).
bool is_send(const std::string& function);
bool is_point_to_point(const SiteSignature& site);

// The waiting at a site caused by late partners, on the slowest rank: its wait minus the waiting
// every calling rank shares. A balanced exchange's "waiting" (each rank waits the same for data in
// flight) is the transfer itself, which batching, compression and overlap act on; what the slowest
// rank waits beyond it is lateness, which only nonblocking calls can hide. The shared part is the
// lower bound of the least-waiting rank's wait: total - (callers - 1) x max, at least 0.
double late_partner_wait_s(const SiteSignature& site, int ranks);
// The site's time on its slowest rank without the late partners' part of it.
double time_without_lateness_s(const SiteSignature& site, int ranks);

// The link a site's messages take: inter-node when most of its peer bytes cross nodes (or, peers
// unknown, when the run spans nodes), intra-node otherwise; nullptr when the models have none.
// `name` says which and why.
const LinkModel* link_for(const AnalysisInput& input, const SiteSignature& site, std::string& name);

// The overlap measured for `operation` at the message size nearest `bytes` (by ratio), or nullptr.
const OverlapModel* overlap_for(const HardwareModels& models, const std::string& operation, double bytes);

// 95 % relative error of a model's predictions from its held-out error: the 90th percentile of the
// absolute relative error scaled by 1.96 / 1.645 (normal tails); a description, never tested on
// held-out points, gets kDescriptionError.
inline constexpr double kDescriptionError = 0.25;
double model_error_95(const FitQuality& quality);
// The gain fraction of a change is 1 - after / before with both times from models: its 95 %
// half-width is that of the ratio, ratio x sqrt(after_error^2 + before_error^2) (relative errors,
// taken as independent). The measured time the fraction applies to is the site's, not the models'.
double ratio_half_width(double ratio, double after_error, double before_error);
// 95 % relative half-width of a site's per-rank mean time: 1.96 x cv / sqrt(k) over the k ranks
// that called it (`ranks`: the ranks reported, over which the profile's cv is taken).
double measurement_error_95(const SiteSignature& site, int ranks);

// A gain of `fraction` (in [fraction - fraction_half_width, fraction + fraction_half_width] at 95 %
// from the models) of `site_time_s` (known to `measurement_error` relative at 95 %), bounded by it.
PredictedGain fraction_gain(double site_time_s, double fraction, double fraction_half_width, double measurement_error,
                            double wall_time_s);
// The gain of a rule that found its pattern but lacks a model: nothing predicted, not significant.
PredictedGain unknown_gain(double site_time_s, double wall_time_s);

SiteReference reference(const SiteSignature& site);
// A recommendation of `technique` naming `site`, applied with `component` (empty: decided later).
Recommendation site_recommendation(const SiteSignature& site, Technique technique, std::string component);
std::string where(const SiteSignature& site);           // "MPI_Send at solver.c:212"
std::string profile_source(const SiteSignature& site);  // "profile.json callsites id 3"
std::string percent(double fraction);                   // "12.3 %"

// Title and summary for a recommendation whose gain is not significant.
void keep_as_is(Recommendation& recommendation, const std::string& technique, const SiteSignature& site,
                const std::string& why);

}  // namespace commtune::analysis::rules
