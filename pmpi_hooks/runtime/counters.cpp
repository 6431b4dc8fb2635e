#include "runtime/counters.hpp"

#include <dlfcn.h>
#include <sys/resource.h>
#include <time.h>

#include <cstring>

#include "papi/papi_plugin.h"
#include "runtime/counter_choice.hpp"

namespace commtune::pmpi::counters {

bool g_counting = false;

namespace {

constexpr int kMaxRequested = 16;
constexpr int kMaxNotes = 16;

struct MeasuredEvent {
  char name[128] = {};
  Source source = Source::Papi;
  int papi_index = 0;  // its position in the thread's PAPI event set
};

// Written once in start(), before recording begins; read by every thread and by the dump.
struct Setup {
  const commtune_papi_api* papi = nullptr;
  MeasuredEvent events[kMaxEvents];
  int event_count = 0;
  int papi_count = 0;
  char requested[kMaxRequested][128] = {};
  int requested_count = 0;
  char notes[kMaxNotes][320] = {};
  int note_count = 0;
  bool fallback = false;
} g_setup;

struct ThreadCounters {
  bool ready = false;        // this thread's event set exists (or could not be made: broken)
  bool broken = false;       // reads fail: count nothing in this thread
  bool phase_open = false;   // phase_start_values holds a reading
  bool entry_valid = false;  // entry_values closes an open phase
  int eventset = -1;
  std::uint64_t phase_start_values[kMaxEvents] = {};
  std::uint64_t entry_values[kMaxEvents] = {};
};
constinit thread_local ThreadCounters t_counters __attribute__((tls_model("initial-exec")));

template <std::size_t N>
void copy(char (&to)[N], const std::string& from) {
  std::strncpy(to, from.c_str(), N - 1);
  to[N - 1] = 0;
}

// libcommtune_papi.so beside this library.
const commtune_papi_api* load_plugin(std::string& error) {
  Dl_info self;
  if (!dladdr(reinterpret_cast<void*>(&start), &self) || !self.dli_fname) {
    error = "cannot locate libcommtune_pmpi.so";
    return nullptr;
  }
  std::string path = self.dli_fname;
  path = path.substr(0, path.find_last_of('/') + 1) + "libcommtune_papi.so";
  void* library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!library) {
    const char* reason = dlerror();
    error = reason ? reason : path + " cannot be loaded";
    return nullptr;
  }
  using Entry = const commtune_papi_api* (*)();
  auto* entry = reinterpret_cast<Entry>(dlsym(library, "commtune_papi_plugin"));
  if (!entry) error = path + " has no commtune_papi_plugin";
  return entry ? entry() : nullptr;
}

bool read_all(const ThreadCounters& t, std::uint64_t* values) noexcept {
  long long papi_values[kMaxEvents] = {};
  if (g_setup.papi_count > 0 && g_setup.papi->read(t.eventset, papi_values) != 0) return false;
  rusage usage{};
  bool have_usage = false;
  for (int i = 0; i < g_setup.event_count; ++i) {
    const MeasuredEvent& event = g_setup.events[i];
    switch (event.source) {
      case Source::Papi:
        values[i] = std::uint64_t(papi_values[event.papi_index]);
        break;
      case Source::ThreadCpuTime: {
        timespec now{};
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
        values[i] = std::uint64_t(now.tv_sec) * 1000000000u + std::uint64_t(now.tv_nsec);
        break;
      }
      case Source::PageFaults:
        if (!have_usage) have_usage = getrusage(RUSAGE_THREAD, &usage) == 0;
        values[i] = std::uint64_t(usage.ru_minflt) + std::uint64_t(usage.ru_majflt);
        break;
    }
  }
  return true;
}

// A thread's first recorded call: its own event set with the chosen PAPI events.
void prepare_thread(ThreadCounters& t) noexcept {
  t.ready = true;
  if (g_setup.papi_count == 0) return;
  char reason[256];
  if (g_setup.papi->create(&t.eventset) != 0) {
    t.broken = true;
    return;
  }
  for (int i = 0; i < g_setup.event_count; ++i) {
    if (g_setup.events[i].source != Source::Papi) continue;
    if (g_setup.papi->add(t.eventset, g_setup.events[i].name, reason, sizeof reason) != COMMTUNE_PAPI_ADDED) {
      t.broken = true;
      return;
    }
  }
  t.broken = g_setup.papi->start(t.eventset) != 0;
}

void add_note(const std::string& text) {
  if (g_setup.note_count < kMaxNotes) copy(g_setup.notes[g_setup.note_count++], text);
}

}  // namespace

