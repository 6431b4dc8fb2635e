// The launch layer: how commtune starts an MPI job. It tells which launcher a command starts with,
// rewrites the command so that named environment variables reach the ranks, starts it from an
// argument vector (no shell), forwards termination signals to it, waits for it under a time limit
// and maps how it ended to an exit code. `commtune run` and `commtune kernel` start their jobs
// through it; it lives in tuner/ so that the tuner's sweeps can too without depending on cli/.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace commtune::launch {

// The launchers whose ways of passing environment variables to the ranks we know.
enum class Launcher {
  None,     // no launcher: the command is the program itself (an MPI singleton)
  OpenMpi,  // Open MPI's mpirun/mpiexec (orterun, prterun)
  Mpich,    // MPICH's Hydra mpiexec/mpirun
  Slurm,    // srun
  Other,    // called mpirun, mpiexec or oshrun, but of an MPI we cannot tell
};

std::string_view to_string(Launcher launcher);

// `name` as execvp would find it: itself when it contains a '/', else the first executable regular
// file of that name in $PATH. nullopt when there is none.
std::optional<std::filesystem::path> find_in_path(const std::string& name);

// The launcher `argv0` names, judged by the name given and by the name of the file it resolves to
// through symbolic links (Debian's mpirun -> /etc/alternatives/mpirun -> orterun).
Launcher classify(const std::string& argv0);

// The program a launcher starts, for messages and default names: the first word after the launcher
// that does not start with '-' and is an executable, so that option values such as "-np 2" are
// passed over; the last word when none is.
std::string program_name(const std::vector<std::string>& command, Launcher launcher);

struct EnvironmentVariable {
  std::string name;
  std::string value;
};

// A command ready to start: the argument vector, and the variables to set in the environment of
// the process started (the launcher, or the program itself for a singleton) on top of ours.
struct LaunchCommand {
  std::vector<std::string> argv;
  std::vector<EnvironmentVariable> environment;
};

// `command` rewritten so that `variables` reach every rank, and where the launcher has a way to say
// so, the ranks only, never the launcher's own process (LD_PRELOAD has no business in mpirun or
// srun, which would pay for loading it):
//   Open MPI  "-x NAME=value" for each (mpirun passes nothing else to ranks on other nodes)
//   Slurm     "--export=ALL,NAME=value,..."; srun cannot express a value with a comma in it, so
//             such a variable goes into srun's own environment instead, which ALL passes on
//   Hydra     "-genv NAME value" for each
//   None      the environment of the program, which is the rank
//   Other     the environment of the launcher, which we hope passes it on
// The options go right after the launcher's name, where launchers read their own options.
LaunchCommand with_environment(std::vector<std::string> command, Launcher launcher,
                               const std::vector<EnvironmentVariable>& variables);

// Like GNU timeout: the exit code of a command stopped by its time limit.
inline constexpr int kTimeoutExitCode = 124;
// The exit code when the command could not be started (not found, not executable), as a shell says.
inline constexpr int kCannotStartExitCode = 127;

struct RunLimits {
  // Stop the command when it is still running after this long; no limit when unset.
  std::optional<std::chrono::seconds> time_limit;
  // How long the command has between SIGTERM and SIGKILL: the ranks write their records and the
  // launcher tears the job down in that time.
  std::chrono::seconds kill_after{10};
  std::string who = "commtune";  // prefixes our messages: "commtune run: cannot run ..."
  std::string time_limit_text;   // the limit as the user wrote it ("5m"), for the timeout message
  std::string program;           // what the timeout message says is being stopped
};

struct RunResult {
  // The command's exit status; 128 + N when signal N ended it; kCannotStartExitCode when it could
  // not be started; kTimeoutExitCode when the time limit passed, whatever it did on SIGTERM.
  int exit_code = 0;
  bool timed_out = false;
  // The last of SIGTERM, SIGINT or SIGHUP that we received and forwarded meanwhile (0: none), so a
  // caller can tell a job stopped on the user's request from one that died.
  int stop_signal = 0;
};

// Starts `command` (argv[0] searched in $PATH, no shell) and waits for it. SIGTERM, SIGINT, SIGHUP,
// SIGUSR1 and SIGUSR2 sent to us meanwhile go on to it (a batch system ending the job, a user's
// kill, a snapshot request), and the launcher passes them to the ranks. Past the time limit it gets
// SIGTERM, then SIGKILL `kill_after` later; only the launcher is signalled, never a process group,
// which would take the terminal (stdin, Ctrl-C) away from it. Our previous signal handlers are back
// in place when it returns. Not reentrant: one command at a time per process.
RunResult run(const LaunchCommand& command, const RunLimits& limits = {});

}  // namespace commtune::launch
