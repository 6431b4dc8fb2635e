// `commtune report DIR`: merges the rank dumps a run left in DIR/ranks into DIR/profile.json and
// DIR/summary.txt, then writes the tuning report (DIR/report.html, DIR/report.md; reports/).
// Ranks write those dumps when they end without MPI_Finalize (MPI_Abort, a fatal signal, SIGTERM
// from a batch system or `commtune run --timeout`) or on a SIGUSR1 snapshot; `commtune run` merges
// them by itself. `--compare BEFORE AFTER` and `--sweep --db DB` write the other two reports.
#include <fmt/core.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "commtune/pmpi/run_directory.hpp"
#include "commtune/reports/reports.hpp"
#include "commtune/tuner/results_db.hpp"
#include "profile/reader.hpp"
#include "report/report.hpp"

namespace commtune::cli {

namespace fs = std::filesystem;

ProfileState read_profile_state(const fs::path& run_dir) {
  ProfileState state;
  std::error_code error;
  state.exists = fs::exists(run_directory::profile_path(run_dir), error);
  if (!state.exists) return state;
  try {
    const profile::Profile profile = profile::read_profile(run_dir);
    state.readable = true;
    state.complete = profile.complete;
    state.partial_reason = profile.partial_reason;
  } catch (const profile::ProfileError& problem) {
    state.error = problem.what();
  }
  return state;
}

namespace {

struct ReportOptions {
  std::string dir;
  bool quiet = false;
  std::vector<std::string> compare;  // BEFORE AFTER
  bool sweep = false;
  std::string database;
  std::string hardware;
  std::string output;  // base name of the .html and .md of --compare and --sweep
  bool no_html = false;
};

// The summary on stdout, then where the files are on stderr, as `commtune run` says it.
void show(const fs::path& dir, const ProfileState& state) {
  const fs::path summary = run_directory::summary_path(dir);
  std::error_code error;
  if (std::ifstream in(summary); in) {
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    fmt::print("{}", text);
    if (!text.empty() && text.back() != '\n') fmt::print("\n");
    std::fflush(stdout);
  }
  const fs::path profile = run_directory::profile_path(dir);
  const std::string summary_note =
      fs::exists(summary, error) ? fmt::format(", summary in {}", summary.string()) : std::string(" (no summary.txt)");
  if (state.complete) {
    fmt::print(stderr, "commtune: profile in {}{}\n", profile.string(), summary_note);
  } else {
    fmt::print(stderr, "commtune: partial profile ({}): {}{}\n",
               state.partial_reason.empty() ? "reason not recorded" : state.partial_reason, profile.string(),
               summary_note);
  }
}

// The tuning report of a run whose profile.json is readable: DIR/report.html and DIR/report.md.
void write_tuning_report(const fs::path& dir, const ReportOptions& options) {
  reports::RunReportOptions run_options;
  if (!options.database.empty()) run_options.database = options.database;
  run_options.hardware_id = options.hardware;
  try {
    const reports::Written written = reports::write_run_report(dir, run_options);
    if (!options.quiet)
      fmt::print(stderr, "commtune: report in {} and {}\n", written.html.string(), written.markdown.string());
  } catch (const std::exception& problem) {
    fmt::print(stderr, "commtune report: no tuning report: {}\n", problem.what());
    throw ExitCode{1};
  }
}

void print_written(const reports::Written& written, bool quiet) {
  if (!quiet) fmt::print(stderr, "commtune: report in {} and {}\n", written.html.string(), written.markdown.string());
}

void compare_or_sweep(const ReportOptions& options) {
  try {
    if (!options.compare.empty()) {
      const fs::path after = options.compare[1];
      const fs::path out = options.output.empty() ? after / "compare" : fs::path(options.output);
      print_written(reports::write_compare_report(options.compare[0], after, out), options.quiet);
      return;
    }
    const fs::path database = options.database.empty() ? tuner::ResultsDb::default_path() : fs::path(options.database);
    const fs::path out = options.output.empty() ? fs::path("commtune-sweep-report") : fs::path(options.output);
    print_written(reports::write_sweep_report(database, options.hardware, out), options.quiet);
  } catch (const reports::ReportError& problem) {
    fmt::print(stderr, "commtune report: {}\n", problem.what());
    throw ExitCode{1};
  }
}

void merge_and_show(const ReportOptions& options) {
  const fs::path dir = fs::absolute(options.dir).lexically_normal();
  std::error_code error;
  if (!fs::is_directory(dir, error)) {
    fmt::print(stderr, "commtune report: {} is not a directory\n", dir.string());
    throw ExitCode{2};
  }
  const fs::path profile = run_directory::profile_path(dir);
  const ProfileState before = read_profile_state(dir);
  const std::vector<fs::path> dumps = run_directory::rank_dumps(dir);
  // A complete profile was merged at MPI_Finalize from every rank's final counts: a dump older than
  // it is a SIGUSR1 snapshot of the same run, never better, so nothing is merged again. A newer
  // dump comes from a later run into the same directory, which replaces it.
  if (before.readable && before.complete) {
    const auto profile_time = fs::last_write_time(profile, error);
    const bool later_run = std::any_of(dumps.begin(), dumps.end(), [&](const fs::path& dump) {
      std::error_code dump_error;
      return fs::last_write_time(dump, dump_error) > profile_time && !dump_error;
    });
    if (!later_run) {
      if (!options.quiet) show(dir, before);
      if (!options.no_html) write_tuning_report(dir, options);
      return;
    }
  }
  if (dumps.empty()) {
    if (before.readable) {
      // The partial profile from an earlier merge whose dumps have been removed since.
      if (!options.quiet) show(dir, before);
      if (!options.no_html) write_tuning_report(dir, options);
      return;
    }
    if (before.exists) {
      fmt::print(stderr, "commtune report: {}; and {} holds no rank dumps (rank-*.json) to merge\n", before.error,
                 run_directory::ranks_path(dir).string());
    } else {
      fmt::print(stderr,
                 "commtune report: nothing to report in {}: no profile.json and no rank dumps (ranks/rank-*.json). "
                 "Ranks write dumps when they end without MPI_Finalize (MPI_Abort, a fatal signal, SIGTERM) or "
                 "on SIGUSR1; a run that finished normally has its profile.json already\n",
                 dir.string());
    }
    throw ExitCode{2};
  }
  // A partial profile is merged again: more dumps may have arrived since (a later snapshot, a
  // rank that was still writing), and merging the same dumps twice gives the same result.
  report::Options report_options;
  report_options.quiet = true;  // we say where the files are ourselves, below
  // No fallback_reason: the dumps name what ended each rank, and the library the ranks without one.
  const report::Result result = report::report_from_directory(dir, report_options);
  if (!result.ok) {
    fmt::print(stderr, "commtune report: cannot merge the {} rank dump(s) in {}: {}\n", dumps.size(),
               run_directory::ranks_path(dir).string(), result.error);
    throw ExitCode{1};
  }
  if (!options.quiet) {
    ProfileState after = read_profile_state(dir);
    after.complete = result.complete;
    show(dir, after);
  }
  if (!options.no_html) write_tuning_report(dir, options);
}

void report(const ReportOptions& options) {
  if (!options.compare.empty() || options.sweep) {
    compare_or_sweep(options);
    return;
  }
  if (options.dir.empty()) {
    fmt::print(stderr, "commtune report: DIR is required (or --compare BEFORE AFTER, or --sweep)\n");
    throw ExitCode{2};
  }
  merge_and_show(options);
}

}  // namespace

void add_report_command(CLI::App& app) {
  auto options = std::make_shared<ReportOptions>();
  CLI::App* cmd = app.add_subcommand(
      "report",
      "The tuning report of a run: DIR/report.html (one self-contained file with charts) and DIR/report.md,\n"
      "after merging the rank dumps a run left in DIR/ranks (rank-*.json: ranks that ended without\n"
      "MPI_Finalize, or SIGUSR1 snapshots) into DIR/profile.json and DIR/summary.txt (summary printed).\n"
      "The profile is partial (complete: false) unless every rank reached MPI_Finalize.\n"
      "  commtune report commtune-app-20250101-120000\n"
      "  commtune report DIR --db results.sqlite          (adds the sweep results of the run's hardware)\n"
      "  commtune report --compare BEFORE AFTER           (AFTER/compare.html and .md)\n"
      "  commtune report --sweep --db results.sqlite      (commtune-sweep-report.html and .md)\n"
      "Charts need gnuplot (Debian gnuplot-nox). Exits with 2 when DIR has neither rank dumps nor a\n"
      "profile.json, with 1 when a report cannot be written.");
  cmd->add_option("DIR", options->dir, "The run's output directory (COMMTUNE_OUTPUT)");
  cmd->add_flag("--quiet", options->quiet, "Print only errors (no summary, no paths)");
  cmd->add_option("--compare", options->compare,
                  "Compare two runs: BEFORE AFTER (run directories, or folders of repeated runs' directories)")
      ->expected(2);
  cmd->add_flag("--sweep", options->sweep, "A report of the sweep results in the database alone");
  cmd->add_option("--db", options->database, "Results database (default for --sweep: the user's database)");
  cmd->add_option("--hardware", options->hardware, "Hardware fingerprint id whose sweep results to show");
  cmd->add_option("-o,--output", options->output, "Base name of the .html and .md of --compare and --sweep");
  cmd->add_flag("--no-html", options->no_html, "Only merge and summarise; no report.html / report.md");
  cmd->callback([options] { report(*options); });
}

}  // namespace commtune::cli
