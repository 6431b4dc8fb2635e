#include "runtime/runtime.hpp"

#include <pthread.h>
#include <unistd.h>

#include <cstdio>
#include <mutex>
#include <new>

#include "runtime/clock.hpp"
#include "runtime/profile.hpp"
#include "runtime/settings.hpp"

namespace commtune::pmpi {

constinit thread_local ThreadContext t_context;
std::atomic<bool> g_recording{false};

namespace {

struct State {
  std::mutex threads_mutex;
  std::vector<ThreadStats*> threads;
  bool started = false;   // after_init ran
  bool finished = false;  // before_finalize ran
  bool paused = false;    // MPI_Pcontrol(0)
  bool forked_child = false;
  Settings settings;
  RunFacts facts;
};

State& state() {
  static State* instance = new State;  // never destroyed: wrappers may run during exit
  return *instance;
}

void update_recording() {
  State& s = state();
  g_recording.store(s.started && !s.finished && !s.paused && !s.forked_child && s.settings.profile,
                    std::memory_order_relaxed);
}

// A forked child (a system() call, a spawned tool) records nothing and writes nothing.
void in_forked_child() {
  state().forked_child = true;
  g_recording.store(false, std::memory_order_relaxed);
}

[[gnu::constructor]] void install_fork_handler() { pthread_atfork(nullptr, nullptr, in_forked_child); }

}  // namespace

ThreadStats* register_thread() noexcept {
  auto* stats = new (std::nothrow) ThreadStats{};
  if (!stats) return nullptr;
  State& s = state();
  {
    std::lock_guard<std::mutex> lock(s.threads_mutex);
    s.threads.push_back(stats);
  }
  t_context.stats = stats;
  return stats;
}

namespace runtime {

std::vector<const ThreadStats*> thread_stats() {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.threads_mutex);
  return {s.threads.begin(), s.threads.end()};
}

void after_init(FunctionId which, std::uint64_t entry_ns) noexcept {
  State& s = state();
  if (s.started || s.forked_child) return;  // MPI_Init called twice: MPI reports it, we count once
  std::vector<std::string> warnings;
  s.settings = read_settings(warnings);
  const bool tsc = s.settings.clock == "tsc" || (s.settings.clock == "auto" && clock::tsc_is_reliable());
  clock::start(tsc ? clock::Source::Tsc : clock::Source::Monotonic);

  RunFacts& facts = s.facts;
  facts.init_entry_ns = entry_ns;
  facts.init_function = which;
  facts.init_duration_ns = clock::monotonic_ns() - entry_ns;
  PMPI_Comm_dup(MPI_COMM_WORLD, &facts.comm);  // our reduction never meets the application's messages
  PMPI_Comm_rank(facts.comm, &facts.rank);
  PMPI_Comm_size(facts.comm, &facts.size);
  if (facts.rank == 0) {
    for (const std::string& warning : warnings) std::fprintf(stderr, "commtune: warning: %s\n", warning.c_str());
    if (tsc == false && s.settings.clock == "auto") {
      if (!s.settings.quiet) std::fprintf(stderr, "commtune: note: no invariant time-stamp counter; timing with clock_gettime\n");
    }
  }
  s.started = true;
  update_recording();
}

void before_finalize() noexcept {
  State& s = state();
  if (!s.started || s.finished) return;
  const bool was_recording = s.settings.profile && !s.forked_child;
  s.finished = true;
  update_recording();
  if (!was_recording) return;
  s.facts.finalize_entry_ns = clock::monotonic_ns();
  s.facts.seconds_per_tick = clock::seconds_per_tick();
  s.facts.clock_source = clock::source() == clock::Source::Tsc ? "tsc" : "clock_gettime";
  s.facts.untracked_requests = untracked_request_count();
  write_profile(s.facts, s.settings, thread_stats());
}

void pcontrol(int level) noexcept {
  state().paused = level == 0;
  update_recording();
}

}  // namespace runtime
}  // namespace commtune::pmpi
