// Each subcommand registers itself on the top-level app; its options live in its own file.
#pragma once

#include <CLI/CLI.hpp>
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
void add_replay_command(CLI::App& app);
void add_analyze_command(CLI::App& app);

// The preload library that matches this `commtune`: $COMMTUNE_PRELOAD if set, else next to the
// executable in the build tree or the install tree. Empty when none is found.
std::optional<std::filesystem::path> find_preload_library();

// The directory of the running `commtune` executable.
std::filesystem::path executable_dir();

// The words after the first "--" on the command line (the launcher and program to run); main()
// takes them out before CLI11 parses the rest.
std::vector<std::string>& command_after_separator();

// DIR/profile.json as far as `commtune run` and `commtune report` need to know it, read by the
// profile reader (profile/reader.hpp).
struct ProfileState {
  bool exists = false;
  bool readable = false;  // exists and read_profile() accepts it
  bool complete = false;  // written at MPI_Finalize with every rank
  std::string partial_reason;
  std::string error;  // why it is not readable, naming the file
};
ProfileState read_profile_state(const std::filesystem::path& run_dir);

// After `commtune run`'s launcher has exited with this run's profile in DIR: the hardware
// fingerprint of the run (tuner/fingerprint.hpp: this machine, the profile's MPI library, the
// MPI settings of our environment and of `launcher_args`, the words before the program, and the
// nodes and ranks per node of the profile's hosts) written to DIR/hardware.json, and said in one
// line after a complete profile's banner unless `quiet`. Returns its id, or nothing after a
// warning on stderr when it could not be written.
std::optional<std::string> record_hardware(const std::filesystem::path& run_dir,
                                           const std::vector<std::string>& launcher_args, bool quiet);

// `commtune export DIR` with its defaults (DIR/otf2/traces.otf2 and DIR/timeline.json from the logs
// in DIR/trace), for `commtune run --trace` after the launcher exits. Returns 0, or 1 when there
// is no trace or a file could not be written (said on stderr).
int export_trace(const std::filesystem::path& dir, bool quiet);

// Thrown by a subcommand's callback to end `commtune` with this exit code (after its message).
struct ExitCode {
  int code;
};

}  // namespace commtune::cli
