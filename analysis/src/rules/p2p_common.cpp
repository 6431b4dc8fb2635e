#include "rules/p2p_common.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>

namespace commtune::analysis::rules {

bool is_blocking_p2p(const std::string& function) {
  static const char* const kBlocking[] = {
      "MPI_Send", "MPI_Ssend", "MPI_Rsend", "MPI_Bsend", "MPI_Recv", "MPI_Sendrecv", "MPI_Sendrecv_replace",
      "MPI_Mrecv"};
  return std::find(std::begin(kBlocking), std::end(kBlocking), function) != std::end(kBlocking);
}

bool is_send(const std::string& function) {
  static const char* const kSends[] = {"MPI_Send",     "MPI_Ssend",           "MPI_Rsend",  "MPI_Bsend",
                                       "MPI_Isend",    "MPI_Issend",          "MPI_Irsend", "MPI_Ibsend",
                                       "MPI_Sendrecv", "MPI_Sendrecv_replace"};
  return std::find(std::begin(kSends), std::end(kSends), function) != std::end(kSends);
}

bool is_point_to_point(const SiteSignature& site) {
  return site.pattern == Pattern::PointToPoint || site.pattern == Pattern::NeighbourExchange;
}

// The share of a site's peer bytes that crosses nodes; negative when it cannot be told.
static double inter_node_share(const AnalysisInput& input, const SiteSignature& site) {
  const std::vector<std::string> hosts = input.profile.hosts();
  if (site.peers.empty() || hosts.size() != std::size_t(input.profile.ranks)) return -1;
  // Peers are aggregated over the ranks that sent to them: a peer on a node of its own (one rank
  // per host) counts as crossing unless every rank shares its host.
  std::uint64_t total = 0, crossing = 0;
  for (const auto& peer : site.peers) {
    if (peer.peer < 0 || std::size_t(peer.peer) >= hosts.size()) return -1;
    total += peer.bytes;
    const auto same = std::count(hosts.begin(), hosts.end(), hosts[std::size_t(peer.peer)]);
    if (std::size_t(same) != hosts.size()) crossing += peer.bytes;
  }
  return total > 0 ? double(crossing) / double(total) : -1;
}

const LinkModel* link_for(const AnalysisInput& input, const SiteSignature& site, std::string& name) {
  const HardwareModels& models = input.models;
  const double share = inter_node_share(input, site);
  const bool spans_nodes = input.signature.nodes > 1 || models.nodes > 1;
  const bool inter = share >= 0 ? share > 0.5 : spans_nodes;
  const std::optional<LinkModel>& chosen = inter ? models.inter_node : models.intra_node;
  if (chosen) {
    name = chosen->name + (inter ? " (between nodes)" : " (within a node)");
    return &*chosen;
  }
  name = inter ? "between nodes" : "within a node";
  return nullptr;
}

const OverlapModel* overlap_for(const HardwareModels& models, const std::string& operation, double bytes) {
  const OverlapModel* best = nullptr;
  double best_distance = 0;
  for (const auto& model : models.overlap) {
    if (model.operation != operation) continue;
    const double distance = std::abs(std::log2(std::max(double(model.message_bytes), 1.0) / std::max(bytes, 1.0)));
    if (best == nullptr || distance < best_distance) {
      best = &model;
      best_distance = distance;
    }
  }
  return best;
}

double model_error_95(const FitQuality& quality) {
  if (quality.held_out <= 0) return kDescriptionError;
  const double p90 = std::max(quality.p90_abs_relative_error, quality.median_abs_relative_error);
  return p90 * 1.96 / 1.645;
}

double ratio_half_width(double ratio, double after_error, double before_error) {
  return std::abs(ratio) * std::hypot(after_error, before_error);
}

// The ranks that called a site: calls / calls per rank, within [1, ranks].
static int calling_ranks(const SiteSignature& site, int ranks) {
  const int n = std::max(ranks, 1);
  return site.calls_per_rank > 0 ? std::clamp(int(std::lround(double(site.calls) / site.calls_per_rank)), 1, n) : n;
}

double late_partner_wait_s(const SiteSignature& site, int ranks) {
  if (!site.wait || site.wait->per_rank_max_s <= 0) return 0;
  const double callers = calling_ranks(site, ranks);
  const double shared_s = std::max(0.0, site.wait->time_s - (callers - 1) * site.wait->per_rank_max_s);
  return std::max(0.0, site.wait->per_rank_max_s - shared_s);
}

double time_without_lateness_s(const SiteSignature& site, int ranks) {
  return std::max(0.0, site.time_per_rank_max_s - late_partner_wait_s(site, ranks));
}

double measurement_error_95(const SiteSignature& site, int ranks) {
  // The profile's cv counts ranks that never called the site as 0: a site of the senders only would
  // look maximally spread. Over the k ranks that called it: cv_k^2 = k (cv_n^2 + 1) / n - 1.
  const int n = std::max(ranks, 1);
  const int k =
      site.calls_per_rank > 0 ? std::clamp(int(std::lround(double(site.calls) / site.calls_per_rank)), 1, n) : n;
  const double second_moment_ratio = (site.imbalance_cv * site.imbalance_cv + 1) * double(k) / double(n);
  const double cv_callers = std::sqrt(std::max(0.0, second_moment_ratio - 1));
  return 1.96 * cv_callers / std::sqrt(double(k));
}

PredictedGain fraction_gain(double site_time_s, double fraction, double fraction_half_width, double measurement_error,
                            double wall_time_s) {
  const double predicted_s = site_time_s * fraction;
  const double half_width_s = std::hypot(site_time_s * fraction_half_width, std::abs(predicted_s) * measurement_error);
  return bounded_gain(site_time_s, predicted_s, predicted_s - half_width_s, predicted_s + half_width_s, wall_time_s);
}

PredictedGain unknown_gain(double site_time_s, double wall_time_s) {
  return bounded_gain(site_time_s, 0, 0, site_time_s, wall_time_s);
}

SiteReference reference(const SiteSignature& site) {
  return {site.callsite_id, site.function, site.location, site.time_per_rank_max_s};
}

Recommendation site_recommendation(const SiteSignature& site, Technique technique, std::string component) {
  Recommendation out;
  out.technique = technique;
  out.callsites.push_back(reference(site));
  out.apply.component = std::move(component);
  return out;
}

std::string where(const SiteSignature& site) { return site.function + " at " + site.location; }

std::string profile_source(const SiteSignature& site) {
  return fmt::format("profile.json callsites id {}", site.callsite_id);
}

std::string percent(double fraction) { return fmt::format("{:.1f} %", fraction * 100); }

void keep_as_is(Recommendation& recommendation, const std::string& technique, const SiteSignature& site,
                const std::string& why) {
  recommendation.title = fmt::format("{}: no significant gain from {} - keep as is", where(site), technique);
  recommendation.apply.summary = "Keep " + where(site) + " as it is: " + why;
}

}  // namespace commtune::analysis::rules
