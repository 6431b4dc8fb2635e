// `commtune export DIR [--otf2] [--timeline] [--window A:B] [-o OUT]`: the trace a run left in
// DIR/trace (`commtune run --trace`) as an OTF2 archive (DIR/otf2/traces.otf2: Vampir, Scalasca,
// otf2-print) and as a timeline for the browser (DIR/timeline.json: ui.perfetto.dev,
// chrome://tracing). `commtune run --trace` does the same at the end of the run; this is for runs
// launched without it, logs of a crashed run, other windows of a large timeline.
#include <fmt/core.h>

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>

#include "commands.hpp"
#include "commtune/pmpi/run_directory.hpp"
#include "trace/export/otf2_export.hpp"
#include "trace/export/timeline_export.hpp"
#include "trace/reader.hpp"

namespace commtune::cli {
namespace {

namespace fs = std::filesystem;

struct ExportOptions {
  std::string dir;
  bool otf2 = false;
  bool timeline = false;
  std::optional<std::string> window;  // "START:END" in seconds
  std::optional<std::string> output;
  std::uint64_t max_events = trace::kDefaultTimelineMaxEvents;
  bool quiet = false;
};

// What to write where: both formats by default, into DIR or OUT.
struct ExportPlan {
  std::optional<fs::path> otf2_dir;
  std::optional<fs::path> timeline_file;
  trace::TimelineOptions timeline;
};

ExportPlan plan_export(const ExportOptions& options, const fs::path& dir) {
  const bool both = options.otf2 == options.timeline;  // neither flag: both formats
  ExportPlan plan;
  // -o names the file or archive directory when one format is asked for, else the directory both go to.
  const std::optional<fs::path> out =
      options.output ? std::optional<fs::path>(fs::absolute(*options.output)) : std::nullopt;
  if (both || options.otf2) plan.otf2_dir = out && !both ? *out : run_directory::otf2_path(out.value_or(dir));
  if (both || options.timeline) {
    plan.timeline_file = out && !both ? *out : run_directory::timeline_path(out.value_or(dir));
  }
  plan.timeline.max_events = options.max_events;
  if (options.window) {
    if (!plan.timeline_file) {
      fmt::print(stderr,
                 "commtune export: --window selects part of the timeline; add --timeline (the OTF2 "
                 "archive always holds the whole trace)\n");
      throw ExitCode{2};
    }
    plan.timeline.window = trace::parse_window(*options.window);
    if (!plan.timeline.window) {
      fmt::print(stderr,
                 "commtune export: --window '{}': expected START:END in seconds from the start of the trace, "
                 "0 <= START < END (e.g. 1.5:2.25)\n",
                 *options.window);
      throw ExitCode{2};
    }
  }
  if (options.max_events == 0) {
    fmt::print(stderr, "commtune export: --max-events must be at least 1\n");
    throw ExitCode{2};
  }
  return plan;
}

int write_exports(const fs::path& dir, const ExportPlan& plan, bool quiet, std::string_view who) {
  trace::Trace trace;
  try {
    trace = trace::read_trace(dir);
  } catch (const std::exception& error) {
    fmt::print(stderr, "{}: no trace to export: {}\n", who, error.what());
    return 1;
  }
  for (const std::string& warning : trace.warnings) fmt::print(stderr, "{}: warning: {}\n", who, warning);
  int exit_code = 0;
  if (plan.otf2_dir) {
    const trace::Otf2Result result = trace::write_otf2(trace, *plan.otf2_dir);
    if (!result.ok) {
      fmt::print(stderr, "{}: the OTF2 archive could not be written: {}\n", who, result.error);
      exit_code = 1;
    } else if (!quiet) {
      fmt::print(stderr, "commtune: OTF2 archive in {} ({} events, {} locations)\n", result.anchor.string(),
                 result.events, result.locations);
    }
  }
  if (plan.timeline_file) {
    std::error_code error;
    fs::create_directories(plan.timeline_file->parent_path(), error);
    const trace::TimelineResult result = trace::write_timeline(trace, *plan.timeline_file, plan.timeline);
    if (!result.ok) {
      fmt::print(stderr, "{}: the timeline could not be written: {}\n", who, result.error);
      exit_code = 1;
    } else {
      // A cut timeline is said even when quiet: the file is not the whole run.
      if (result.cut) fmt::print(stderr, "{}: timeline {}\n", who, result.note);
      if (!quiet) {
        fmt::print(stderr,
                   "commtune: timeline in {} ({} calls, {} message arrows; open it in https://ui.perfetto.dev)\n",
                   plan.timeline_file->string(), result.calls, result.arrows);
      }
    }
  }
  return exit_code;
}

void export_command(const ExportOptions& options) {
  const fs::path dir = fs::absolute(options.dir).lexically_normal();
  std::error_code error;
  if (!fs::is_directory(dir, error)) {
    fmt::print(stderr, "commtune export: {} is not a directory\n", dir.string());
    throw ExitCode{2};
  }
  const ExportPlan plan = plan_export(options, dir);
  const int exit_code = write_exports(dir, plan, options.quiet, "commtune export");
  if (exit_code != 0) throw ExitCode{exit_code};
}

}  // namespace

int export_trace(const fs::path& dir, bool quiet) {
  ExportOptions defaults;
  return write_exports(dir, plan_export(defaults, dir), quiet, "commtune");
}

void add_export_command(CLI::App& app) {
  auto options = std::make_shared<ExportOptions>();
  CLI::App* cmd = app.add_subcommand(
      "export",
      "Convert the trace of a run (DIR/trace, from `commtune run --trace`) into an OTF2 archive\n"
      "(DIR/otf2/traces.otf2: Vampir, Scalasca, otf2-print) and a browser timeline (DIR/timeline.json:\n"
      "https://ui.perfetto.dev or chrome://tracing). Both by default; logs of a crashed run too.\n"
      "  commtune export commtune-app-20250101-120000\n"
      "  commtune export DIR --timeline --window 1.5:2 -o window.json\n"
      "A timeline of more than --max-events events is cut to the busiest window that fits (said on\n"
      "stderr and in its metadata). Exits with 2 on usage errors, 1 when DIR holds no trace.");
  cmd->add_option("DIR", options->dir, "The run's output directory (COMMTUNE_OUTPUT)")->required();
  cmd->add_flag("--otf2", options->otf2, "Write the OTF2 archive (only it, unless --timeline is given too)");
  cmd->add_flag("--timeline", options->timeline,
                "Write the Chrome trace-event JSON timeline (only it, unless --otf2 is given too)");
  cmd->add_option("--window", options->window,
                  "Timeline of the calls that start between START and END seconds from the start of the trace")
      ->type_name("START:END");
  cmd->add_option("-o,--output", options->output,
                  "With one format: the archive directory or the JSON file; with both: the directory for "
                  "otf2/ and timeline.json [default: DIR]")
      ->type_name("OUT");
  cmd->add_option(
      "--max-events", options->max_events,
      fmt::format("Largest timeline written whole, in trace events [default: {}]", trace::kDefaultTimelineMaxEvents));
  cmd->add_flag("--quiet", options->quiet, "Print only warnings and errors");
  cmd->callback([options] { export_command(*options); });
}

}  // namespace commtune::cli
