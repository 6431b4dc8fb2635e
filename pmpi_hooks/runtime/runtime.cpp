#include "runtime/runtime.hpp"

#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <new>
#include <string>
#include <system_error>
#include <vector>

#include "commtune/pmpi/run_directory.hpp"
#include "runtime/clock.hpp"
#include "runtime/counters.hpp"
#include "runtime/dump.hpp"
#include "runtime/payload.hpp"
#include "runtime/peers.hpp"
#include "runtime/profile.hpp"
#include "runtime/settings.hpp"
#include "runtime/signals.hpp"
#include "runtime/trace.hpp"

extern char* program_invocation_short_name;

namespace commtune::pmpi {

constinit thread_local ThreadContext t_context;
std::atomic<bool> g_recording{false};
std::atomic<std::uint16_t> g_region{0};
int g_callsite_depth = 1;
int g_world_size = 0;

namespace {

namespace fs = std::filesystem;

struct State {
  bool started = false;   // after_init ran
  bool finished = false;  // before_finalize ran
  bool paused = false;    // MPI_Pcontrol(0)
  bool forked_child = false;
  Settings settings;
  MPI_Comm comm = MPI_COMM_NULL;  // a duplicate of MPI_COMM_WORLD, ours alone
  std::mutex regions_mutex;
  std::vector<std::uint16_t> region_stack;
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
  dump::identity().directory[0] = 0;
}

[[gnu::constructor]] void install_fork_handler() { pthread_atfork(nullptr, nullptr, in_forked_child); }

template <std::size_t N>
void copy(char (&to)[N], const std::string& from) {
  std::strncpy(to, from.c_str(), N - 1);
  to[N - 1] = 0;
}

std::string local_stamp() {
  const std::time_t now = std::time(nullptr);
  char text[32];
  std::strftime(text, sizeof text, "%Y%m%d-%H%M%S", std::localtime(&now));
  return text;
}

std::string own_command_line() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::replace(raw.begin(), raw.end(), '\0', ' ');
  while (!raw.empty() && raw.back() == ' ') raw.pop_back();
  return raw;
}

std::string library_version() {
  char library[MPI_MAX_LIBRARY_VERSION_STRING] = {};
  int length = 0;
  PMPI_Get_library_version(library, &length);
  const std::string text(library, std::size_t(std::max(0, length)));
  std::string line = text.substr(0, text.find_first_of("\n,"));
  // MPICH names its device on a later line; the hardware fingerprint needs it to meet the sweeps'.
  if (const std::size_t device = text.find("MPICH Device:"); device != std::string::npos)
    line += "  " + text.substr(device, text.find('\n', device) - device);
  return line;
}

bool usable_directory(const fs::path& dir, std::string& error) {
  std::error_code code;
  fs::create_directories(dir, code);
  if (code) {
    error = "cannot create " + dir.string() + ": " + code.message();
    return false;
  }
  if (access(dir.c_str(), W_OK | X_OK) != 0) {
    error = "cannot write to " + dir.string() + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

// Rank 0 chooses the output directory (falling back to a temporary one it can write) and tells
// the others, so that every rank's partial record lands in the same place.
std::string agree_on_directory(const Settings& settings, MPI_Comm comm, int rank) {
  std::string dir;
  if (rank == 0) {
    const fs::path wanted =
        settings.output.empty()
            ? fs::current_path() / ("commtune-" + std::string(program_invocation_short_name) + "-" + local_stamp())
            : fs::absolute(settings.output);
    std::string error;
    dir = wanted.string();
    if (!usable_directory(wanted, error)) {
      const char* tmp = std::getenv("TMPDIR");
      const fs::path fallback =
          fs::path(tmp && *tmp ? tmp : "/tmp") /
          ("commtune-" + std::string(program_invocation_short_name) + "-" + std::to_string(getpid()));
      std::string second_error;
      if (usable_directory(fallback, second_error)) {
        std::fprintf(stderr, "commtune: warning: %s; the profile will be written to %s instead\n", error.c_str(),
                     fallback.c_str());
        dir = fallback.string();
      } else {
        std::fprintf(stderr, "commtune: warning: %s, and %s; no profile will be written\n", error.c_str(),
                     second_error.c_str());
        dir.clear();
      }
    }
  }
  int length = int(dir.size());
  PMPI_Bcast(&length, 1, MPI_INT, 0, comm);
  dir.resize(std::size_t(length));
  if (length > 0) PMPI_Bcast(dir.data(), length, MPI_CHAR, 0, comm);
  if (rank != 0 && !dir.empty()) {
    std::error_code ignored;  // another node's file system: this rank's partial record may not land
    fs::create_directories(dir, ignored);
  }
  return dir;
}

void start_trace(const Settings& settings, MPI_Comm comm, FunctionId which, std::uint64_t entry_ns,
                 const void* caller) {
  const dump::RunIdentity& id = dump::identity();
  trace::Options options;
  options.budget_bytes = std::uint64_t(settings.trace_budget_mib * double(1u << 20));
  options.flush_seconds = settings.trace_flush_s;
  options.functions = settings.trace_functions;
  options.window_start_s = settings.trace_window_start_s;
  options.window_end_s = settings.trace_window_end_s;
  trace::start(options, comm, id.directory, id.rank, id.size, which, entry_ns, caller, id.host, id.program, id.command,
               id.start_unix_ns);
}

}  // namespace

SiteTable* register_thread() noexcept {
  auto* table = new (std::nothrow) SiteTable(g_world_size);
  if (!table) return nullptr;
  tables::add(table);
  t_context.sites = table;
  return table;
}

SiteStats& find_deep_site(SiteTable& table, FunctionId function, std::uintptr_t caller) noexcept {
  SiteKey key;
  key.function = function;
  key.region = g_region.load(std::memory_order_relaxed);
  capture_frames(key, caller, g_callsite_depth);
  return table.find_or_add(key);
}

namespace runtime {

void after_init(FunctionId which, std::uint64_t entry_ns, const void* caller) noexcept {
  State& s = state();
  if (s.started || s.forked_child) return;  // MPI_Init called twice: MPI reports it, we count once
  std::vector<std::string> warnings;
  s.settings = read_settings(warnings);
  const bool tsc = s.settings.clock == "tsc" || (s.settings.clock == "auto" && clock::tsc_is_reliable());
  clock::start(tsc ? clock::Source::Tsc : clock::Source::Monotonic);
  const std::uint64_t init_ns = clock::monotonic_ns() - entry_ns;

  PMPI_Comm_dup(MPI_COMM_WORLD, &s.comm);  // our own messages never meet the application's
  dump::RunIdentity& id = dump::identity();
  PMPI_Comm_rank(s.comm, &id.rank);
  PMPI_Comm_size(s.comm, &id.size);
  std::vector<std::string> counter_notes;
  if (s.settings.profile) {
    payload::g_sampling = {s.settings.compress_sample_every, std::int64_t(s.settings.compress_min_bytes),
                           s.settings.compress_sample_bytes};
    counters::start(s.settings.papi, warnings, counter_notes);
  }
  if (id.rank == 0) {
    for (const std::string& warning : warnings) std::fprintf(stderr, "commtune: warning: %s\n", warning.c_str());
    for (const std::string& note : counter_notes)
      if (!s.settings.quiet) std::fprintf(stderr, "commtune: note: counters: %s\n", note.c_str());
    if (!tsc && s.settings.clock == "auto" && !s.settings.quiet) {
      std::fprintf(stderr, "commtune: note: no invariant time-stamp counter; timing with clock_gettime\n");
    }
  }
  if (s.settings.profile) {
    timespec real;
    clock_gettime(CLOCK_REALTIME, &real);
    id.pid = int(getpid());
    id.callsite_depth = s.settings.callsite_depth;
    id.init_function = which;
    id.init_entry_ns = entry_ns;
    id.init_duration_ns = init_ns;
    id.init_site = modules::locate(reinterpret_cast<std::uintptr_t>(caller));
    id.start_unix_ns = std::uint64_t(real.tv_sec) * 1000000000u + std::uint64_t(real.tv_nsec) - init_ns;
    gethostname(id.host, sizeof id.host - 1);
    copy(id.program, program_invocation_short_name);
    copy(id.command, s.settings.command.empty() ? own_command_line() : s.settings.command);
    copy(id.mpi_library, library_version());
    copy(id.directory, agree_on_directory(s.settings, s.comm, id.rank));
    g_world_size = id.size;
    g_callsite_depth = s.settings.callsite_depth;
    peers::start();
    signals::install();
  }
  if (s.settings.trace && s.settings.profile) start_trace(s.settings, s.comm, which, entry_ns, caller);
  s.started = true;
  update_recording();
}

void before_finalize(const void* caller) noexcept {
  State& s = state();
  if (!s.started || s.finished) return;
  const std::uint64_t entry_ns = clock::monotonic_ns();
  const bool was_recording = s.settings.profile && !s.forked_child;
  s.finished = true;
  update_recording();
  if (!was_recording) return;
  if (s.settings.trace) trace::finish(s.comm, entry_ns, caller);
  dump::identity().finalize_site = modules::locate(reinterpret_cast<std::uintptr_t>(caller));
  signals::claim_final_record();  // a signal from now on passes straight through
  dump::remove_rank_file();       // a snapshot taken earlier: the profile supersedes it
  write_profile(s.comm, s.settings.quiet, s.settings.report_in_rank0);
}

void before_abort() noexcept {
  State& s = state();
  if (!s.started || s.finished || !g_recording.load(std::memory_order_relaxed)) return;
  if (!signals::claim_final_record()) return;
  g_recording.store(false, std::memory_order_relaxed);
  trace::flush_for_exit();
  if (!dump::write_rank_file("abort")) {
    std::fprintf(stderr, "commtune: warning: could not write this rank's partial profile to %s/%s\n",
                 dump::identity().directory, run_directory::kRanksDir.data());
  }
}

void pcontrol(int level, const char* name) noexcept {
  State& s = state();
  if (level == 2 || level == -2) {
    std::lock_guard<std::mutex> lock(s.regions_mutex);
    if (level == 2) {
      s.region_stack.push_back(regions::intern(name));
    } else if (!s.region_stack.empty()) {
      s.region_stack.pop_back();
    }
    g_region.store(s.region_stack.empty() ? 0 : s.region_stack.back(), std::memory_order_relaxed);
    return;
  }
  s.paused = level == 0;
  update_recording();
}

}  // namespace runtime
}  // namespace commtune::pmpi
