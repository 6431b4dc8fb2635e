// `commtune sweep SPEC.yaml [--db PATH] [--fresh] [--work-dir DIR] [--check]`: checks the spec
// (tuner/spec.hpp) and runs it (tuner/sweep.hpp), showing progress: a live bar with the ETA and
// the current best on a terminal, plain lines otherwise; then each study's choice.
#include "cmd_sweep.hpp"

#include <fmt/core.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "build_info.hpp"
#include "commands.hpp"
#include "commtune/tuner/results_db.hpp"
#include "commtune/tuner/spec.hpp"
#include "commtune/tuner/sweep.hpp"
#include "sweep_batch.hpp"

namespace commtune::cli {
namespace {

namespace fs = std::filesystem;
using tuner::ProgressEvent;
using tuner::ProgressKind;

constexpr int kInterruptedExitCode = 130;
// Plain progress lines (not a terminal): at most one per this many seconds, besides launches.
constexpr double kPlainLineInterval_s = 10;

std::atomic<bool> stop_requested{false};

void request_stop(int) { stop_requested = true; }

std::string pairs(const tuner::Configuration& values) {
  std::vector<std::string> words;
  for (const auto& [name, value] : values) words.push_back(name + "=" + value);
  return fmt::format("{}", fmt::join(words, " "));
}

std::string duration_text(double seconds) {
  const long long s = static_cast<long long>(seconds + 0.5);
  if (s >= 3600) return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
  if (s >= 60) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}s", s);
}

// Parameters of a configuration that the spec varies (in one kernel entry, or between the entries
// of the same kernel): what tells its points and studies apart.
tuner::Configuration varied(const tuner::SweepSpec& spec, const std::string& kernel,
                            const tuner::Configuration& params) {
  std::map<std::string, std::set<std::vector<std::string>>> listed;  // name -> the value lists of the entries
  for (const tuner::KernelSweep& sweep : spec.kernels) {
    if (sweep.kernel != kernel) continue;
    for (const auto& [name, values] : sweep.grid) listed[name].insert(values);
  }
  tuner::Configuration shown;
  for (const auto& [name, lists] : listed) {
    if ((lists.size() > 1 || lists.begin()->size() > 1) && params.count(name)) shown[name] = params.at(name);
  }
  if (params.count("variant")) shown["variant"] = params.at("variant");
  return shown;
}

class ProgressPrinter {
 public:
  static std::string evaluations_text(std::size_t count) {
    return fmt::format("{} evaluation{}", count, count == 1 ? "" : "s");
  }

  ProgressPrinter(const tuner::SweepSpec& spec) : spec_(spec), terminal_(isatty(STDERR_FILENO) == 1) {}

  void operator()(const ProgressEvent& event) {
    switch (event.kind) {
      case ProgressKind::SweepStarted:
        line(fmt::format("commtune sweep: {}: {} evaluations planned", spec_.name, event.planned_evaluations));
        break;
      case ProgressKind::LaunchFinished:
        if (!terminal_) {
          line(fmt::format("  launch: {} on {} ranks{}: {:.1f} s ({:.1f} s measuring, MPI_Init {:.2f} s){}",
                           event.launch_evaluations == 0 ? std::string("fingerprint probe")
                                                         : evaluations_text(event.launch_evaluations),
                           event.ranks, event.transport.empty() ? "" : " over " + event.transport, event.launch_wall_s,
                           event.launch_measuring_s, event.launch_init_s,
                           event.exit_code == 0 ? "" : fmt::format(", exit {}", event.exit_code)));
        }
        break;
      case ProgressKind::EvaluationFinished:
        evaluation(event);
        break;
      case ProgressKind::StudyFinished:
        if (event.choice) {
          line(fmt::format("  {} on {} ranks{}: chose {} ({:.3f} us)", event.kernel, event.ranks,
                           event.transport.empty() ? "" : " over " + event.transport,
                           pairs(varied(spec_, event.kernel, event.choice->params)), event.choice->median_s * 1e6));
        }
        break;
      case ProgressKind::LaunchStarted:
        // The bar only moves when an evaluation ends: say what the wait is for.
        if (terminal_ && event.launch_evaluations > 0) {
          fmt::print(stderr, "\r\033[K[{}/{}] launching {} on {} ranks{}...", event.done_evaluations,
                     event.planned_evaluations, evaluations_text(event.launch_evaluations), event.ranks,
                     event.transport.empty() ? "" : " over " + event.transport);
          bar_shown_ = true;
        }
        break;
      case ProgressKind::SweepFinished:
        break;
    }
  }

  void finish() {
    if (terminal_ && bar_shown_) fmt::print(stderr, "\n");
    bar_shown_ = false;
  }

