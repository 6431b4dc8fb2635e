// `commtune results [--db DB] [--kernel K] [--format table|csv|json]`: lists the points of the
// results database (tuner/results_db.hpp) with their statistics and failures, or exports them.
#include <fmt/core.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "commands.hpp"
#include "commtune/tuner/results_db.hpp"
#include "commtune/tuner/statistics.hpp"

namespace commtune::cli {
namespace {

using tuner::PointRow;

inline constexpr const char* kExportSchema = "commtune.results_export/1";

struct ResultsOptions {
  std::string db;
  std::string kernel;
  std::string format = "table";
};

std::string pairs(const tuner::Configuration& values) {
  std::string text;
  for (const auto& [name, value] : values) text += fmt::format("{}{}={}", text.empty() ? "" : " ", name, value);
  return text;
}

// RFC 4180: quote a field holding a comma, quote or line break; double the quotes inside.
std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

// Below 6 samples no order-statistics interval reaches 95 % (tuner/statistics.hpp): such rows are
// marked, as are noisy ones.
constexpr double kConfidence = 0.95;

std::string table_figures(const tuner::StoredStatistics& s) {
  const bool noisy = s.cv > tuner::SampleSummary::kNoisyCv;
  const std::string interval =
      fmt::format("[{:.3f}, {:.3f}]{}", s.ci_low_s * 1e6, s.ci_high_s * 1e6, s.ci_coverage < kConfidence ? "*" : "");
  return fmt::format("{:>7}  {:>12.3f}  {:>27}  {:>12.3f}  {:>6}  {:>8}", s.sample_count, s.median_s * 1e6, interval,
                     s.min_s * 1e6, fmt::format("{:.1f}{}", s.cv * 100, noisy ? "!" : ""), s.outlier_count);
}

void print_table(const std::vector<PointRow>& rows) {
  fmt::print("{:<16}  {:<12}  {:<9}  {:>5}  {:>7}  {:>12}  {:>27}  {:>12}  {:>6}  {:>8}  {}\n", "hardware", "kernel",
             "status", "ranks", "samples", "median_us", "median_95%_ci_us", "min_us", "cv_%", "outliers", "parameters");
  bool any_short_interval = false;
  for (const PointRow& row : rows) {
    std::string figures = fmt::format("{:>7}  {:>12}  {:>27}  {:>12}  {:>6}  {:>8}", 0, "-", "-", "-", "-", "-");
    if (row.statistics) {
      figures = table_figures(*row.statistics);
      any_short_interval = any_short_interval || row.statistics->ci_coverage < kConfidence;
    }
    std::string parameters = pairs(row.key.params);
    if (!row.key.settings.empty()) parameters += " | " + pairs(row.key.settings);
    if (!row.failure.empty()) parameters += " | " + row.failure;
    fmt::print("{:<16}  {:<12}  {:<9}  {:>5}  {}  {}\n", row.key.hardware_id, row.key.kernel, row.status, row.key.ranks,
               figures, parameters);
  }
  if (any_short_interval) fmt::print("* fewer than 6 samples: the interval is [min, max], coverage below 95%\n");
  fmt::print("! coefficient of variation above {:.0f}%: noisy\n", tuner::SampleSummary::kNoisyCv * 100);
}

void print_csv(const std::vector<PointRow>& rows) {
  fmt::print(
      "point_id,sweep_id,hardware_id,kernel,ranks,status,params,settings,launches,samples,median_s,ci_low_s,"
      "ci_high_s,ci_coverage,min_s,mean_s,cv,outliers,failure\n");
  for (const PointRow& row : rows) {
    std::string figures = ",,,,,,,,";
    if (row.statistics) {
      const tuner::StoredStatistics& s = *row.statistics;
      figures = fmt::format("{},{},{},{},{},{},{},{},{}", s.sample_count, s.median_s, s.ci_low_s, s.ci_high_s,
                            s.ci_coverage, s.min_s, s.mean_s, s.cv, s.outlier_count);
    }
    fmt::print(
        "{},{},{},{},{},{},{},{},{},{},{}\n", row.id, row.sweep_id, csv_field(row.key.hardware_id),
        csv_field(row.key.kernel), row.key.ranks, row.status, csv_field(tuner::to_canonical_json(row.key.params)),
        csv_field(tuner::to_canonical_json(row.key.settings)), row.launch_count, figures, csv_field(row.failure));
  }
}

void print_json(const std::vector<PointRow>& rows, const std::filesystem::path& db) {
  nlohmann::json document{{"schema", kExportSchema}, {"database", db.string()}, {"points", nlohmann::json::array()}};
  for (const PointRow& row : rows) {
    nlohmann::json point{
        {"point_id", row.id},       {"sweep_id", row.sweep_id},     {"hardware_id", row.key.hardware_id},
        {"kernel", row.key.kernel}, {"ranks", row.key.ranks},       {"status", row.status},
        {"params", row.key.params}, {"settings", row.key.settings}, {"launches", row.launch_count},
        {"statistics", nullptr},    {"failure", row.failure}};
    if (row.statistics) {
      const tuner::StoredStatistics& s = *row.statistics;
      point["statistics"] = {{"samples", s.sample_count},    {"median_s", s.median_s},
                             {"ci_low_s", s.ci_low_s},       {"ci_high_s", s.ci_high_s},
                             {"ci_coverage", s.ci_coverage}, {"min_s", s.min_s},
                             {"mean_s", s.mean_s},           {"cv", s.cv},
                             {"outliers", s.outlier_count}};
    }
    document["points"].push_back(std::move(point));
  }
  fmt::print("{}\n", document.dump(2));
}

void list_results(const ResultsOptions& options) {
  const std::filesystem::path path =
      options.db.empty() ? tuner::ResultsDb::default_path() : std::filesystem::path(options.db);
  std::error_code error;
  if (!std::filesystem::exists(path, error)) {
    fmt::print(stderr, "commtune results: no results database at {} (a sweep creates it; choose one with --db)\n",
               path.string());
    throw ExitCode{1};
  }
  std::vector<PointRow> rows;
  try {
    tuner::ResultsDb db(path, tuner::ResultsDb::Mode::ReadOnly);
    rows = db.list_points({options.kernel, ""});
  } catch (const std::exception& e) {
    fmt::print(stderr, "commtune results: {}\n", e.what());
    throw ExitCode{1};
  }
  if (options.format == "csv") return print_csv(rows);
  if (options.format == "json") return print_json(rows, path);
  if (rows.empty()) {
    fmt::print("no points{} in {}\n", options.kernel.empty() ? "" : " of kernel " + options.kernel, path.string());
    return;
  }
  print_table(rows);
}

}  // namespace

void add_results_command(CLI::App& app) {
  auto options = std::make_shared<ResultsOptions>();
  CLI::App* command = app.add_subcommand(
      "results",
      "List or export the points of the results database: statistics (median, 95% CI, min, CV, outliers) and "
      "failures, per hardware fingerprint. Times in the table are microseconds; CSV and JSON carry seconds.");
  command->add_option("--db", options->db, "Results database (default: $XDG_DATA_HOME/commtune/results.sqlite)");
  command->add_option("--kernel", options->kernel, "Only this kernel's points");
  command->add_option("--format", options->format, "table, csv or json (schema commtune.results_export/1)")
      ->check(CLI::IsMember({"table", "csv", "json"}));
  command->callback([options] { list_results(*options); });
}

}  // namespace commtune::cli
