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
    {"COMMTUNE_MODE", "--mode", "profile|off", "profile",
     "profile: record per-function statistics; off: pass every call straight through"},
    {"COMMTUNE_CLOCK", "--clock", "auto|tsc|monotonic", "auto",
     "Timer for MPI call durations: the calibrated time-stamp counter (auto where it is invariant) "
     "or clock_gettime(CLOCK_MONOTONIC)"},
    {"COMMTUNE_CALLSITE_DEPTH", "--callsite-depth", "1|2|3|4|5|6|7|8", "1",
     "Return addresses per call site: 1 attributes a call to the line that made it, more to the "
     "callers of a communication helper (depth > 1 walks the stack: 1.5-2 us per call)"},
    {"COMMTUNE_PAPI", "--papi", "", "",
     "Counters per call site's application phase, e.g. PAPI_TOT_CYC,PAPI_TOT_INS or perf::TASK-CLOCK (at most "
     "4); where they cannot be measured, software events stand in and the profile says so"},
    {"COMMTUNE_COMPRESS_SAMPLE", "--compress-sample", "", "128",
     "Compressibility of send payloads: sample 1 in N eligible sends per call site (lz4, zstd-1); 0 disables"},
    {"COMMTUNE_COMPRESS_MIN_BYTES", "--compress-min-bytes", "", "65536",
     "Compressibility: only contiguous sends of at least this many bytes are eligible"},
    {"COMMTUNE_COMPRESS_SAMPLE_BYTES", "--compress-sample-bytes", "", "32768",
     "Compressibility: bytes compressed per sample, 16 equal pieces spread over the buffer (1024..16777216)"},
    {"COMMTUNE_QUIET", "--quiet", "0|1", "0", "Print only warnings on stderr (no summary line)"},
    {"COMMTUNE_COMMAND", "", "", "", "The command line being profiled (set by `commtune run`)"},
}};

}  // namespace commtune::pmpi
