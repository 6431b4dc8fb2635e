// Starting the launcher and waiting for it, for the subcommands that run MPI programs.
#include <fmt/core.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "commands.hpp"

namespace commtune::cli {
namespace {

// After the timeout's SIGTERM the ranks write their dumps and the launcher tears the job down;
// 10 s is ample for that, and a program still running then is not going to stop by itself.
constexpr auto kKillAfterTerm = std::chrono::seconds(10);
// How often the deadline is checked: a tenth of a second late is nothing against a timeout.
constexpr auto kPollInterval = std::chrono::milliseconds(100);

pid_t child_pid = 0;

// A signal sent to commtune (a batch system ending the job, a user's kill) goes on to the
// launcher, which passes it to the ranks.
void forward_signal(int signal_number) {
  if (child_pid > 0) kill(child_pid, signal_number);
}

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

// Waits for the child, stopping it when the timeout passes: SIGTERM to the launcher (mpirun and
// srun pass it on to the ranks, whose library then writes its dumps), SIGKILL if it is still there
// kKillAfterTerm later. Only the launcher is signalled, never a process group: commtune shares
// its group with the shell's pipeline, and putting the launcher in a group of its own would take
// the terminal (and so stdin and Ctrl-C) away from it. Returns true when the timeout passed.
bool wait_with_timeout(const Timeout& timeout, int& status) {
  using Clock = std::chrono::steady_clock;
  auto next_step = Clock::now() + timeout.after;
  int signals_sent = 0;  // 0, then SIGTERM, then SIGKILL
  for (;;) {
    const pid_t done = waitpid(child_pid, &status, WNOHANG);
    if (done == child_pid) return signals_sent > 0;
    if (done < 0 && errno != EINTR) {
      status = 1 << 8;  // no child to wait for: cannot happen, but never loop forever
      return signals_sent > 0;
    }
    const auto now = Clock::now();
    if (signals_sent < 2 && now >= next_step) {
      if (signals_sent == 0) {
        fmt::print(stderr, "commtune: timeout after {}: stopping {}\n", timeout.text, timeout.program);
        kill(child_pid, SIGTERM);
        next_step = now + kKillAfterTerm;
      } else {
        fmt::print(stderr, "commtune: {} still running {} s after SIGTERM: sending SIGKILL\n", timeout.program,
                   kKillAfterTerm.count());
        kill(child_pid, SIGKILL);
      }
      ++signals_sent;
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

}  // namespace

int run_and_wait(const std::vector<std::string>& command, std::string_view who, Timeout* timeout) {
  std::vector<char*> argv;
  for (const std::string& word : command) argv.push_back(const_cast<char*>(word.c_str()));
  argv.push_back(nullptr);
  child_pid = fork();
  if (child_pid < 0) {
    fmt::print(stderr, "{}: cannot start {}: {}\n", who, command[0], std::strerror(errno));
    return 127;
  }
  if (child_pid == 0) {
    execvp(argv[0], argv.data());
    fmt::print(stderr, "{}: cannot run {}: {}\n", who, command[0], std::strerror(errno));
    _exit(127);
  }
  struct sigaction action {};
  action.sa_handler = forward_signal;
  sigemptyset(&action.sa_mask);
  for (int signal_number : {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2}) sigaction(signal_number, &action, nullptr);
  int status = 0;
  if (timeout) {
    // Like GNU timeout: 124 whenever the time ran out, whatever the program did on SIGTERM.
    timeout->expired = wait_with_timeout(*timeout, status);
    if (timeout->expired) return kTimeoutExitCode;
    return exit_code_of(status);
  }
  while (waitpid(child_pid, &status, 0) < 0 && errno == EINTR) {
  }
  return exit_code_of(status);
}

}  // namespace commtune::cli
