// Each subcommand registers itself on the top-level app; its options live in its own file.
#pragma once

#include <CLI/CLI.hpp>
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace commtune::cli {

void add_run_command(CLI::App& app);
void add_preload_command(CLI::App& app);
void add_kernels_commands(CLI::App& app);
void add_report_command(CLI::App& app);
void add_export_command(CLI::App& app);
void add_results_command(CLI::App& app);
void add_sweep_command(CLI::App& app);

// The preload library that matches this `commtune`: $COMMTUNE_PRELOAD if set, else next to the
// executable in the build tree or the install tree. Empty when none is found.
std::optional<std::filesystem::path> find_preload_library();

// The directory of the running `commtune` executable.
std::filesystem::path executable_dir();

// The words after the first "--" on the command line (the launcher and program to run); main()
// takes them out before CLI11 parses the rest.
std::vector<std::string>& command_after_separator();

// How long run_and_wait lets a command run (`commtune run --timeout`).
struct Timeout {
  std::chrono::seconds after{};
  std::string text;      // as the user wrote it ("5m"), for messages
  std::string program;   // what the message says is being stopped
  bool expired = false;  // set by run_and_wait when the command had to be stopped
};

// The exit code of a command stopped by its timeout, the one GNU timeout uses.
inline constexpr int kTimeoutExitCode = 124;

// Runs `command` (PATH searched), forwarding termination signals to it, and returns its exit code
// (128 + N when signal N ended it; 127 when it could not be started). `who` prefixes messages.
// With a timeout, a command still running after it gets SIGTERM, then SIGKILL 10 s later, and the
// result is kTimeoutExitCode.
int run_and_wait(const std::vector<std::string>& command, std::string_view who, Timeout* timeout = nullptr);

// The dumps ranks leave in DIR/ranks (rank-*.json) when they end without MPI_Finalize or take a
// SIGUSR1 snapshot, sorted by name.
std::vector<std::filesystem::path> rank_dumps(const std::filesystem::path& dir);

// DIR/profile.json as far as `commtune run` and `commtune report` need to know it.
struct ProfileState {
  bool exists = false;
  bool readable = false;  // exists and is a JSON object
  bool complete = false;  // written at MPI_Finalize with every rank
  std::string partial_reason;
  std::string error;  // why it is not readable
};
ProfileState read_profile_state(const std::filesystem::path& profile);

// `commtune export DIR` with its defaults (DIR/otf2/traces.otf2 and DIR/timeline.json from the logs
// in DIR/trace), for `commtune run --trace` after the launcher exits. Returns 0, or 1 when there
// is no trace or a file could not be written (said on stderr).
int export_trace(const std::filesystem::path& dir, bool quiet);

// Thrown by a subcommand's callback to end `commtune` with this exit code (after its message).
struct ExitCode {
  int code;
};

}  // namespace commtune::cli