 private:
  void line(const std::string& text) {
    if (terminal_ && bar_shown_) fmt::print(stderr, "\r\033[K");
    fmt::print(stderr, "{}\n", text);
    bar_shown_ = false;
  }

  void evaluation(const ProgressEvent& event) {
    const double fraction =
        event.planned_evaluations ? std::min(1.0, double(event.done_evaluations) / event.planned_evaluations) : 0;
    std::string eta = "?";
    if (event.done_evaluations > 0 && event.done_evaluations < event.planned_evaluations) {
      eta = duration_text(event.elapsed_s / event.done_evaluations *
                          double(event.planned_evaluations - event.done_evaluations));
    } else if (event.done_evaluations >= event.planned_evaluations) {
      eta = "0s";
    }
    std::string best = "-";
    if (event.best_value_s) {
      best =
          fmt::format("{:.3f} us {}", *event.best_value_s * 1e6, pairs(varied(spec_, event.kernel, event.best_params)));
    }
    if (event.status != "measured" && event.status != "recorded") {
      line(fmt::format("  {} {}: {}", event.kernel, pairs(varied(spec_, event.kernel, event.params)), event.status));
    }
    if (terminal_) {
      constexpr int kWidth = 24;
      const int filled = static_cast<int>(fraction * kWidth);
      std::string text =
          fmt::format("[{}{}] {}/{} ETA {} best {}", std::string(filled, '#'), std::string(kWidth - filled, '.'),
                      event.done_evaluations, event.planned_evaluations, eta, best);
      if (text.size() > 150) text.resize(150);
      fmt::print(stderr, "\r\033[K{}", text);
      bar_shown_ = true;
      return;
    }
    if (event.elapsed_s - last_plain_s_ >= kPlainLineInterval_s) {
      last_plain_s_ = event.elapsed_s;
      line(fmt::format("  {}/{} evaluations, {} elapsed, ETA {}, best {}", event.done_evaluations,
                       event.planned_evaluations, duration_text(event.elapsed_s), eta, best));
    }
  }

  const tuner::SweepSpec& spec_;
  bool terminal_;
  bool bar_shown_ = false;
  double last_plain_s_ = 0;
};

void print_choice(const tuner::SweepSpec& spec, const tuner::StudyOutcome& study) {
  const tuner::ChoiceRecord& c = study.choice;
  fmt::print("{} on {} ranks{} (seed {}, hardware {}):\n", c.kernel, c.ranks,
             study.transport.empty() ? "" : " over " + study.transport, study.seed, c.hardware_id);
  fmt::print("  chosen:   {}  median {:.3f} us, 95% CI [{:.3f}, {:.3f}]\n", pairs(varied(spec, c.kernel, c.params)),
             c.median_s * 1e6, c.ci_low_s * 1e6, c.ci_high_s * 1e6);
  if (c.baseline_median_s) {
    fmt::print("  baseline: {}  median {:.3f} us, 95% CI [{:.3f}, {:.3f}]\n",
               pairs(varied(spec, c.kernel, c.baseline_params)), *c.baseline_median_s * 1e6, *c.baseline_ci_low_s * 1e6,
               *c.baseline_ci_high_s * 1e6);
    fmt::print("  gain:     {:.1f}% of the baseline's time, 95% CI [{:.1f}%, {:.1f}%]: {}\n", *c.gain * 100,
               *c.gain_ci_low * 100, *c.gain_ci_high * 100, c.verdict);
  } else {
    fmt::print("  baseline: {}: {}\n", pairs(varied(spec, c.kernel, c.baseline_params)), c.verdict);
  }
  for (const tuner::Configuration& other : c.indistinguishable) {
    fmt::print("  statistically indistinguishable: {}\n", pairs(varied(spec, c.kernel, other)));
  }
}

fs::path default_work_dir(const tuner::SweepSpec& spec) {
  std::error_code error;
  fs::path base = fs::temp_directory_path(error);
  if (error) base = "/tmp";
  return base / fmt::format("commtune-sweep-{}-{}", spec.name, getpid());
}

fs::path driver_path() {
  if (const char* forced = std::getenv("COMMTUNE_SWEEP_DRIVER"); forced && *forced) return forced;
  return executable_dir() / "commtune-sweep-driver";
}

int run_one(const tuner::SweepSpec& spec, const SweepCommandOptions& options) {
  ProgressPrinter printer(spec);
  tuner::SweepOptions sweep;
  sweep.db_path = options.db.empty() ? tuner::ResultsDb::default_path() : fs::path(options.db);
  sweep.driver_path = driver_path();
  sweep.mpirun = std::string(build::kMpiFlavour) == "mpich" ? "mpirun.mpich" : "mpirun";
  sweep.work_dir = options.work_dir.empty() ? default_work_dir(spec) : fs::path(options.work_dir);
  sweep.fresh = options.fresh;
  sweep.stop = &stop_requested;
  sweep.progress = [&printer](const ProgressEvent& event) { printer(event); };
  tuner::SweepOutcome outcome;
  try {
    outcome = tuner::run_sweep(spec, sweep);
  } catch (const std::exception& e) {
    printer.finish();
    fmt::print(stderr, "commtune sweep: {}\n", e.what());
    return 1;
  }
  printer.finish();
  if (options.work_dir.empty()) {
    std::error_code ignored;
    fs::remove_all(sweep.work_dir, ignored);
  }
  for (const tuner::StudyOutcome& study : outcome.studies) print_choice(spec, study);
  fmt::print(
      "sweep {} {}: {} evaluations measured, {} failed, {} resumed from {}; {} launches ({} failed); {} wall, "
      "{:.1f} s in launches: {:.1f} s measuring, {:.1f} s start-up and tear-down (MPI_Init {:.1f} s)\n",
      spec.name, tuner::to_string(outcome.status), outcome.evaluations_measured, outcome.evaluations_failed,
      outcome.evaluations_recorded, sweep.db_path.string(), outcome.launches, outcome.launches_failed,
      duration_text(outcome.wall_s), outcome.launches_wall_s, outcome.measuring_s,
      outcome.launches_wall_s - outcome.measuring_s, outcome.init_s);
  if (outcome.budget_exhausted) fmt::print("the budget stopped the sweep; run it again to go on\n");
  std::fflush(stdout);
  if (outcome.status == tuner::SweepStatus::Interrupted) {
    fmt::print(stderr, "commtune sweep: interrupted; run the same command again to resume\n");
    return kInterruptedExitCode;
  }
  if (outcome.status == tuner::SweepStatus::Failed) {
    fmt::print(stderr, "commtune sweep: the sweep failed: {}\n", outcome.message);
    return 1;
  }
  return 0;
}

}  // namespace

