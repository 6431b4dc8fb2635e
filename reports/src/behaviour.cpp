// The run report's sections on behaviour over the ranks: imbalance, wait states, request overlap,
// a timeline excerpt, the recommendations with their evidence, and the notes.
#include <fmt/core.h>

#include <algorithm>
#include <limits>

#include "format.hpp"
#include "run_sections.hpp"

namespace commtune::reports {

namespace {

constexpr std::size_t kTopImbalancedSites = 10;
constexpr std::size_t kTopWaitingSites = 25;
constexpr std::size_t kTimelineRows = 16;        // locations drawn
constexpr std::size_t kTimelineMaxCalls = 4000;  // calls drawn, at most
constexpr double kTimelineFraction = 0.02;       // of the traced span, around its middle

Cell spread_cell(const profile::Spread& spread, bool time) {
  const auto show = [&](double value) { return time ? seconds(value) : ratio(value); };
  return {fmt::format("{} (rank {}) / {} / {} (rank {}), cv {}", show(spread.min), spread.min_rank, show(spread.mean),
                      show(spread.max), spread.max_rank, ratio(spread.cv)),
          true};
}

void recommendation_details(Document& document, const analysis::Recommendation& each) {
  document.subsection(fmt::format("{}. {} ({})", each.rank, each.title, analysis::to_string(each.technique)));
  const analysis::PredictedGain& gain = each.gain;
  document.paragraph(gain.significant
                         ? fmt::format("Predicted gain {} ({} of the run), 95 % interval {} – {}; at most {} (the time "
                                       "at its call sites).",
                                       seconds(gain.seconds), percent(gain.fraction_of_run), seconds(gain.ci_low_s),
                                       seconds(gain.ci_high_s), seconds(gain.bound_s))
                         : fmt::format("No significant gain (interval {} – {} includes zero or is below the practical "
                                       "threshold): keep as is.",
                                       seconds(gain.ci_low_s), seconds(gain.ci_high_s)));
  if (!each.callsites.empty()) {
    Table sites{{"call site", "function", "where", "time"}, {}};
    for (const analysis::SiteReference& site : each.callsites)
      sites.rows.push_back(
          {{std::to_string(site.callsite_id), true}, {site.function}, {site.location}, {seconds(site.time_s), true}});
    document.table(sites);
  }
  std::vector<std::string> how;
  if (!each.apply.summary.empty()) how.push_back(each.apply.summary);
  if (!each.apply.component.empty()) how.push_back("component: " + each.apply.component);
  for (const auto& [name, value] : each.parameters) how.push_back(fmt::format("parameter {} = {}", name, value));
  for (const auto& [name, value] : each.apply.settings) how.push_back(fmt::format("setting {} = {}", name, value));
  for (const std::string& line : each.apply.environment) how.push_back("environment: " + line);
  for (const std::string& line : each.apply.launcher_args) how.push_back("launcher: " + line);
  for (const std::string& file : each.apply.files) how.push_back("file: " + file);
  if (!how.empty()) document.bullets(how);
  if (each.evidence.empty()) {
    document.not_recorded("no evidence listed for this recommendation");
    return;
  }
  Table evidence{{"evidence", "value", "unit", "source"}, {}};
  for (const analysis::Evidence& item : each.evidence)
    evidence.rows.push_back({{item.what}, {fmt::format("{:.6g}", item.value), true}, {item.unit}, {item.source}});
  document.table(evidence);
}

}  // namespace

void add_imbalance(Document& document, const profile::Profile& profile) {
  document.section("imbalance", "Imbalance per rank");
  const profile::Imbalance& imbalance = profile.imbalance;
  if (imbalance.per_rank.empty()) {
    document.not_recorded("no per-rank times in the profile");
    return;
  }
  LineChart chart{"imbalance", "Fraction of each rank's time in MPI", "rank", "fraction in MPI", {}};
  LineSeries line{"time in MPI / wall time", {}, {}, {}, {}};
  for (const profile::RankImbalance& rank : imbalance.per_rank) {
    line.x.push_back(rank.rank);
    line.y.push_back(rank.mpi_fraction);
  }
  chart.series.push_back(std::move(line));
  document.chart(draw(chart));
  document.table(Table{{"per rank", "min / mean / max"},
                       {{{"time in MPI"}, spread_cell(imbalance.mpi_time, true)},
                        {{"time in the application"}, spread_cell(imbalance.app_time, true)}}});
  if (imbalance.callsite_ids.empty()) return;
  document.paragraph("The call sites whose time differs most across ranks:");
  Table table{{"call site", "function", "where", "time per rank min / mean / max"}, {}};
  for (std::size_t i = 0; i < imbalance.callsite_ids.size() && i < kTopImbalancedSites; ++i) {
    const profile::CallSite* site = profile.callsite(imbalance.callsite_ids[i]);
    if (!site) continue;
    table.rows.push_back({{std::to_string(site->id), true},
                          {site->function},
                          {site_location(*site)},
                          spread_cell(site->time_per_rank, true)});
  }
  document.table(table);
}

void add_wait_states(Document& document, const profile::Profile& profile) {
  document.section("waits", "Wait states");
  const profile::WaitStateTotals& totals = profile.wait_states;
  document.table(Table{{"late sender", "late receiver", "waiting at collectives", "how measured"},
                       {{{seconds(totals.late_sender_s), true},
                         {seconds(totals.late_receiver_s), true},
                         {seconds(totals.wait_at_collective_s), true},
                         {totals.method.empty() ? "not recorded" : totals.method}}}});
  // Sites in the profile's order (most time first), the first kTopWaitingSites that waited.
  Table table{{"call site", "function", "where", "kind", "time waiting", "instances", "most on one rank"}, {}};
  for (const profile::CallSite& site : profile.callsites) {
    if (!site.wait || site.wait->time_s <= 0) continue;
    if (table.rows.size() == kTopWaitingSites) break;
    table.rows.push_back(
        {{std::to_string(site.id), true},
         {site.function},
         {site_location(site)},
         {site.wait->kind},
         {seconds(site.wait->time_s), true},
         {count(site.wait->instances), true},
         {fmt::format("{} (rank {})", seconds(site.wait->per_rank_max_s), site.wait->max_rank), true}});
  }
  if (table.rows.empty())
    document.not_recorded("no call site waited");
  else
    document.table(table);
}

void add_requests(Document& document, const profile::Profile& profile) {
  document.section("requests", "Request overlap");
  Table table{
      {"call site", "function", "where", "requests", "mean lifetime", "inside completion calls", "overlapped fraction"},
      {}};
  for (const profile::CallSite& site : profile.callsites) {
    if (!site.requests || site.requests->requests == 0) continue;
    const profile::RequestLifetimes& requests = *site.requests;
    table.rows.push_back({{std::to_string(site.id), true},
                          {site.function},
                          {site_location(site)},
                          {count(requests.requests), true},
                          {seconds(requests.mean_lifetime_s), true},
                          {seconds(requests.inside_completion_s), true},
                          {percent(requests.overlap_fraction), true}});
  }
  if (table.rows.empty())
    document.not_recorded("no nonblocking request in the profile");
  else
    document.table(table);
  if (profile.untracked_requests > 0)
    document.paragraph(fmt::format("{} requests were completed without being tracked (their lifetimes are missing).",
                                   count(profile.untracked_requests)));
}

void add_timeline(Document& document, const trace::Trace* trace) {
  document.section("timeline", "Timeline excerpt");
  if (!trace) {
    document.not_recorded("the run was not traced (commtune run --trace)");
    return;
  }
  std::uint64_t first = std::numeric_limits<std::uint64_t>::max(), last = 0;
  for (const trace::Location& location : trace->locations)
    for (const trace::Call& call : location.calls) {
      first = std::min(first, call.start_ns);
      last = std::max(last, call.end_ns);
    }
  if (last <= first) {
    document.not_recorded("the trace holds no calls");
    return;
  }
  const double span_ns = double(last - first);
  const double window_ns = std::max(span_ns * kTimelineFraction, std::min(span_ns, 1e6));
  const double begin_ns = double(first) + (span_ns - window_ns) / 2;
  Timeline chart{"timeline", "", {}, {}, {}};
  for (int c = 0; c <= int(trace::Category::Other); ++c)
    chart.categories.push_back(std::string(trace::category_name(trace::Category(c))));
  for (std::size_t row = 0; row < trace->locations.size() && row < kTimelineRows; ++row) {
    const trace::Location& location = trace->locations[row];
    chart.rows.push_back(fmt::format("rank {} thread {}", location.rank, location.thread));
    for (const trace::Call& call : location.calls) {
      if (double(call.end_ns) < begin_ns || double(call.start_ns) > begin_ns + window_ns) continue;
      if (chart.segments.size() == kTimelineMaxCalls) break;
      const int category = call.function < trace->functions.size() ? int(trace->functions[call.function].category)
                                                                   : int(trace::Category::Other);
      chart.segments.push_back({int(row), (std::max(double(call.start_ns), begin_ns) - double(first)) * 1e-9,
                                (std::min(double(call.end_ns), begin_ns + window_ns) - double(first)) * 1e-9,
                                category});
    }
  }
  chart.title =
      fmt::format("MPI calls from {} to {} after the first traced call, first {} of {} thread(s)",
                  seconds((begin_ns - double(first)) * 1e-9), seconds((begin_ns + window_ns - double(first)) * 1e-9),
                  chart.rows.size(), trace->locations.size());
  document.chart(draw(chart));
  if (!trace->warnings.empty()) document.bullets(trace->warnings);
}

void add_recommendations(Document& document, const analysis::Recommendations* recommendations) {
  document.section("recommendations", "Recommendations and their evidence");
  if (!recommendations) {
    document.not_recorded("no recommendations.yaml: run `commtune analyze DIR`");
    return;
  }
  document.paragraph(
      fmt::format("From commtune analyze {} at {}; hardware models: {} (hardware {}).", recommendations->tool_version,
                  recommendations->generated_at,
                  recommendations->models_source.empty() ? "not recorded" : recommendations->models_source,
                  recommendations->models_hardware_id.empty() ? "not recorded" : recommendations->models_hardware_id));
  if (recommendations->recommendations.empty()) document.paragraph("No recommendation: keep the run as it is.");
  for (const analysis::Recommendation& each : recommendations->recommendations) recommendation_details(document, each);
  if (!recommendations->missing_sweeps.empty()) {
    document.subsection("Sweeps that would sharpen these predictions");
    std::vector<std::string> items;
    for (const analysis::MissingSweepReference& sweep : recommendations->missing_sweeps)
      items.push_back(fmt::format("{}: commtune sweep {}", sweep.reason, sweep.spec.string()));
    document.bullets(items);
  }
}

void add_notes(Document& document, const profile::Profile& profile, const analysis::Recommendations* recommendations,
               const std::vector<std::string>& notes) {
  document.section("notes", "Notes");
  std::vector<std::string> items = notes;
  if (!profile.complete)
    items.push_back("The profile is partial: " +
                    (profile.partial_reason.empty() ? "reason not recorded" : profile.partial_reason));
  for (const std::string& error : profile.dump_errors) items.push_back("rank dump left out: " + error);
  if (recommendations)
    for (const std::string& note : recommendations->notes) items.push_back("analysis: " + note);
  if (items.empty())
    document.paragraph("None.");
  else
    document.bullets(items);
}

}  // namespace commtune::reports
