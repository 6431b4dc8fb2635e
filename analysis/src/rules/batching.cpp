// Batching: many small messages to one peer cost a latency each; packed into batches they cost one
// latency per batch plus the copies. Predicted with the link model and the memcpy rate.
#include <fmt/core.h>

#include <algorithm>
#include <cmath>

#include "rules/p2p_common.hpp"

namespace commtune::analysis {
namespace {

using namespace rules;

// Fewer messages per rank than this do not add up to a latency worth removing.
constexpr double kMinMessagesPerRank = 64;
// A message is latency-dominated when the link's fixed cost is at least this share of its time.
constexpr double kLatencyShare = 0.5;
// Without a link model, the pattern is recognised by size alone.
constexpr double kSmallMessageBytes = 4096;
constexpr std::uint64_t kBatchHeaderBytes = 16;   // MessageAggregator's wire format
constexpr std::uint64_t kMessageLengthBytes = 4;  // per message in a batch

struct BatchPlan {
  std::uint64_t batch_bytes = 0;
  std::uint64_t batch_count = 0;
  double seconds_per_message = 0;  // link time of a batch / messages + packing and unpacking copies
};

double per_message_s(const LinkModel& link, double memcpy_bytes_per_s, double message_bytes, std::uint64_t batch_bytes,
                     std::uint64_t& count) {
  count = (batch_bytes - kBatchHeaderBytes) / std::uint64_t(message_bytes + kMessageLengthBytes);
  if (count < 2) return 0;
  const double copies_s = 2 * (message_bytes + kMessageLengthBytes) / memcpy_bytes_per_s;
  return link.seconds(batch_bytes) / double(count) + copies_s;
}

// The smallest batch (1 KiB .. 1 MiB, powers of two) within 5 % of the cheapest per message, with
// at least four batches per rank so that batches fill.
std::optional<BatchPlan> plan_batches(const LinkModel& link, double memcpy_bytes_per_s, const SiteSignature& site) {
  std::vector<BatchPlan> plans;
  const double message_bytes = std::max(site.mean_message_bytes, 0.0);
  for (std::uint64_t batch_bytes = 1024; batch_bytes <= (1u << 20); batch_bytes *= 2) {
    BatchPlan plan{batch_bytes, 0, 0};
    plan.seconds_per_message = per_message_s(link, memcpy_bytes_per_s, message_bytes, batch_bytes, plan.batch_count);
    if (plan.batch_count < 2 || double(plan.batch_count) * 4 > site.calls_per_rank) continue;
    plans.push_back(plan);
  }
  if (plans.empty()) return std::nullopt;
  const double best = std::min_element(plans.begin(), plans.end(), [](const BatchPlan& a, const BatchPlan& b) {
                        return a.seconds_per_message < b.seconds_per_message;
                      })->seconds_per_message;
  for (const auto& plan : plans)
    if (plan.seconds_per_message <= best * 1.05) return plan;
  return plans.front();
}

// The rate at which messages are packed and unpacked: memcpy's when measured; else the intra-node
// link's bandwidth (on shared memory a transfer is at least one copy, so memcpy is at least as fast:
// the packing cost is over- rather than under-estimated); else this link's.
double copy_rate(const HardwareModels& models, const LinkModel* link) {
  if (models.memcpy_bytes_per_s > 0) return models.memcpy_bytes_per_s;
  if (models.intra_node && models.intra_node->bandwidth_bytes_per_s() > 0)
    return models.intra_node->bandwidth_bytes_per_s();
  return link != nullptr ? link->bandwidth_bytes_per_s() : 0;
}

bool has_pattern(const SiteSignature& site, const LinkModel* link) {
  if (!is_point_to_point(site) || !is_send(site.function)) return false;
  if (site.fraction_of_run < kMinSiteFraction || site.calls_per_rank < kMinMessagesPerRank) return false;
  if (site.distinct_peers > 2) return false;  // to one peer (or a pair): 0 means unknown
  if (link == nullptr || link->segments.empty()) return site.mean_message_bytes <= kSmallMessageBytes;
  const double message_s = link->seconds(std::uint64_t(site.mean_message_bytes));
  const LinkSegment* segment = &link->segments.front();
  for (const auto& candidate : link->segments)
    if (candidate.from_bytes <= std::uint64_t(site.mean_message_bytes)) segment = &candidate;
  return message_s > 0 && segment->latency_s >= kLatencyShare * message_s;
}

void add_site_evidence(Recommendation& out, const SiteSignature& site, double site_time_s) {
  const std::string source = profile_source(site);
  out.evidence.push_back({"messages per rank", site.calls_per_rank, "messages", source});
  out.evidence.push_back({"mean message size", site.mean_message_bytes, "bytes", source + " (bytes / messages)"});
  out.evidence.push_back({"median message size (bin lower bound)", double(site.median_message_bytes), "bytes", source});
  if (site.distinct_peers > 0)
    out.evidence.push_back({"peers per rank", double(site.distinct_peers), "ranks",
                            site.peers_from_trace ? "trace" : "profile.json comm_matrix (one partner per rank)"});
  out.evidence.push_back(
      {"time at the site, slowest rank, without waiting for late partners", site_time_s, "s", source});
}

Recommendation recommend_site(const AnalysisInput& input, const SiteSignature& site) {
  const double wall_s = input.signature.wall_time_s;
  const double site_time_s = time_without_lateness_s(site, input.signature.ranks);
  std::string link_name;
  const LinkModel* link = link_for(input, site, link_name);
  Recommendation out = site_recommendation(site, Technique::Batching, "commtune::kernels::batching::MessageAggregator");
  add_site_evidence(out, site, site_time_s);

  const double memcpy_rate = copy_rate(input.models, link);
  std::optional<BatchPlan> plan;
  if (link != nullptr && memcpy_rate > 0) plan = plan_batches(*link, memcpy_rate, site);
  if (!plan) {
    out.gain = unknown_gain(site_time_s, wall_s);
    const std::string missing = link == nullptr    ? "no link model " + link_name
                                : memcpy_rate <= 0 ? "no memcpy rate"
                                                   : "too few messages per rank to fill two batches";
    keep_as_is(out, "batching", site,
               "many small messages, but " + missing + " to predict the gain (see the missing sweeps)");
    out.parameters["note"] = missing;
    return out;
  }
  const double before_s = link->seconds(std::uint64_t(site.mean_message_bytes));
  const double after_s = plan->seconds_per_message;
  const double fraction = 1 - after_s / before_s;
  const double error = model_error_95(link->quality);
  const double fraction_half_width = ratio_half_width(after_s / before_s, error, error);
  out.gain = fraction_gain(site_time_s, fraction, fraction_half_width,
                           measurement_error_95(site, input.signature.ranks), wall_s);

  out.evidence.push_back({"link time of one message (model, " + link_name + ")", before_s, "s", link->source});
  // Far above the model when the sends wait for something else (flow control, a slow receiver):
  // batching's fraction of that time is then less sure than the interval says.
  out.evidence.push_back({"measured time per message (site time without waiting / messages per rank)",
                          site.calls_per_rank > 0 ? site_time_s / site.calls_per_rank : 0, "s", profile_source(site)});
  out.evidence.push_back({"time per message batched (model: batch time / messages + copies)", after_s, "s",
                          link->source + "; memcpy " + input.models.source});
  out.evidence.push_back({"link model held-out median relative error", link->quality.median_abs_relative_error, "ratio",
                          link->quality.method});
  out.evidence.push_back({input.models.memcpy_bytes_per_s > 0 ? "memcpy rate"
                                                              : "copy rate (memcpy unknown: the intra-node link's "
                                                                "bandwidth, at most memcpy's)",
                          memcpy_rate, "bytes/s", input.models.source});

  // Flush at latest when a batch would have filled at the rate the site sends: no message waits
  // longer than the program took to produce the batch, capped at 1 ms.
  const double fill_s = site.compute_between_calls_s * double(plan->batch_count);
  const auto flush_us = std::uint64_t(std::clamp(fill_s * 1e6, 1.0, 1000.0));
  out.parameters = {
      {"batch_bytes", std::to_string(plan->batch_bytes)},
      {"batch_count", std::to_string(plan->batch_count)},
      {"flush_policy", "size or count, time after flush_interval_us, and explicit flush() before waiting for a reply"},
      {"flush_interval_us", std::to_string(flush_us)}};
  out.apply.settings = {{"batch_bytes", std::to_string(plan->batch_bytes)},
                        {"batch_count", std::to_string(plan->batch_count)},
                        {"flush_interval", std::to_string(flush_us) + "us"}};
  if (out.gain.significant) {
    out.title = fmt::format("Batch the sends of {} into {} KiB batches ({} messages)", where(site),
                            plan->batch_bytes / 1024, plan->batch_count);
    out.apply.summary = fmt::format(
        "Add each message at {} to a MessageAggregator (batch_bytes {}, batch_count {}, flush_interval {} us) whose "
        "handler sends the batch; unpack with BatchUnpacker on the receiver; call flush() before waiting for a reply.",
        site.location, plan->batch_bytes, plan->batch_count, flush_us);
  } else {
    keep_as_is(out, "batching", site,
               fmt::format("batching predicts {} of the run, an interval whose low end is below {} of the run",
                           percent(out.gain.fraction_of_run), percent(kPracticalFraction)));
  }
  return out;
}

}  // namespace

std::vector<Recommendation> recommend_batching(const AnalysisInput& input) {
  std::vector<Recommendation> out;
  for (const auto& site : input.signature.sites) {
    std::string link_name;
    if (has_pattern(site, link_for(input, site, link_name))) out.push_back(recommend_site(input, site));
  }
  return out;
}

}  // namespace commtune::analysis
