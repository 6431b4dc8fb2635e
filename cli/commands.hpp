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

// The preload library that matches this `commtune`: $COMMTUNE_PRELOAD if set, else next to the
// executable in the build tree or the install tree. Empty when none is found.
std::optional<std::filesystem::path> find_preload_library();

// The directory of the running `commtune` executable.
std::filesystem::path executable_dir();

// The words after the first "--" on the command line (the launcher and program to run); main()
// takes them out before CLI11 parses the rest.
std::vector<std::string>& command_after_separator();

// Runs `command` (PATH searched), forwarding termination signals to it, and returns its exit code
// (128 + N when signal N ended it; 127 when it could not be started). `who` prefixes messages.
int run_and_wait(const std::vector<std::string>& command, std::string_view who);

// Thrown by a subcommand's callback to end `commtune` with this exit code (after its message).
struct ExitCode {
  int code;
};

}  // namespace commtune::cli
