// `commtune report --compare BEFORE AFTER`: what changed per MPI function and call site. BEFORE
// and AFTER are run directories, or folders of run directories holding repeated runs.
//
// Significance (docs/report.md): with at least two runs on each side, each function's and call
// site's per-run totals are compared with the tuner's compare() (Mann-Whitney U, bootstrap
// interval, 2 % practical threshold). With one run on a side, a function's per-rank times stand in
// as the samples (ranks of an SPMD program as repetitions; said in the table), and call sites,
// whose per-rank times the profile does not keep, get no verdict.
#include <fmt/core.h>

#include <algorithm>
#include <map>

#include "commtune/pmpi/run_directory.hpp"
#include "commtune/reports/reports.hpp"
#include "commtune/tuner/statistics.hpp"
#include "document.hpp"
#include "format.hpp"
#include "profile/reader.hpp"
#include "run_sections.hpp"
#include "writing.hpp"

namespace commtune::reports {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kChartFunctions = 15;
constexpr std::size_t kTableCallsites = 40;

struct Side {
  fs::path path;
  std::vector<profile::Profile> runs;
};

Side read_side(const fs::path& path) {
  Side side{path, {}};
  std::error_code error;
  try {
    if (fs::exists(run_directory::profile_path(path), error)) {
      side.runs.push_back(profile::read_profile(path));
      return side;
    }
    std::vector<fs::path> folders;
    for (fs::directory_iterator it(path, error), end; !error && it != end; it.increment(error))
      if (fs::exists(run_directory::profile_path(it->path()))) folders.push_back(it->path());
    std::sort(folders.begin(), folders.end());
    for (const fs::path& folder : folders) side.runs.push_back(profile::read_profile(folder));
  } catch (const profile::ProfileError& problem) {
    throw ReportError(problem.what());
  }
  if (side.runs.empty())
    throw ReportError(fmt::format("{} holds no profile.json, neither itself nor in a folder of it", path.string()));
  return side;
}

// One function's or call site's figures over the runs of a side.
struct Figures {
  std::vector<double> time_s;           // per run
  std::vector<double> per_rank_time_s;  // of the first run (functions only)
  std::uint64_t calls = 0, bytes = 0;   // of the first run
};

using Keyed = std::map<std::string, Figures>;

Keyed functions_of(const Side& side) {
  Keyed keyed;
  for (std::size_t run = 0; run < side.runs.size(); ++run) {
    for (const profile::FunctionTotals& function : side.runs[run].functions) {
      Figures& figures = keyed[function.name];
      figures.time_s.resize(run, 0.0);
      figures.time_s.push_back(function.time_s);
      if (run == 0) {
        figures.calls = function.calls;
        figures.bytes = function.bytes_sent + function.bytes_received;
      }
    }
  }
  for (const profile::RankRecord& rank : side.runs.front().per_rank)
    for (const profile::FunctionTotals& function : rank.functions)
      keyed[function.name].per_rank_time_s.push_back(function.time_s);
  for (auto& [name, figures] : keyed) figures.time_s.resize(side.runs.size(), 0.0);
  return keyed;
}

Keyed callsites_of(const Side& side) {
  Keyed keyed;
  for (std::size_t run = 0; run < side.runs.size(); ++run) {
    for (const profile::CallSite& site : side.runs[run].callsites) {
      const std::string key = fmt::format("{} at {}{}", site.function, site_location(site),
                                          site.region.empty() ? "" : " in " + site.region);
      Figures& figures = keyed[key];
      // Sites that differ only in deeper frames share a key: their times add up.
      figures.time_s.resize(run + 1, 0.0);
      figures.time_s[run] += site.time_s;
      if (run == 0) {
        figures.calls += site.calls;
        figures.bytes += site.bytes_sent + site.bytes_received;
      }
    }
  }
  for (auto& [name, figures] : keyed) figures.time_s.resize(side.runs.size(), 0.0);
  return keyed;
}

double median_of(std::vector<double> values) { return tuner::median(values); }

// The verdict cells: repeated runs' totals, else per-rank times (functions), else none.
std::pair<Cell, Cell> significance(const Figures& before, const Figures& after, bool repeated, bool per_rank) {
  std::span<const double> a, b;
  std::string basis;
  if (repeated) {
    a = before.time_s;
    b = after.time_s;
    basis = fmt::format("{} vs {} runs", before.time_s.size(), after.time_s.size());
  } else if (per_rank && before.per_rank_time_s.size() >= 2 && after.per_rank_time_s.size() >= 2) {
    a = before.per_rank_time_s;
    b = after.per_rank_time_s;
    basis = "ranks as samples";
  } else {
    return {Cell{"not tested (one run each)"}, Cell{"—"}};
  }
  if (tuner::median(a) <= 0) return {Cell{"not tested (no time before)"}, Cell{"—"}};
  const tuner::Comparison comparison = tuner::compare(a, b);
  const Tone tone = comparison.verdict == tuner::Verdict::Faster   ? Tone::Good
                    : comparison.verdict == tuner::Verdict::Slower ? Tone::Bad
                                                                   : Tone::Neutral;
  return {
      Cell{fmt::format("{}{}", tuner::to_string(comparison.verdict), comparison.few_samples ? " (few samples)" : ""),
           false, tone},
      Cell{fmt::format("p = {:.3g}, {}", comparison.test.p_value, basis), true}};
}

Table change_table(const std::string& what, const Keyed& before, const Keyed& after, bool repeated, bool per_rank,
                   std::size_t limit) {
  std::vector<std::string> keys;
  for (const auto& [key, figures] : before) keys.push_back(key);
  for (const auto& [key, figures] : after)
    if (!before.count(key)) keys.push_back(key);
  const auto largest = [&](const std::string& key) {
    const auto b = before.find(key), a = after.find(key);
    return std::max(b == before.end() ? 0.0 : median_of(b->second.time_s),
                    a == after.end() ? 0.0 : median_of(a->second.time_s));
  };
  std::stable_sort(keys.begin(), keys.end(), [&](const auto& x, const auto& y) { return largest(x) > largest(y); });
  Table table{
      {what, "time before", "time after", "change", "calls before → after", "bytes before → after", "verdict", "test"},
      {}};
  static const Figures none;
  for (std::size_t i = 0; i < keys.size() && i < limit; ++i) {
    const auto b = before.find(keys[i]), a = after.find(keys[i]);
    const Figures& old_figures = b == before.end() ? none : b->second;
    const Figures& new_figures = a == after.end() ? none : a->second;
    const double old_time = old_figures.time_s.empty() ? 0 : median_of(old_figures.time_s);
    const double new_time = new_figures.time_s.empty() ? 0 : median_of(new_figures.time_s);
    const std::string change =
        old_time > 0 ? fmt::format("{:+.1f} %", 100 * (new_time / old_time - 1)) : (new_time > 0 ? "new" : "—");
    auto [verdict, test] =
        b == before.end() || a == after.end()
            ? std::pair<Cell, Cell>{Cell{b == before.end() ? "only after" : "only before"}, Cell{"—"}}
            : significance(old_figures, new_figures, repeated, per_rank);
    table.rows.push_back(
        {{keys[i]},
         {seconds(old_time), true},
         {seconds(new_time), true},
         {change, true},
         {fmt::format("{} → {}", count(old_figures.calls), count(new_figures.calls)), true},
         {fmt::format("{} → {}", bytes(double(old_figures.bytes)), bytes(double(new_figures.bytes))), true},
         verdict,
         test});
  }
  return table;
}

void add_overview(Document& document, const Side& before, const Side& after) {
  const auto walls = [](const Side& side) {
    std::vector<double> values;
    for (const profile::Profile& run : side.runs) values.push_back(run.wall_time_s);
    return values;
  };
  const double old_wall = median_of(walls(before)), new_wall = median_of(walls(after));
  const double change = old_wall > 0 ? new_wall / old_wall - 1 : 0;
  document.verdict(fmt::format("Wall time {} → {} ({:+.1f} %)", seconds(old_wall), seconds(new_wall), 100 * change),
                   fmt::format("before: {} ({} run(s)); after: {} ({} run(s)); medians over runs.",
                               before.path.string(), before.runs.size(), after.path.string(), after.runs.size()),
                   change < 0   ? Tone::Good
                   : change > 0 ? Tone::Bad
                                : Tone::Neutral);
  Table table{{"", "before", "after"}, {}};
  const profile::Profile& b = before.runs.front();
  const profile::Profile& a = after.runs.front();
  table.rows = {{{"command"}, {b.command}, {a.command}},
                {{"ranks"}, {std::to_string(b.ranks), true}, {std::to_string(a.ranks), true}},
                {{"communication fraction"},
                 {percent(b.communication_fraction), true},
                 {percent(a.communication_fraction), true}},
                {{"MPI time, all ranks"}, {seconds(b.mpi_time_s), true}, {seconds(a.mpi_time_s), true}},
                {{"MPI library"}, {b.mpi_library}, {a.mpi_library}}};
  document.table(table);
}

}  // namespace

