#include "runtime/signals.hpp"

#include <signal.h>

#include <atomic>
#include <cerrno>

#include "runtime/call_scope.hpp"
#include "runtime/dump.hpp"
#include "runtime/trace.hpp"

namespace commtune::pmpi::signals {
namespace {

constexpr int kFatal[] = {SIGTERM, SIGINT, SIGSEGV, SIGBUS, SIGABRT};

struct sigaction g_previous[NSIG];
std::atomic<bool> g_final_written{false};

const char* name_of(int signal) noexcept {
  switch (signal) {
    case SIGTERM:
      return "SIGTERM";
    case SIGINT:
      return "SIGINT";
    case SIGSEGV:
      return "SIGSEGV";
    case SIGBUS:
      return "SIGBUS";
    case SIGABRT:
      return "SIGABRT";
    default:
      return "signal";
  }
}

bool is_function(const struct sigaction& action) noexcept {
  return (action.sa_flags & SA_SIGINFO) ? action.sa_sigaction != nullptr
                                        : action.sa_handler != SIG_DFL && action.sa_handler != SIG_IGN;
}

void call(const struct sigaction& action, int signal, siginfo_t* info, void* context) noexcept {
  if (action.sa_flags & SA_SIGINFO) {
    action.sa_sigaction(signal, info, context);
  } else {
    action.sa_handler(signal);
  }
}

void on_snapshot(int signal, siginfo_t* info, void* context) noexcept {
  const int saved_errno = errno;
  if (g_recording.load(std::memory_order_relaxed)) dump::write_rank_file("snapshot");
  // The program keeps running: a default action (terminate) is not taken.
  if (is_function(g_previous[signal])) call(g_previous[signal], signal, info, context);
  errno = saved_errno;
}

void on_fatal(int signal, siginfo_t* info, void* context) noexcept {
  const int saved_errno = errno;
  const struct sigaction& previous = g_previous[signal];
  if (previous.sa_handler == SIG_IGN && !(previous.sa_flags & SA_SIGINFO)) return;  // nothing happens
  if (claim_final_record()) {
    g_recording.store(false, std::memory_order_relaxed);
    trace::flush_for_exit();
    dump::write_rank_file(name_of(signal));
  }
  if (is_function(previous)) {
    call(previous, signal, info, context);  // the program's (or MPI's) handler decides what follows
    errno = saved_errno;
    return;
  }
  // The default action: restore it and raise again; the signal is blocked while we run, so it is
  // delivered, with its usual effect and exit status, when this handler returns.
  sigaction(signal, &previous, nullptr);
  raise(signal);
  errno = saved_errno;
}

void install_one(int signal, void (*handler)(int, siginfo_t*, void*)) noexcept {
  struct sigaction action = {};
  action.sa_sigaction = handler;
  action.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
  sigemptyset(&action.sa_mask);
  sigaction(signal, &action, &g_previous[signal]);
}

}  // namespace

bool claim_final_record() noexcept { return !g_final_written.exchange(true); }

void install() noexcept {
  for (int signal : kFatal) install_one(signal, on_fatal);
  install_one(SIGUSR1, on_snapshot);
}

}  // namespace commtune::pmpi::signals
