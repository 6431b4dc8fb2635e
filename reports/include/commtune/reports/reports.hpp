// The tuning reports (docs/report.md): one self-contained HTML file (styles inline, charts as
// gnuplot-made SVG inlined, no script, no network request) and the same sections in Markdown.
// They present what the readers return (profile/reader.hpp, trace/reader.hpp, the results
// database, read_recommendations()) and judge nothing themselves beyond naming a few thresholds
// (docs/report.md). The CLI (`commtune report`) calls them.
#pragma once

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace commtune::reports {

// A report that cannot be written: what() names the file or the database and why.
class ReportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Written {
  std::filesystem::path html;
  std::filesystem::path markdown;
  std::vector<std::string> notes;  // what was not recorded or could not be read (also in the report)
};

struct RunReportOptions {
  std::optional<std::filesystem::path> database;  // sweep results to show (`--db`)
  std::string hardware_id;                        // whose sweep results; empty: DIR/hardware.json's id
};

// DIR/report.html and DIR/report.md (run_directory::report_html_path / report_markdown_path) from
// DIR/profile.json and, when present, DIR/hardware.json, DIR/recommendations.yaml and DIR/trace.
// Throws ReportError when the profile cannot be read.
Written write_run_report(const std::filesystem::path& run_dir, const RunReportOptions& options);

// OUT.html and OUT.md: what changed per function and call site between two runs.
Written write_compare_report(const std::filesystem::path& before_dir, const std::filesystem::path& after_dir,
                             const std::filesystem::path& out_base);

// OUT.html and OUT.md: the sweep results of a database, per hardware fingerprint (only
// `hardware_id`'s when not empty). Throws ReportError when the database cannot be opened.
Written write_sweep_report(const std::filesystem::path& database, const std::string& hardware_id,
                           const std::filesystem::path& out_base);

}  // namespace commtune::reports
