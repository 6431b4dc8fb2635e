// The settings of the preload library. They travel as COMMTUNE_* environment variables so that
// they reach every rank through the launcher; `commtune run` turns its options into them. This
// table is the one list of them: the CLI builds its options from it and the library validates
// the environment against it.
#pragma once

#include <array>
#include <string_view>

namespace commtune::pmpi {

struct Setting {
  std::string_view env;       // environment variable
  std::string_view flag;      // `commtune run` option
  std::string_view accepted;  // "a|b|c" for choices, empty for free text
  std::string_view default_value;
  std::string_view description;
};

inline constexpr std::array<Setting, 10> kSettings = {{
    {"COMMTUNE_OUTPUT", "--output", "", "",
     "Directory for the results (profile.json, summary.txt); default ./commtune-<program>-<date-time>"},
    {"COMMTUNE_MODE", "--mode", "profile|trace|off", "profile",
     "profile: record per-function statistics; trace: the profile and a log of every MPI call "
     "(DIR/trace, docs/trace.md; `--trace` is short for it); off: pass every call straight through"},
    {"COMMTUNE_TRACE_BUDGET", "--trace-budget", "", "64",
     "Trace mode: memory for the trace buffers of one rank, in MiB (at least 0.0625)"},
    {"COMMTUNE_TRACE_FLUSH", "--trace-flush", "", "1",
     "Trace mode: a block of events older than this many seconds is written out (what a killed rank can lose)"},
    {"COMMTUNE_TRACE_FUNCTIONS", "--trace-functions", "", "all",
     "Trace mode: all, or the function groups to log, comma-separated: p2p, collective, rma, io, completion, "
     "lifecycle, other"},
    {"COMMTUNE_TRACE_WINDOW", "--trace-window", "", "",
     "Trace mode: log only calls that start within START:END seconds after rank 0's MPI_Init (either may be empty)"},
    {"COMMTUNE_CLOCK", "--clock", "auto|tsc|monotonic", "auto",
     "Timer for MPI call durations: the calibrated time-stamp counter (auto where it is invariant) "
     "or clock_gettime(CLOCK_MONOTONIC)"},
    {"COMMTUNE_CALLSITE_DEPTH", "--callsite-depth", "1|2|3|4|5|6|7|8", "1",
     "Return addresses per call site: 1 attributes a call to the line that made it, more to the "
     "callers of a communication helper (depth > 1 walks the stack: 1.5-2 us per call)"},
    {"COMMTUNE_QUIET", "--quiet", "0|1", "0", "Print only warnings on stderr (no summary line)"},
    {"COMMTUNE_COMMAND", "", "", "", "The command line being profiled (set by `commtune run`)"},
}};

}  // namespace commtune::pmpi
