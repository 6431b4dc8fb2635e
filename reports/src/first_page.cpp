// The first page of the run report: verdict, time breakdown, efficiency metrics, top advice.
#include <fmt/core.h>

#include <algorithm>
#include <cmath>

#include "format.hpp"
#include "run_sections.hpp"

namespace commtune::reports {

namespace {

// The per-rank breakdown chart draws at most this many bars; larger runs show blocks of
// consecutive ranks (their mean), said in the title.
constexpr std::size_t kMaxRankBars = 128;
// The first page lists this many recommendations; the rest are in "Recommendations".
constexpr std::size_t kTopRecommendations = 3;

void add_verdict(Document& document, const profile::Profile& profile) {
  const double rank_seconds = profile.wall_time_s * std::max(1, profile.ranks_reported);
  const double communication = profile.communication_fraction;
  const double startup = rank_seconds > 0 ? (profile.startup_s + profile.shutdown_s) / rank_seconds : 0;
  const std::string detail = fmt::format(
      "{} of the time of {} rank(s) in MPI communication, {} in MPI start-up and shut-down, {} in the "
      "application; wall time {}.",
      percent(communication), profile.ranks_reported, percent(startup),
      percent(rank_seconds > 0 ? profile.app_time_s / rank_seconds : 0), seconds(profile.wall_time_s));
  if (communication >= kMpiBoundFraction)
    document.verdict(fmt::format("MPI-bound: {} of time in MPI communication", percent(communication)), detail,
                     Tone::Bad);
  else if (communication >= kCommunicationSignificantFraction)
    document.verdict(fmt::format("Communication-significant: {} of time in MPI communication", percent(communication)),
                     detail, Tone::Warning);
  else if (startup >= kMpiBoundFraction)
    document.verdict(fmt::format("Start-up dominated: {} of time in MPI_Init and MPI_Finalize", percent(startup)),
                     detail, Tone::Warning);
  else
    document.verdict(fmt::format("Compute-bound: {} of time in MPI communication", percent(communication)), detail,
                     Tone::Good);
}

void add_breakdown(Document& document, const profile::Profile& profile) {
  const double rank_seconds = profile.wall_time_s * std::max(1, profile.ranks_reported);
  const auto part = [&](double value_s) { return rank_seconds > 0 ? value_s / rank_seconds : 0.0; };
  std::vector<BarPart> parts = {{"application", part(profile.app_time_s)},
                                {"communication", part(profile.communication_s)},
                                {"start-up", part(profile.startup_s)},
                                {"shut-down", part(profile.shutdown_s)}};
  // The wall time is the longest rank's: ranks that ended earlier leave the rest of the bar.
  double accounted = 0;
  for (const BarPart& each : parts) accounted += each.fraction;
  if (accounted < 0.999) parts.push_back({"ended before the last rank", 1 - accounted});
  document.breakdown("all ranks", parts);
  const std::size_t ranks = profile.per_rank.size();
  if (ranks == 0) {
    document.not_recorded("no per-rank times in the profile");
    return;
  }
  const std::size_t block = (ranks + kMaxRankBars - 1) / kMaxRankBars;
  BarChart chart{"breakdown",
                 block == 1 ? "Time per rank: application, MPI communication, MPI start-up and shut-down"
                            : fmt::format("Time per rank, mean of blocks of {} consecutive ranks: application, MPI "
                                          "communication, MPI start-up and shut-down",
                                          block),
                 block == 1 ? "rank" : fmt::format("block i: ranks {0} i to {0} i + {1}", block, block - 1),
                 "seconds",
                 {},
                 {"application", "communication", "start-up and shut-down"},
                 {{}, {}, {}}};
  for (std::size_t first = 0; first < ranks; first += block) {
    const std::size_t last = std::min(ranks, first + block);
    double app = 0, communication = 0, startup = 0;
    for (std::size_t r = first; r < last; ++r) {
      app += profile.per_rank[r].app_time_s;
      communication += profile.per_rank[r].communication_s;
      startup += profile.per_rank[r].startup_s + profile.per_rank[r].shutdown_s;
    }
    const double n = double(last - first);
    chart.categories.push_back(
        block == 1 ? std::to_string(profile.per_rank[first].rank)
                   : fmt::format("{}-{}", profile.per_rank[first].rank, profile.per_rank[last - 1].rank));
    chart.values[0].push_back(app / n);
    chart.values[1].push_back(communication / n);
    chart.values[2].push_back(startup / n);
  }
  document.chart(draw(chart));
}

Metric efficiency(const std::string& label, double value, const std::string& note) {
  return Metric{label, ratio(value), note, value >= kEfficiencyThreshold ? Tone::Good : Tone::Bad};
}

void add_metrics(Document& document, const analysis::Recommendations* recommendations) {
  if (!recommendations) {
    document.metrics({Metric{"POP efficiency metrics", "not computed",
                             "run `commtune analyze DIR`, then `commtune report DIR` again", Tone::Neutral}});
    return;
  }
  const analysis::PopMetrics& pop = recommendations->run_efficiency;
  std::vector<Metric> metrics = {
      efficiency("parallel efficiency", pop.parallel_efficiency, "load balance x communication efficiency"),
      efficiency("load balance", pop.load_balance, "mean / max useful time"),
      efficiency("communication efficiency", pop.communication_efficiency, "max useful time / run time")};
  if (pop.serialisation_estimate)
    metrics.push_back(
        efficiency("serialisation (estimate)", *pop.serialisation_estimate, "max useful / ideal-network time"));
  if (pop.transfer_estimate)
    metrics.push_back(efficiency("transfer (estimate)", *pop.transfer_estimate, "ideal-network time / run time"));
  document.metrics(metrics);
  if (!recommendations->region_efficiency.empty()) {
    Table regions{{"region", "parallel efficiency", "load balance", "communication efficiency"}, {}};
    const auto cell = [](double value) {
      return Cell{ratio(value), true, value >= kEfficiencyThreshold ? Tone::Good : Tone::Bad};
    };
    for (const analysis::PopMetrics& region : recommendations->region_efficiency)
      regions.rows.push_back({{region.scope},
                              cell(region.parallel_efficiency),
                              cell(region.load_balance),
                              cell(region.communication_efficiency)});
    document.table(regions);
  }
  document.paragraph(fmt::format("Computed by commtune analyze ({}); green at {} and above, red below.",
                                 pop.method.empty() ? "method not recorded" : pop.method, ratio(kEfficiencyThreshold)));
}

void add_top_recommendations(Document& document, const analysis::Recommendations* recommendations) {
  document.subsection("Top recommendations");
  if (!recommendations) {
    document.not_recorded("no recommendations.yaml: run `commtune analyze DIR`, then `commtune report DIR` again");
    return;
  }
  Table table{{"#", "technique", "recommendation", "predicted gain", "95 % interval", "how to apply"}, {}};
  for (const analysis::Recommendation& each : recommendations->recommendations) {
    if (table.rows.size() == kTopRecommendations) break;
    if (!each.gain.significant) continue;
    table.rows.push_back(
        {{std::to_string(each.rank), true},
         {analysis::to_string(each.technique)},
         {each.title},
         {fmt::format("−{} ({})", seconds(each.gain.seconds), percent(each.gain.fraction_of_run)), true, Tone::Good},
         {fmt::format("{} – {}", percent(each.gain.ci_low_fraction), percent(each.gain.ci_high_fraction)), true},
         {each.apply.summary}});
  }
  if (table.rows.empty())
    document.paragraph("No recommendation with a significant predicted gain: keep the run as it is.");
  else
    document.table(table);
}

}  // namespace

void add_first_page(Document& document, const profile::Profile& profile,
                    const analysis::Recommendations* recommendations) {
  document.section("summary", "Summary");
  add_verdict(document, profile);
  add_breakdown(document, profile);
  add_metrics(document, recommendations);
  add_top_recommendations(document, recommendations);
}

}  // namespace commtune::reports