Written write_compare_report(const fs::path& before_dir, const fs::path& after_dir, const fs::path& out_base) {
  const Side before = read_side(before_dir);
  const Side after = read_side(after_dir);
  const bool repeated = before.runs.size() >= 2 && after.runs.size() >= 2;
  Document document(fmt::format("commtune comparison: {}", after.runs.front().program));
  document.section("summary", "Summary");
  add_overview(document, before, after);
  document.paragraph(repeated ? "Verdicts compare the per-run totals of the repeated runs (Mann-Whitney U, 95 % "
                                "bootstrap interval of the change, 2 % practical threshold)."
                              : "One run on a side: functions are tested with their per-rank times as the samples "
                                "(ranks of the same program as repetitions); call sites are not tested. Repeat each "
                                "run (folders of run directories) for verdicts on every row.");
  const Keyed old_functions = functions_of(before), new_functions = functions_of(after);
  document.section("functions", "MPI functions");
  BarChart chart{"compare-functions",
                 "Time in the MPI functions that took most, before and after (all ranks)",
                 "function",
                 "seconds",
                 {},
                 {"before", "after"},
                 {{}, {}}};
  chart.stacked = false;
  const Table functions = change_table("function", old_functions, new_functions, repeated, true, kChartFunctions * 4);
  for (std::size_t i = 0; i < functions.rows.size() && i < kChartFunctions; ++i) {
    const std::string& name = functions.rows[i][0].text;
    chart.categories.push_back(name);
    const auto b = old_functions.find(name), a = new_functions.find(name);
    chart.values[0].push_back(b == old_functions.end() ? 0 : median_of(b->second.time_s));
    chart.values[1].push_back(a == new_functions.end() ? 0 : median_of(a->second.time_s));
  }
  document.chart(draw(chart));
  document.table(functions);
  document.section("callsites", "Call sites");
  document.table(
      change_table("call site", callsites_of(before), callsites_of(after), repeated, false, kTableCallsites));
  fs::path html = out_base, markdown = out_base;
  html += ".html";
  markdown += ".md";
  return write_pair(document, html, markdown, {});
}

}  // namespace commtune::reports
