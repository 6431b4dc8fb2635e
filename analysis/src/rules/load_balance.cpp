// Dynamic load balancing: persistent imbalance before collectives. Ranks whose computation ends
// at different times wait at the next collective for the slowest one; sharing the work at run time
// (the load_balance kernel's master_worker or work_stealing scheduler) shortens the slowest rank's
// computation to about mean / efficiency, where the efficiency is what the kernel reached on this
// machine (LoadBalanceModel).
#include <fmt/format.h>

#include <algorithm>

#include "../runtime/site_reference.hpp"
#include "commtune/analysis/recommend.hpp"

namespace commtune::analysis {
namespace {

// Below this POP load balance (mean / max useful time) the imbalance is worth a look; POP calls
// values above 0.8 acceptable, but a collective-bound code loses the whole difference each step.
constexpr double kImbalanceThreshold = 0.95;
// "Persistent": the collective is reached at least this often per rank, so the imbalance recurs.
constexpr double kMinCallsPerRank = 2;

// The collective sites where ranks waited for the last one to arrive.
std::vector<const profile::CallSite*> waiting_collectives(const profile::Profile& profile) {
  std::vector<const profile::CallSite*> sites;
  for (const auto& site : profile.callsites) {
    if (site.category != "collective" || !site.wait || site.wait->kind != "collective") continue;
    const double calls_per_rank = site.ranks > 0 ? double(site.calls) / site.ranks : 0;
    if (site.wait->per_rank_max_s > 0 && calls_per_rank >= kMinCallsPerRank) sites.push_back(&site);
  }
  return sites;
}

// The dynamic scheduler configuration that is surely good: the highest lower end of the interval.
const LoadBalanceModel* best_dynamic(const std::vector<LoadBalanceModel>& models) {
  const LoadBalanceModel* best = nullptr;
  for (const auto& model : models) {
    if (model.variant == "static" || model.efficiency <= 0) continue;
    if (!best || model.ci_low > best->ci_low) best = &model;
  }
  return best;
}

Recommendation make_recommendation(const AnalysisInput& input, const std::vector<const profile::CallSite*>& sites) {
  const profile::Profile& profile = input.profile;
  const profile::Spread& app = profile.imbalance.app_time;
  Recommendation out;
  out.technique = Technique::LoadBalance;
  double waiting_bound_s = 0;
  for (const auto* site : sites) {
    out.callsites.push_back(site_reference(*site));
    waiting_bound_s += site->wait->per_rank_max_s;
    out.evidence.push_back({fmt::format("waiting for the last rank at {} (most of one rank)", site->function),
                            site->wait->per_rank_max_s, "s",
                            fmt::format("profile.json wait_states.callsites id {}", site->id)});
  }
  out.evidence.push_back({"load balance (mean / max time outside MPI)", app.max > 0 ? app.mean / app.max : 0, "ratio",
                          "profile.json imbalance.app_time"});
  out.evidence.push_back({"time outside MPI, slowest rank", app.max, "s", "profile.json imbalance.app_time.max"});
  out.evidence.push_back({"time outside MPI, mean over ranks", app.mean, "s", "profile.json imbalance.app_time.mean"});

  const LoadBalanceModel* model = best_dynamic(input.models.load_balance);
  // Saving of the slowest rank if its work were spread at efficiency e: max - mean / e.
  const auto saving = [&](double efficiency) { return efficiency > 0 ? app.max - app.mean / efficiency : 0.0; };
  if (model) {
    out.parameters = {{"variant", model->variant},
                      {"threads", std::to_string(model->threads)},
                      {"chunk", std::to_string(model->chunk)},
                      {"poll_interval_us", "100"}};
    out.evidence.push_back({fmt::format("load-balancing efficiency of {} (chunk {}, {} threads, {} tasks)",
                                        model->variant, model->chunk, model->threads, model->cost_distribution),
                            model->efficiency, "ratio",
                            fmt::format("{} kernel load_balance, {} points", input.models.source, model->points)});
    out.gain = bounded_gain(waiting_bound_s, saving(model->efficiency), saving(model->ci_low), saving(model->ci_high),
                            profile.wall_time_s);
  } else {
    // No measurement of what a dynamic scheduler reaches here: perfect balance is the most it can
    // give and nothing is known about the least, so the interval starts at zero.
    out.parameters = {{"variant", "work_stealing"}, {"threads", "1"}, {"chunk", "1"}, {"poll_interval_us", "100"}};
    out.gain = bounded_gain(waiting_bound_s, saving(1.0), 0.0, saving(1.0), profile.wall_time_s);
    out.parameters["note"] = "no load-balance model: run configs/sweeps/load_balance.yaml";
  }
  out.title = out.gain.significant
                  ? fmt::format("Balance the work before {} dynamically ({} scheduler, chunk {})",
                                sites.front()->function, out.parameters["variant"], out.parameters["chunk"])
                  : fmt::format("Imbalance before {}: no significant gain from dynamic balancing - keep as is",
                                sites.front()->function);
  out.apply.summary = fmt::format(
      "Hand out the work done between the collectives in chunks of {} tasks with the {} scheduler "
      "(commtune's load_balance kernel), so that the ranks reach the collective together.",
      out.parameters["chunk"], out.parameters["variant"]);
  out.apply.component = "commtune::kernels::load_balance::DistributedScheduler";
  out.apply.settings = {{"policy", out.parameters["variant"]},
                        {"chunk", out.parameters["chunk"]},
                        {"threads", out.parameters["threads"]}};
  return out;
}

}  // namespace

std::vector<Recommendation> recommend_load_balance(const AnalysisInput& input) {
  const profile::Spread& app = input.profile.imbalance.app_time;
  if (input.profile.ranks < 2 || app.max <= 0) return {};
  if (app.mean / app.max >= kImbalanceThreshold) return {};
  const auto sites = waiting_collectives(input.profile);
  if (sites.empty()) return {};
  return {make_recommendation(input, sites)};
}

}  // namespace commtune::analysis
