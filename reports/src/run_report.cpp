// `commtune report DIR`: the run report. One function per section, each taking what the readers
// returned and adding its part to the page; the same sections in the same order on every run.
#include <fmt/core.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>

#include "commtune/analysis/recommendations.hpp"
#include "commtune/pmpi/run_directory.hpp"
#include "commtune/reports/reports.hpp"
#include "commtune/tuner/fingerprint.hpp"
#include "commtune/tuner/results_db.hpp"
#include "document.hpp"
#include "format.hpp"
#include "profile/reader.hpp"
#include "run_sections.hpp"
#include "sweep_sections.hpp"
#include "trace/reader.hpp"
#include "writing.hpp"

namespace commtune::reports {

namespace fs = std::filesystem;

namespace {

// What the run directory holds besides the profile, each absent when not recorded; `notes` says
// why something present could not be read.
struct RunFacts {
  profile::Profile profile;
  std::optional<tuner::HardwareFingerprint> hardware;
  std::optional<analysis::Recommendations> recommendations;
  std::optional<trace::Trace> trace;
  std::vector<std::string> notes;
};

RunFacts read_facts(const fs::path& dir) {
  RunFacts facts{profile::read_profile(dir), {}, {}, {}, {}};
  std::error_code error;
  if (const fs::path file = run_directory::hardware_path(dir); fs::exists(file, error)) {
    try {
      std::ifstream in(file);
      facts.hardware = tuner::HardwareFingerprint::from_json(nlohmann::json::parse(in));
    } catch (const std::exception& problem) {
      facts.notes.push_back(fmt::format("{} could not be read: {}", file.string(), problem.what()));
    }
  }
  if (const fs::path file = run_directory::recommendations_path(dir); fs::exists(file, error)) {
    try {
      facts.recommendations = analysis::read_recommendations(file);
    } catch (const std::exception& problem) {
      facts.notes.push_back(fmt::format("{} could not be read: {}", file.string(), problem.what()));
    }
  }
  if (!run_directory::trace_logs(dir).empty()) {
    try {
      facts.trace = trace::read_trace(dir, trace::ReadOptions{.resolve_sites = false});
    } catch (const std::exception& problem) {
      facts.notes.push_back(fmt::format("the trace in {} could not be read: {}",
                                        run_directory::trace_path(dir).string(), problem.what()));
    }
  }
  return facts;
}

void add_sweeps(Document& document, const RunFacts& facts, const RunReportOptions& options) {
  document.section("sweeps", "Sweep results on this hardware");
  if (!options.database) {
    document.not_recorded("no results database given (commtune report DIR --db DB)");
    return;
  }
  std::string hardware_id = options.hardware_id;
  if (hardware_id.empty() && facts.hardware) hardware_id = facts.hardware->id();
  if (hardware_id.empty()) {
    document.not_recorded("the run has no hardware.json and no --hardware was given: whose sweeps to show is unknown");
    return;
  }
  try {
    const tuner::ResultsDb database(*options.database, tuner::ResultsDb::Mode::ReadOnly);
    add_sweep_results(document, database, hardware_id, "run");
  } catch (const std::exception& problem) {
    document.not_recorded(fmt::format("the results database could not be read: {}", problem.what()));
  }
}

}  // namespace

Written write_run_report(const fs::path& run_dir, const RunReportOptions& options) {
  RunFacts facts = [&] {
    try {
      return read_facts(run_dir);
    } catch (const profile::ProfileError& problem) {
      throw ReportError(problem.what());
    }
  }();
  const profile::Profile& profile = facts.profile;
  Document document(
      fmt::format("commtune report: {}", profile.program.empty() ? "(program not recorded)" : profile.program));
  const analysis::Recommendations* recommendations = facts.recommendations ? &*facts.recommendations : nullptr;
  add_first_page(document, profile, recommendations);
  add_run(document, profile, facts.hardware ? &*facts.hardware : nullptr);
  add_functions(document, profile);
  add_callsites(document, profile);
  add_message_sizes(document, profile);
  add_matrix(document, profile);
  add_imbalance(document, profile);
  add_wait_states(document, profile);
  add_requests(document, profile);
  add_timeline(document, facts.trace ? &*facts.trace : nullptr);
  add_sweeps(document, facts, options);
  add_recommendations(document, recommendations);
  add_notes(document, profile, recommendations, facts.notes);
  return write_pair(document, run_directory::report_html_path(run_dir), run_directory::report_markdown_path(run_dir),
                    facts.notes);
}

}  // namespace commtune::reports
