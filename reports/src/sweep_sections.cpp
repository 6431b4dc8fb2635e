#include "sweep_sections.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "format.hpp"

namespace commtune::reports {

namespace {

// Which parameter of which kernel is drawn on the x axis, and which parameters tell the lines
// apart. One list; a kernel without an entry is shown as a table only.
struct SweepAxis {
  const char* kernel;
  const char* parameter;
  const char* label;
  bool log_x;
  std::vector<const char*> series;
};
const std::vector<SweepAxis>& sweep_axes() {
  static const std::vector<SweepAxis> axes = {
      {"batching", "batch_bytes", "batch size (bytes)", true, {"codec", "level"}},
      {"load_balance", "threads", "threads per rank", false, {"variant"}},
      {"load_balance", "poll_interval_us", "polling interval (us)", true, {"variant"}},
      {"overlap", "chunks", "chunks", true, {"variant"}},
      {"nonblocking", "message_bytes", "message size (bytes)", true, {"variant"}},
  };
  return axes;
}

std::optional<double> numeric(const tuner::Configuration& params, const std::string& name) {
  const auto found = params.find(name);
  if (found == params.end()) return std::nullopt;
  try {
    std::size_t used = 0;
    const double value = std::stod(found->second, &used);
    return used == found->second.size() ? std::optional<double>(value) : std::nullopt;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::string describe(const tuner::Configuration& params) {
  std::string text;
  for (const auto& [name, value] : params) text += fmt::format("{}{}={}", text.empty() ? "" : " ", name, value);
  return text;
}

// One chart: per series (and rank count) the fastest measured point at each x, since the other
// parameters vary too; the caption says so.
Chart axis_chart(const SweepAxis& axis, const std::vector<tuner::PointRow>& points, const std::string& name) {
  std::map<std::string, std::map<double, const tuner::PointRow*>> best;  // series -> x -> point
  for (const tuner::PointRow& point : points) {
    if (point.key.kernel != axis.kernel || !point.statistics) continue;
    const auto x = numeric(point.key.params, axis.parameter);
    if (!x) continue;
    std::string series = fmt::format("{} ranks", point.key.ranks);
    for (const char* parameter : axis.series) {
      const auto found = point.key.params.find(parameter);
      if (found != point.key.params.end()) series += fmt::format(" {}={}", parameter, found->second);
    }
    const tuner::PointRow*& slot = best[series][*x];
    if (!slot || point.statistics->median_s < slot->statistics->median_s) slot = &point;
  }
  LineChart chart{name,
                  fmt::format("{}: median time per iteration against {} (fastest point per value; bars: 95 % "
                              "interval of the median)",
                              axis.kernel, axis.label),
                  axis.label,
                  "time per iteration (s)",
                  {}};
  chart.log_x = axis.log_x;
  for (const auto& [series, by_x] : best) {
    if (by_x.size() < 2) continue;  // a line needs two values of the parameter
    LineSeries line{series, {}, {}, {}, {}};
    for (const auto& [x, point] : by_x) {
      line.x.push_back(x);
      line.y.push_back(point->statistics->median_s);
      line.y_low.push_back(point->statistics->ci_low_s);
      line.y_high.push_back(point->statistics->ci_high_s);
    }
    chart.series.push_back(std::move(line));
  }
  if (chart.series.empty()) return Chart{name, chart.title, {}, {}};
  return draw(chart);
}

void choices_table(Document& document, const std::vector<tuner::ChoiceRecord>& choices) {
  if (choices.empty()) {
    document.not_recorded("no sweep of this fingerprint recorded a choice");
    return;
  }
  Table table{{"kernel", "ranks", "chosen configuration", "median", "95 % interval", "baseline median", "gain",
               "gain 95 % interval", "verdict"},
              {}};
  for (const tuner::ChoiceRecord& choice : choices) {
    const Tone tone = choice.verdict == "faster" ? Tone::Good : Tone::Neutral;
    table.rows.push_back({{choice.kernel},
                          {std::to_string(choice.ranks), true},
                          {describe(choice.params)},
                          {seconds(choice.median_s), true},
                          {fmt::format("{} – {}", seconds(choice.ci_low_s), seconds(choice.ci_high_s)), true},
                          {choice.baseline_median_s ? seconds(*choice.baseline_median_s) : "failed", true},
                          {choice.gain ? percent(*choice.gain) : "—", true, tone},
                          {choice.gain_ci_low && choice.gain_ci_high
                               ? fmt::format("{} – {}", percent(*choice.gain_ci_low), percent(*choice.gain_ci_high))
                               : "—",
                           true},
                          {choice.verdict, false, tone}});
  }
  document.table(table);
}

}  // namespace

void add_sweep_results(Document& document, const tuner::ResultsDb& database, const std::string& hardware_id,
                       const std::string& chart_prefix) {
  const std::vector<tuner::PointRow> points = database.list_points({.kernel = "", .hardware_id = hardware_id});
  std::set<std::string> kernels;
  for (const tuner::PointRow& point : points) kernels.insert(point.key.kernel);
  if (kernels.empty()) {
    document.not_recorded(
        fmt::format("the database {} holds no sweep points for hardware {}", database.path().string(), hardware_id));
    return;
  }
  document.paragraph(
      fmt::format("{} points of {} kernel(s) measured on hardware {}.", points.size(), kernels.size(), hardware_id));
  int index = 0;
  for (const SweepAxis& axis : sweep_axes()) {
    if (!kernels.count(axis.kernel)) continue;
    const Chart chart = axis_chart(axis, points, fmt::format("{}-sweep-{}", chart_prefix, index++));
    if (!chart.svg.empty() || !chart.error.empty()) document.chart(chart);
  }
  document.subsection("What the sweeps chose");
  std::vector<tuner::ChoiceRecord> choices = database.list_choices({.kernel = "", .hardware_id = hardware_id});
  choices_table(document, choices);
}

}  // namespace commtune::reports