int run_sweep_command(const SweepCommandOptions& options) {
  std::vector<tuner::SweepSpec> specs;
  int code = 0;
  for (const std::string& path : options.specs) {
    try {
      specs.push_back(tuner::load_sweep_spec(path));
      if (options.check) fmt::print("{}", tuner::format_plan(specs.back(), tuner::plan_sweep(specs.back())));
    } catch (const tuner::SpecError& e) {
      // One line per spec: file:line:column: key: message, accepted values included.
      fmt::print(stderr, "commtune sweep: {}\n", e.what());
      code = 2;
    }
  }
  std::fflush(stdout);
  if (options.check || code != 0) return code;
  std::signal(SIGINT, request_stop);
  std::signal(SIGTERM, request_stop);
  for (const tuner::SweepSpec& spec : specs) {
    code = run_one(spec, options);
    if (code != 0) break;
  }
  return code;
}

void add_sweep_command(CLI::App& app) {
  auto options = std::make_shared<SweepCommandOptions>();
  CLI::App* cmd = app.add_subcommand(
      "sweep",
      "Run sweep specs (YAML, schema commtune.sweep/1; examples in configs/sweeps/): measure the kernels' "
      "configurations with commtune-sweep-driver, many per launch, into the results database, then re-measure each "
      "study's finalists and print the chosen configuration against the baseline.\n"
      "  commtune sweep configs/sweeps/batching.yaml\n"
      "  commtune sweep --check configs/sweeps/batching.yaml   (validate and print the plan only)\n"
      "Running the same spec again resumes it. Exit codes: 0 finished, 2 a spec is not accepted (one line per "
      "spec: file:line:column: key: what is wrong and what is accepted), 130 interrupted, 1 the sweep failed.");
  cmd->add_option("spec", options->specs, "Sweep spec files")->required();
  cmd->add_flag("--check", options->check, "Validate and print the plan without running anything");
  cmd->add_option("--db", options->db, "Results database (default: $XDG_DATA_HOME/commtune/results.sqlite)");
  cmd->add_flag("--fresh", options->fresh, "Start a new sweep instead of resuming the recorded one");
  cmd->add_option("--work-dir", options->work_dir,
                  "Directory for the launches' plan and result files (default: a temporary one, removed after)");
  cmd->callback([options] { throw ExitCode{run_sweep_command(*options)}; });
  add_sweep_batch_options(*cmd, options);  // --sbatch: its callback submits, or calls run_sweep_command
}

}  // namespace commtune::cli
