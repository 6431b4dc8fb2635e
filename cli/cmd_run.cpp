// `commtune run [options] -- <launcher and program...>`: runs the command with the preload
// library injected into the ranks and exits with the program's exit code. The ranks' records end
// up in DIR/ranks (saved by rank 0 at MPI_Finalize, or by each rank when it ends without it),
// which it merges into profile.json once the launcher has exited (partial in the second case).
#include <fmt/chrono.h>
#include <fmt/core.h>
#include <fmt/ranges.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <ranges>
#include <string>
#include <vector>

#include "commands.hpp"
#include "commtune/launch/launcher.hpp"
#include "commtune/pmpi/run_directory.hpp"
#include "commtune/pmpi/settings.hpp"
#include "report/report.hpp"

extern char** environ;

namespace commtune::cli {
namespace {

namespace fs = std::filesystem;

std::string shell_quote(const std::string& word) {
  if (word.find_first_of(" \t\n'\"\\$`*?[]{}()<>|&;#~") == std::string::npos && !word.empty()) return word;
  std::string quoted = "'";
  for (char c : word) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

// What the ranks need besides the library: every COMMTUNE_* variable of our environment, overridden
// by the settings given on the command line. They travel as they are; the library checks them and
// warns about what it does not know, so that a stray variable never stops the program.
std::map<std::string, std::string> rank_settings(const std::map<std::string, std::string>& given) {
  std::map<std::string, std::string> settings;
  for (char** entry = environ; *entry; ++entry) {
    const std::string_view variable(*entry);
    if (!variable.starts_with("COMMTUNE_")) continue;
    const auto equals = variable.find('=');
    if (equals == std::string_view::npos) continue;
    settings[std::string(variable.substr(0, equals))] = variable.substr(equals + 1);
  }
  for (const auto& [name, value] : given) {
    if (!value.empty()) settings[name] = value;
  }
  return settings;
}

struct RunOptions {
  std::map<std::string, std::string> settings;  // env name -> value given on the command line
  bool quiet = false;
  std::optional<std::string> timeout;  // as given: "90", "90s", "5m", "1h"
};

// "90", "90s", "5m", "1h": a positive whole number of seconds, minutes or hours.
std::optional<std::chrono::seconds> parse_timeout(const std::string& text) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0 || digits > 9 || text.size() - digits > 1) return std::nullopt;  // 9 digits: no overflow
  const long long number = std::stoll(text.substr(0, digits));
  if (number <= 0) return std::nullopt;
  const std::string unit = text.substr(digits);
  if (unit.empty() || unit == "s") return std::chrono::seconds(number);
  if (unit == "m") return std::chrono::minutes(number);
  if (unit == "h") return std::chrono::hours(number);
  return std::nullopt;
}

// Identifies one version of a file, to tell whether the run wrote profile.json or it is an
// earlier run's: an inode and modification time, compared before and after rather than against
// our clock, which a network file system's server need not share.
struct FileVersion {
  bool exists = false;
  ino_t inode = 0;
  timespec modified{};
  bool operator==(const FileVersion& other) const {
    return exists == other.exists && inode == other.inode && modified.tv_sec == other.modified.tv_sec &&
           modified.tv_nsec == other.modified.tv_nsec;
  }
};

FileVersion file_version(const fs::path& path) {
  struct stat info {};
  if (stat(path.c_str(), &info) != 0) return {};
  return {true, info.st_ino, info.st_mtim};
}

// Dumps left in DIR/ranks by an earlier run into the same directory would be merged with this
// run's: remove them (they are ours, and that run's profile.json is being replaced anyway).
void remove_stale_dumps(const fs::path& dir) {
  for (const fs::path& dump : run_directory::rank_dumps(dir)) {
    std::error_code error;
    fs::remove(dump, error);
    if (error) {
      fmt::print(stderr,
                 "commtune run: warning: cannot remove {} left by an earlier run ({}); a partial profile "
                 "of this run would include it\n",
                 dump.string(), error.message());
    }
  }
}

// After the launcher has exited: merges the ranks' records into profile.json (partial when the
// ranks did not all reach MPI_Finalize), unless rank 0 wrote it itself (COMMTUNE_REPORT=rank0).
// Returns whether DIR now holds this run's profile.
bool finish_profile(const fs::path& dir, const FileVersion& profile_before, bool timed_out,
                    const std::string& timeout_text, bool quiet) {
  const fs::path profile = run_directory::profile_path(dir);
  const FileVersion profile_after = file_version(profile);
  // Written at MPI_Finalize: rank 0's banner has said where already.
  if (profile_after.exists && !(profile_after == profile_before)) return true;
  const std::vector<fs::path> dumps = run_directory::rank_dumps(dir);
  std::error_code error;
  if (dumps.empty()) {
    if (!quiet) {
      fmt::print(stderr,
                 "commtune: no profile in {}: the program did not reach MPI_Finalize through MPI_Init, "
                 "or the library wrote it elsewhere (see its warnings above){}\n",
                 dir.string(), profile_after.exists ? "; its profile.json is from an earlier run" : "");
    }
    return false;
  }
  report::Options options;
  options.quiet = quiet;
  options.quiet_when_partial = true;  // the one line below says it all
  // The library names what ended each rank and which ranks left no dump; the timeout is what
  // only we know. (A generic "did not reach MPI_Finalize" would repeat what "partial" says.)
  if (timed_out) options.fallback_reason = fmt::format("timeout after {}", timeout_text);
  const report::Result result = report::report_from_directory(dir, options);
  if (!result.ok) {
    fmt::print(stderr, "commtune: the ranks left {} dump(s) in {} but they could not be merged: {}\n", dumps.size(),
               run_directory::ranks_path(dir).string(), result.error);
    return false;
  }
  if (result.complete) {
    // The profile holds all of it: the output directory looks as after a rank-0 report.
    for (const fs::path& dump : dumps) fs::remove(dump, error);
    fs::remove(run_directory::ranks_path(dir), error);  // only when empty
    return true;                                        // the report's banner has said where
  }
  if (quiet) return true;
  std::string reason = read_profile_state(dir).partial_reason;
  if (reason.empty()) reason = timed_out ? options.fallback_reason : "the program did not reach MPI_Finalize";
  fmt::print(stderr, "commtune: partial profile ({}): {}\n", reason, result.profile.string());
  return true;
}

// The words before the program (launcher and its options), as program_name() finds the program.
std::vector<std::string> launcher_words(const std::vector<std::string>& command, launch::Launcher launcher) {
  if (launcher == launch::Launcher::None) return {};
  const std::string program = launch::program_name(command, launcher);
  for (std::size_t i = 1; i < command.size(); ++i) {
    if (!command[i].starts_with('-') && fs::path(command[i]).filename() == program) {
      return {command.begin(), command.begin() + std::ptrdiff_t(i)};
    }
  }
  return command;
}

void run(RunOptions& options, std::vector<std::string> command) {
  if (command.empty()) {
    fmt::print(stderr, "commtune run: no command given; usage: commtune run [options] -- mpirun -np 2 ./app\n");
    throw ExitCode{2};
  }
  launch::RunLimits limits;
  limits.who = "commtune run";
  if (options.timeout) {
    const std::string& text = *options.timeout;
    limits.time_limit = parse_timeout(text);
    if (!limits.time_limit) {
      fmt::print(stderr,
                 "commtune run: --timeout '{}': not a duration; accepted: N (seconds), Ns, Nm or Nh, with N a "
                 "positive whole number (e.g. 90, 90s, 5m, 1h)\n",
                 text);
      throw ExitCode{2};
    }
    // "timeout after 90s" rather than "after 90" in messages and the profile.
    const bool bare_number = text.find_first_not_of("0123456789") == std::string::npos;
    limits.time_limit_text = bare_number ? text + "s" : text;
  }
  const launch::Launcher launcher = launch::classify(command[0]);
  limits.program = launch::program_name(command, launcher);
  const auto library = find_preload_library();
  if (!library) {
    fmt::print(stderr,
               "commtune run: the preload library was not found next to {} (set COMMTUNE_PRELOAD); "
               "running the program without it\n",
               executable_dir().string());
    throw ExitCode{launch::run({command, {}}, limits).exit_code};
  }

  std::map<std::string, std::string> settings = rank_settings(options.settings);
  std::string& output = settings["COMMTUNE_OUTPUT"];
  if (output.empty()) {
    const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    output = fmt::format("commtune-{}-{:%Y%m%d-%H%M%S}", limits.program, fmt::localtime(now));
  }
  output = fs::absolute(output).lexically_normal().string();
  std::error_code error;
  fs::create_directories(output, error);
  if (error) {
    fmt::print(stderr,
               "commtune run: warning: cannot create the output directory {}: {}; the program runs "
               "anyway and the library falls back to a temporary directory\n",
               output, error.message());
  }

  // The environment the ranks need: the library first, then the settings.
  std::string preload = library->string();
  if (const char* existing = std::getenv("LD_PRELOAD"); existing && *existing) preload += std::string(":") + existing;
  std::vector<std::string> quoted;
  for (const std::string& word : command) quoted.push_back(shell_quote(word));
  settings["COMMTUNE_COMMAND"] = fmt::format("{}", fmt::join(quoted, " "));
  // We merge the ranks' records once the launcher has exited, so that the program never loads the
  // report library (libdw, call-site resolution, JSON): a cheaper MPI_Finalize.
  if (!settings.contains("COMMTUNE_REPORT")) settings["COMMTUNE_REPORT"] = "commtune";
  if (settings["COMMTUNE_QUIET"] == "1") options.quiet = true;
  std::vector<launch::EnvironmentVariable> variables{{"LD_PRELOAD", preload}};
  for (const auto& [name, value] : settings) {
    if (!value.empty()) variables.push_back({name, value});
  }
  const launch::LaunchCommand launch_command = launch::with_environment(command, launcher, variables);
  remove_stale_dumps(output);
  const FileVersion profile_before = file_version(run_directory::profile_path(output));
  const launch::RunResult result = launch::run(launch_command, limits);
  if (finish_profile(output, profile_before, result.timed_out, limits.time_limit_text, options.quiet)) {
    record_hardware(output, launcher_words(command, launcher), options.quiet);
  }
  // Trace mode: the logs as OTF2 and a timeline, as `commtune export DIR` writes them; the run's
  // exit code stays the program's.
  if (settings["COMMTUNE_MODE"] == "trace") export_trace(output, options.quiet);
  const int exit_code = result.exit_code;
  throw ExitCode{exit_code};
}

}  // namespace

