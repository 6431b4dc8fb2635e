// Which counter events a rank measures for COMMTUNE_PAPI, and why others are missing: the
// requested events PAPI can count here, and, when some cannot be (no PMU in a VM, an unknown
// name), software events standing in so that the profile still holds a compute measure. Kept apart
// from PAPI and MPI so that tests can drive it with a pretend PAPI.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace commtune::pmpi::counters {

// At most this many events per run (a small PMU's programmable counters).
inline constexpr int kMaxEvents = 4;

// Where an event's counts come from.
enum class Source : std::uint8_t {
  Papi,           // a PAPI preset or native event
  ThreadCpuTime,  // commtune::TASK-CLOCK: clock_gettime(CLOCK_THREAD_CPUTIME_ID), ns
  PageFaults,     // commtune::PAGE-FAULTS: getrusage(RUSAGE_THREAD), minor + major faults
};

struct Event {
  std::string name;
  Source source = Source::Papi;
};

struct Choice {
  std::vector<Event> measured;        // in counting order; PAPI ones in the order they were added
  std::vector<std::string> notes;     // events not counted and what stands in, one sentence each
  std::vector<std::string> warnings;  // names PAPI does not know
  bool fallback = false;              // software events stand in for requested ones
};

// Adds `name` to the PAPI event set being built: a commtune_papi_status (papi/papi_plugin.h),
// PAPI's reason in `reason`.
using TryPapi = std::function<int(const std::string& name, std::string& reason)>;

// Splits COMMTUNE_PAPI's comma list (blanks trimmed, empty items and repeats dropped).
std::vector<std::string> split_events(const std::string& list);

// The events to measure for `requested`.
Choice choose(const std::vector<std::string>& requested, const TryPapi& try_papi);

}  // namespace commtune::pmpi::counters
