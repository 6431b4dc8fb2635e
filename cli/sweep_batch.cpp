// `commtune sweep --sbatch`: the sweep as a Slurm batch job (sweep_batch.hpp). Slurm's own commands
// (sbatch, scontrol, sacct, scancel) do the work; this file writes the script, submits it, follows
// the job's output file and state, and turns how the job ended into our exit code.
#include "sweep_batch.hpp"

#include <fcntl.h>
#include <fmt/core.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string_view>
#include <thread>

#include "commands.hpp"
#include "commtune/tuner/results_db.hpp"
#include "commtune/tuner/spec.hpp"

extern char** environ;

namespace commtune::cli {
namespace {

constexpr const char* kWho = "commtune sweep";
constexpr const char* kJobName = "commtune-sweep";
constexpr const char* kScriptName = "sweep.sbatch";
// Slurm replaces %j with the job id; output_path() does the same once the id is known.
constexpr const char* kOutputPattern = "sweep-%j.out";
constexpr std::chrono::milliseconds kTick{200};  // how often the output is copied and signals seen
constexpr std::chrono::seconds kFirstPoll{1};
constexpr std::chrono::seconds kLongestPoll{10};
// scontrol failing this many times in a row (slurmctld down for minutes) ends the wait.
constexpr int kMaxQueryFailures = 30;

// The specs' largest rank count: the job's --ntasks, so that every launch of the sweeps fits.
int largest_rank_count(const std::vector<tuner::SweepSpec>& specs) {
  int largest = 1;
  for (const tuner::SweepSpec& spec : specs) {
    for (const tuner::KernelSweep& kernel : spec.kernels) {
      for (int ranks : kernel.ranks) largest = std::max(largest, ranks);
    }
  }
  return largest;
}

// `word` as sh reads it back: as it is when it has only characters sh takes literally.
std::string shell_quote(const std::string& word) {
  const bool plain = !word.empty() && std::all_of(word.begin(), word.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::strchr("_@%+=:,./-", c) != nullptr;
  });
  if (plain) return word;
  std::string quoted = "'";
  for (char c : word) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

std::string shell_words(const std::vector<std::string>& words) {
  std::string text;
  for (const std::string& word : words) {
    if (!text.empty()) text += ' ';
    text += shell_quote(word);
  }
  return text;
}

// ---- child processes ------------------------------------------------------------------------

struct Captured {
  int exit_code = 0;  // 128 + N for signal N, 127 when it could not be started
  std::string out;    // its standard output; standard error goes to ours
};

// Runs `argv` (searched in PATH) with its stdout captured. It gets a process group of its own so
// that a Ctrl-C on the terminal reaches only us: scancel and scontrol must not die of it.
Captured capture(const std::vector<std::string>& argv) {
  Captured result;
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    result.exit_code = 127;
    return result;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attributes, 0);
  std::vector<char*> args;
  for (const std::string& word : argv) args.push_back(const_cast<char*>(word.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int spawn_error = posix_spawnp(&pid, args[0], &actions, &attributes, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  close(pipe_fds[1]);
  if (spawn_error != 0) {
    close(pipe_fds[0]);
    fmt::print(stderr, "{}: cannot run {}: {}\n", kWho, argv[0], std::strerror(spawn_error));
    result.exit_code = 127;
    return result;
  }
  char buffer[4096];
  for (;;) {
    const ssize_t n = read(pipe_fds[0], buffer, sizeof buffer);
    if (n > 0) {
      result.out.append(buffer, static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  close(pipe_fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
  return result;
}

// ---- signals --------------------------------------------------------------------------------

volatile sig_atomic_t g_signals_received = 0;
volatile sig_atomic_t g_first_signal = 0;

void on_signal(int signal_number) {
  if (g_signals_received == 0) g_first_signal = signal_number;
  g_signals_received = g_signals_received + 1;
}

// Counts SIGINT, SIGTERM and SIGHUP while it lives; the previous handlers are back afterwards.
class SignalCounter {
 public:
  SignalCounter() {
    g_signals_received = 0;
    g_first_signal = 0;
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    for (std::size_t i = 0; i < kSignals.size(); ++i) sigaction(kSignals[i], &action, &previous_[i]);
  }
  ~SignalCounter() {
    for (std::size_t i = 0; i < kSignals.size(); ++i) sigaction(kSignals[i], &previous_[i], nullptr);
  }
  SignalCounter(const SignalCounter&) = delete;
  SignalCounter& operator=(const SignalCounter&) = delete;
  int count() const { return g_signals_received; }
  int first() const { return g_first_signal; }

 private:
  static constexpr std::array<int, 3> kSignals{SIGINT, SIGTERM, SIGHUP};
  std::array<struct sigaction, 3> previous_{};
};

// ---- the job --------------------------------------------------------------------------------

std::filesystem::path output_path(const std::filesystem::path& work_dir, const std::string& job_id) {
  std::string name = kOutputPattern;
  name.replace(name.find("%j"), 2, job_id);
  return work_dir / name;
}

struct BatchOptions {
  bool sbatch = false;
  std::vector<std::string> sbatch_args;  // the user's --sbatch-arg values, in order
};

// The sweep as the job runs it: every path absolute (the job may start in another directory),
// the database resolved. The options of `commtune sweep` that the job must repeat are listed here
// one by one: an option added to SweepCommandOptions needs a line here too.
SweepCommandOptions job_options(const SweepCommandOptions& options, const std::vector<tuner::SweepSpec>& specs) {
  namespace fs = std::filesystem;
  SweepCommandOptions job = options;
  for (std::string& spec : job.specs) spec = fs::absolute(spec).string();
  // The job and this process must agree on the database: the default is resolved here, where
  // the user will look for it with `commtune results`.
  job.db = fs::absolute(options.db.empty() ? tuner::ResultsDb::default_path() : fs::path(options.db)).string();
  // A directory the job keeps (the sweep removes only a default one) and that the user finds.
  job.work_dir =
      fs::absolute(options.work_dir.empty() ? fmt::format("commtune-sweep-{}", specs.front().name) : options.work_dir)
          .string();
  return job;
}

std::vector<std::string> job_command(const SweepCommandOptions& job) {
  std::vector<std::string> command{(executable_dir() / "commtune").string(), "sweep"};
  command.insert(command.end(), job.specs.begin(), job.specs.end());
  command.insert(command.end(), {"--db", job.db, "--work-dir", job.work_dir});
  if (job.fresh) command.push_back("--fresh");
  return command;
}

std::vector<std::string> sbatch_command(const BatchOptions& batch, int ntasks, const std::filesystem::path& work_dir,
                                        const std::filesystem::path& script) {
  std::vector<std::string> command{"sbatch", "--parsable", fmt::format("--job-name={}", kJobName),
                                   fmt::format("--ntasks={}", ntasks),
                                   fmt::format("--output={}", (work_dir / kOutputPattern).string())};
  // After ours, so that the user's win where sbatch takes the last of a repeated option.
  command.insert(command.end(), batch.sbatch_args.begin(), batch.sbatch_args.end());
  command.push_back(script.string());
  return command;
}

void write_script(const std::filesystem::path& script, const std::vector<std::string>& inner,
                  const std::vector<std::string>& submit, const std::string& spec_name) {
  std::ofstream out(script);
  out << "#!/bin/sh\n"
      << "# Written by `commtune sweep --sbatch`: the sweep '" << spec_name << "' inside a Slurm allocation.\n"
      << "# Submitted with:\n#   " << shell_words(submit) << "\n"
      << "# The options are on sbatch's command line, not in #SBATCH lines; submit it again the same way.\n"
      << "exec " << shell_words(inner) << "\n";
  out.close();
  if (!out) throw std::runtime_error(fmt::format("cannot write {}", script.string()));
  std::filesystem::permissions(script, std::filesystem::perms::owner_exec, std::filesystem::perm_options::add);
}

// sbatch --parsable prints "ID" or "ID;CLUSTER".
std::optional<std::string> submit(const std::vector<std::string>& command) {
  const Captured result = capture(command);
  std::string id;
  for (char c : result.out) {
    if (c < '0' || c > '9') break;
    id += c;
  }
  if (result.exit_code != 0 || id.empty()) {
    fmt::print(stderr, "{}: sbatch failed (exit {}){}\n", kWho, result.exit_code,
               result.out.empty() ? "" : ": " + result.out);
    return std::nullopt;
  }
  return id;
}

struct JobStatus {
  bool known = false;  // Slurm answered
  std::string state;   // PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT, ...
  int exit_code = 0;   // of the batch script
  int signal = 0;      // that ended the batch script, 0 when none
  std::string nodes;
};

bool is_final(const std::string& state) {
  static const std::vector<std::string_view> kFinal{"COMPLETED", "CANCELLED", "FAILED",   "TIMEOUT",      "NODE_FAIL",
                                                    "PREEMPTED", "BOOT_FAIL", "DEADLINE", "OUT_OF_MEMORY"};
  return std::find(kFinal.begin(), kFinal.end(), state) != kFinal.end();
}

// "CODE:SIGNAL", as both scontrol and sacct write a job's ExitCode.
void parse_exit_code(const std::string& text, JobStatus& status) {
  std::sscanf(text.c_str(), "%d:%d", &status.exit_code, &status.signal);
}

// The value of `key=` in scontrol's one-line record, up to the next space.
std::string field(const std::string& record, const std::string& key) {
  const std::string needle = key + "=";
  std::size_t at = record.find(needle);
  while (at != std::string::npos && at != 0 && record[at - 1] != ' ') at = record.find(needle, at + 1);
  if (at == std::string::npos) return {};
  const std::size_t begin = at + needle.size();
  return record.substr(begin, record.find_first_of(" \n", begin) - begin);
}

JobStatus query_job(const std::string& id) {
  JobStatus status;
  const Captured record = capture({"scontrol", "show", "job", "--oneliner", id});
  if (record.exit_code == 0 && !field(record.out, "JobState").empty()) {
    status.known = true;
    status.state = field(record.out, "JobState");
    status.nodes = field(record.out, "NodeList");
    parse_exit_code(field(record.out, "ExitCode"), status);
    return status;
  }
  // slurmctld forgets a job MinJobAge (default 300 s) after it ended; the accounting keeps it.
  const Captured accounted =
      capture({"sacct", "--noheader", "--allocations", "--parsable2", "--jobs", id, "--format=State,ExitCode"});
  const std::size_t bar = accounted.out.find('|');
  if (accounted.exit_code == 0 && bar != std::string::npos) {
    status.known = true;
    status.state = accounted.out.substr(0, accounted.out.find_first_of(" |"));
    parse_exit_code(accounted.out.substr(bar + 1), status);
  }
  return status;
}

// Copies what the job appends to its output file to our stdout.
class OutputFollower {
 public:
  explicit OutputFollower(std::filesystem::path path) : path_(std::move(path)) {}
  void copy_new() {
    std::ifstream in(path_, std::ios::binary);
    if (!in) return;  // not there before the job starts
    in.seekg(static_cast<std::streamoff>(offset_));
    char buffer[8192];
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
      std::fwrite(buffer, 1, static_cast<std::size_t>(in.gcount()), stdout);
      offset_ += static_cast<std::uintmax_t>(in.gcount());
    }
    std::fflush(stdout);
  }

 private:
  std::filesystem::path path_;
  std::uintmax_t offset_ = 0;
};

int exit_code_of(const JobStatus& status) {
  if (status.signal != 0) return 128 + status.signal;
  if (status.exit_code != 0) return status.exit_code;
  return status.state == "COMPLETED" ? 0 : 1;  // e.g. NODE_FAIL with no code of its own
}

// Follows the job until Slurm reports a final state; the exit code `commtune sweep` ends with.
int wait_for_job(const std::string& id, OutputFollower& output, const SignalCounter& signals) {
  bool cancelled = false;
  int failures = 0;
  std::string last_state = "PENDING";
  auto interval = std::chrono::duration_cast<std::chrono::milliseconds>(kFirstPoll);
  auto next_poll = std::chrono::steady_clock::now() + interval;
  for (;;) {
    output.copy_new();
    if (signals.count() > 0 && !cancelled) {
      fmt::print(stderr, "{}: signal {}: cancelling Slurm job {}\n", kWho, signals.first(), id);
      capture({"scancel", id});
      cancelled = true;
      next_poll = std::chrono::steady_clock::now();
    }
    if (signals.count() > 1) {
      fmt::print(stderr, "{}: stopped waiting; Slurm job {} may still be ending (squeue -j {})\n", kWho, id, id);
      return 128 + signals.first();
    }
    if (std::chrono::steady_clock::now() >= next_poll) {
      const JobStatus status = query_job(id);
      failures = status.known ? 0 : failures + 1;
      if (failures >= kMaxQueryFailures) {
        fmt::print(stderr, "{}: Slurm says nothing about job {} any more; its output is in the work directory\n", kWho,
                   id);
        return 1;
      }
      if (status.known && status.state != last_state) {
        last_state = status.state;
        if (is_final(status.state)) {
          output.copy_new();
          fmt::print(stderr, "{}: Slurm job {} {} (exit code {}, signal {})\n", kWho, id, status.state,
                     status.exit_code, status.signal);
          return cancelled ? 128 + signals.first() : exit_code_of(status);
        }
        fmt::print(stderr, "{}: Slurm job {} {}{}\n", kWho, id, status.state,
                   status.nodes.empty() || status.nodes == "(null)" ? "" : " on " + status.nodes);
      }
      interval = std::min(interval * 3 / 2, std::chrono::duration_cast<std::chrono::milliseconds>(kLongestPoll));
      next_poll = std::chrono::steady_clock::now() + interval;
    }
    std::this_thread::sleep_for(kTick);
  }
}

// Validates the specs (each error on its line, exit 2 before anything is written), submits the
// job and waits for it.
int run_sweep_batch(const SweepCommandOptions& options, const BatchOptions& batch) {
  std::vector<tuner::SweepSpec> specs;
  int code = 0;
  for (const std::string& path : options.specs) {
    try {
      specs.push_back(tuner::load_sweep_spec(path));
    } catch (const tuner::SpecError& e) {
      fmt::print(stderr, "{}: {}\n", kWho, e.what());
      code = 2;
    }
  }
  if (code != 0) return code;
  const SweepCommandOptions job = job_options(options, specs);
  const std::filesystem::path work_dir = job.work_dir;
  const std::filesystem::path script = work_dir / kScriptName;
  const std::vector<std::string> submit_command = sbatch_command(batch, largest_rank_count(specs), work_dir, script);
  std::string names;
  for (const tuner::SweepSpec& spec : specs) names += (names.empty() ? "" : ", ") + spec.name;
  try {
    std::filesystem::create_directories(work_dir);
    write_script(script, job_command(job), submit_command, names);
  } catch (const std::exception& e) {
    fmt::print(stderr, "{}: the batch script: {}\n", kWho, e.what());
    return 1;
  }

  // Counting from before the submission: a Ctrl-C while sbatch runs must cancel the job it makes.
  const SignalCounter signals;
  const std::optional<std::string> id = submit(submit_command);
  if (!id) return 1;
  const std::filesystem::path output = output_path(work_dir, *id);
  OutputFollower follower(output);
  fmt::print(stderr, "{}: submitted Slurm job {} ({}); output {}; Ctrl-C cancels it\n", kWho, *id, script.string(),
             output.string());
  return wait_for_job(*id, follower, signals);
}

}  // namespace

void add_sweep_batch_options(CLI::App& sweep, std::shared_ptr<SweepCommandOptions> options) {
  auto batch = std::make_shared<BatchOptions>();
  sweep.add_flag("--sbatch", batch->sbatch,
                 "Run the sweep as a Slurm batch job of as many tasks as the largest rank count and wait for it: "
                 "writes WORK/sweep.sbatch (WORK: --work-dir, default ./commtune-sweep-NAME), submits it, prints "
                 "the job's output, exits with the job's exit code; Ctrl-C cancels the job "
                 "(docs/tuner.md#on-a-slurm-cluster)");
  sweep
      .add_option("--sbatch-arg", batch->sbatch_args,
                  "One more argument for sbatch (repeat it: --sbatch-arg=-N2 --sbatch-arg=--time=30)")
      ->allow_extra_args(false);
  sweep.callback([options, batch] {
    throw ExitCode{batch->sbatch && !options->check ? run_sweep_batch(*options, *batch) : run_sweep_command(*options)};
  });
}

}  // namespace commtune::cli
