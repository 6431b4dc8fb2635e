// Starting the launcher and waiting for it, for the subcommands that run MPI programs.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/core.h>

#include <cerrno>
#include <cstring>

#include "commands.hpp"

namespace commtune::cli {
namespace {

pid_t child_pid = 0;

// A signal sent to commtune (a batch system ending the job, a user's kill) goes on to the
// launcher, which passes it to the ranks.
void forward_signal(int signal_number) {
  if (child_pid > 0) kill(child_pid, signal_number);
}

}  // namespace

int run_and_wait(const std::vector<std::string>& command, std::string_view who) {
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
  while (waitpid(child_pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

}  // namespace commtune::cli