void add_run_command(CLI::App& app) {
  auto options = std::make_shared<RunOptions>();
  CLI::App* cmd = app.add_subcommand(
      "run",
      "Run an MPI program with the commtune library injected and record a profile.\n"
      "  commtune run [options] -- mpirun -np 4 ./app args...\n"
      "  commtune run [options] -- srun -n 4 ./app args...\n"
      "  commtune run [options] -- ./app              (singleton)\n"
      "Exits with the program's exit code (124 after --timeout). When ranks end without MPI_Finalize,\n"
      "their dumps are merged into a partial profile.json (complete: false).");
  for (const pmpi::Setting& setting : pmpi::kSettings) {
    if (setting.flag.empty()) continue;
    const std::string env(setting.env);
    std::string flag(setting.flag);
    if (flag == "--output") flag = "-o,--output";
    std::string description(setting.description);
    if (!setting.default_value.empty()) description += fmt::format(" [default: {}]", setting.default_value);
    if (flag == "--quiet") {
      description += fmt::format(" [env: {}=1]", env);
      cmd->add_flag_callback(
          flag,
          [options, env] {
            options->settings[env] = "1";
            options->quiet = true;
          },
          description);
      continue;
    }
    description += fmt::format(" [env: {}]", env);
    CLI::Option* option = cmd->add_option(flag, options->settings[env], description);
    if (!setting.accepted.empty()) {
      std::vector<std::string> accepted;
      for (const auto part : std::views::split(setting.accepted, '|')) accepted.emplace_back(part.begin(), part.end());
      option->check(CLI::IsMember(accepted));
    }
  }
  cmd->add_flag_callback(
      "--trace", [options] { options->settings["COMMTUNE_MODE"] = "trace"; },
      "Also log every MPI call to DIR/trace (docs/trace.md): short for --mode trace");
  cmd->add_option("--timeout", options->timeout,
                  "Stop the program when it is still running after this long: 90 or 90s, 5m, 1h. It gets SIGTERM "
                  "(the ranks then write what they recorded), SIGKILL 10 s later; the exit code is 124 and the "
                  "profile partial")
      ->type_name("DURATION");
  // The command follows "--"; without it, everything from the first word that is not one of our
  // options on is the command.
  cmd->prefix_command();
  cmd->callback([options, cmd] {
    std::vector<std::string> command = cmd->remaining();
    // prefix_command() passes unknown options on as the command's first word: reject them here.
    if (!command.empty() && command[0].size() > 1 && command[0][0] == '-') {
      fmt::print(stderr, "commtune run: unknown option {}; see commtune run --help\n", command[0]);
      throw ExitCode{2};
    }
    const auto& after = command_after_separator();
    command.insert(command.end(), after.begin(), after.end());
    run(*options, command);
  });
}

}  // namespace commtune::cli