void start(const std::string& requested, std::vector<std::string>& warnings, std::vector<std::string>& notes) noexcept {
  const std::vector<std::string> names = split_events(requested);
  if (names.empty()) return;
  for (const std::string& name : names)
    if (g_setup.requested_count < kMaxRequested) copy(g_setup.requested[g_setup.requested_count++], name);

  std::string papi_error;
  const commtune_papi_api* papi = load_plugin(papi_error);
  char message[256] = {};
  if (papi && papi->init(message, sizeof message) != 0) {
    papi_error = std::string("PAPI_library_init: ") + message;
    papi = nullptr;
  }
  int probe = -1;  // becomes this thread's event set
  if (papi && papi->create(&probe) != 0) {
    papi_error = "PAPI_create_eventset failed";
    papi = nullptr;
  }
  const Choice choice = choose(names, [&](const std::string& name, std::string& reason) {
    if (!papi) {
      reason = "PAPI unavailable: " + papi_error;
      return int(COMMTUNE_PAPI_UNAVAILABLE);
    }
    char why[256] = {};
    const int status = papi->add(probe, name.c_str(), why, sizeof why);
    reason = why;
    return status;
  });
  g_setup.papi = papi;
  for (const Event& event : choice.measured) {
    MeasuredEvent& slot = g_setup.events[g_setup.event_count++];
    copy(slot.name, event.name);
    slot.source = event.source;
    if (event.source == Source::Papi) slot.papi_index = g_setup.papi_count++;
  }
  for (const std::string& note : choice.notes) add_note(note);
  g_setup.fallback = choice.fallback;
  warnings.insert(warnings.end(), choice.warnings.begin(), choice.warnings.end());
  notes.insert(notes.end(), choice.notes.begin(), choice.notes.end());
  if (g_setup.event_count == 0) return;

  ThreadCounters& t = t_counters;
  t.ready = true;
  t.eventset = probe;
  t.broken = g_setup.papi_count > 0 && papi->start(probe) != 0;
  g_counting = true;
  phase_start();  // the first phase: from MPI_Init's exit to the first call
}

void phase_end() noexcept {
  ThreadCounters& t = t_counters;
  t.entry_valid = false;
  if (!t.ready) prepare_thread(t);  // this thread's first phase began before we could count it
  if (t.broken || !t.phase_open) return;
  t.entry_valid = read_all(t, t.entry_values);
}

void attribute(SiteStats& site) noexcept {
  ThreadCounters& t = t_counters;
  if (!t.entry_valid) return;
  for (int i = 0; i < g_setup.event_count; ++i) {
    const std::uint64_t begin = t.phase_start_values[i], end = t.entry_values[i];
    if (end > begin) site.counters[i] += end - begin;
  }
  t.entry_valid = false;
}

void phase_start() noexcept {
  ThreadCounters& t = t_counters;
  if (!t.ready || t.broken) return;
  t.phase_open = read_all(t, t.phase_start_values);
}

int requested_count() noexcept { return g_setup.requested_count; }
const char* requested(int i) noexcept { return g_setup.requested[i]; }
int measured_count() noexcept { return g_setup.event_count; }
const char* measured(int i) noexcept { return g_setup.events[i].name; }
int note_count() noexcept { return g_setup.note_count; }
const char* note(int i) noexcept { return g_setup.notes[i]; }
bool fallback() noexcept { return g_setup.fallback; }

}  // namespace commtune::pmpi::counters
