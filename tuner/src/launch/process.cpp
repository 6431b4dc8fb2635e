// Starting a launch command and waiting for it: signal forwarding, the time limit, the exit code.
#include <fmt/core.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "commtune/launch/launcher.hpp"

extern char** environ;

namespace commtune::launch {
namespace {

// How often the deadline is checked: a tenth of a second late is nothing against a time limit.
constexpr auto kPollInterval = std::chrono::milliseconds(100);
constexpr std::array kForwardedSignals = {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2};

// The running command, for the signal handler; 0 when none, so that a signal arriving between two
// commands is not sent to a reused process id.
volatile sig_atomic_t child_pid = 0;
volatile sig_atomic_t stop_signal = 0;  // RunResult::stop_signal

void forward_signal(int signal_number) {
  if (signal_number == SIGTERM || signal_number == SIGINT || signal_number == SIGHUP) stop_signal = signal_number;
  if (child_pid > 0) kill(child_pid, signal_number);
}

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

// Our environment with `overrides` set, as "NAME=value" strings: built before fork so that the
// child only calls exec (setenv is not safe between fork and exec in a threaded process).
std::vector<std::string> environment_with(const std::vector<EnvironmentVariable>& overrides) {
  std::vector<std::string> entries;
  for (char** entry = environ; *entry; ++entry) {
    const std::string_view variable(*entry);
    const std::string_view name = variable.substr(0, variable.find('='));
    bool replaced = false;
    for (const auto& override : overrides) replaced = replaced || override.name == name;
    if (!replaced) entries.emplace_back(variable);
  }
  for (const auto& [name, value] : overrides) entries.push_back(name + "=" + value);
  return entries;
}

std::vector<char*> pointers_to(const std::vector<std::string>& words) {
  std::vector<char*> pointers;
  for (const std::string& word : words) pointers.push_back(const_cast<char*>(word.c_str()));
  pointers.push_back(nullptr);
  return pointers;
}

// Waits for the child, stopping it once the time limit has passed: SIGTERM to the launcher (mpirun
// and srun pass it on to the ranks, whose library then writes its dumps), SIGKILL if it is still
// there `kill_after` later. Returns true when the limit passed.
bool wait_with_limit(pid_t pid, const RunLimits& limits, int& status) {
  using Clock = std::chrono::steady_clock;
  auto next_step = Clock::now() + *limits.time_limit;
  int signals_sent = 0;  // 0, then SIGTERM, then SIGKILL
  for (;;) {
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) return signals_sent > 0;
    if (done < 0 && errno != EINTR) {
      status = 1 << 8;  // no child to wait for: cannot happen, but never loop forever
      return signals_sent > 0;
    }
    const auto now = Clock::now();
    if (signals_sent < 2 && now >= next_step) {
      if (signals_sent == 0) {
        fmt::print(stderr, "commtune: timeout after {}: stopping {}\n", limits.time_limit_text, limits.program);
        kill(pid, SIGTERM);
        next_step = now + limits.kill_after;
      } else {
        fmt::print(stderr, "commtune: {} still running {} s after SIGTERM: sending SIGKILL\n", limits.program,
                   limits.kill_after.count());
        kill(pid, SIGKILL);
      }
      ++signals_sent;
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

}  // namespace

RunResult run(const LaunchCommand& command, const RunLimits& limits) {
  if (command.argv.empty()) {
    fmt::print(stderr, "{}: no command to run\n", limits.who);
    return {kCannotStartExitCode, false};
  }
  const std::vector<char*> argv = pointers_to(command.argv);
  const std::vector<std::string> environment = environment_with(command.environment);
  const std::vector<char*> envp = pointers_to(environment);
  std::fflush(nullptr);  // output buffered so far must not appear twice, once from the child
  const pid_t pid = fork();
  if (pid < 0) {
    fmt::print(stderr, "{}: cannot start {}: {}\n", limits.who, command.argv[0], std::strerror(errno));
    return {kCannotStartExitCode, false};
  }
  if (pid == 0) {
    execvpe(argv[0], argv.data(), envp.data());
    fmt::print(stderr, "{}: cannot run {}: {}\n", limits.who, command.argv[0], std::strerror(errno));
    _exit(kCannotStartExitCode);
  }
  stop_signal = 0;
  child_pid = pid;
  struct sigaction action {};
  action.sa_handler = forward_signal;
  sigemptyset(&action.sa_mask);
  std::array<struct sigaction, kForwardedSignals.size()> previous{};
  for (std::size_t i = 0; i < kForwardedSignals.size(); ++i) sigaction(kForwardedSignals[i], &action, &previous[i]);

  RunResult result;
  int status = 0;
  if (limits.time_limit) {
    result.timed_out = wait_with_limit(pid, limits, status);
  } else {
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  child_pid = 0;
  for (std::size_t i = 0; i < kForwardedSignals.size(); ++i) sigaction(kForwardedSignals[i], &previous[i], nullptr);
  result.exit_code = result.timed_out ? kTimeoutExitCode : exit_code_of(status);
  result.stop_signal = stop_signal;
  return result;
}

}  // namespace commtune::launch
