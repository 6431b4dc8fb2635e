// The settings of commtune. They travel as COMMTUNE_* environment variables so that they reach
// every rank through the launcher; `commtune run` turns its options into them. This table is the
// one list of them: the CLI builds its options from it, and the library fills its Settings from it
// and validates the environment against it. Variables that only the CLI reads are in it too
// (marked by a null `apply`), so that the library knows them rather than warning about them.
#pragma once

#include <array>
#include <charconv>
#include <string>
#include <string_view>

namespace commtune::pmpi {

// What the preload library reads from the table, one member per library setting.
struct Settings {
  std::string output;          // empty: ./commtune-<program>-<date-time>
  bool profile = true;         // COMMTUNE_MODE=profile (false: off)
  std::string clock = "auto";  // auto|tsc|monotonic
  bool quiet = false;
  int callsite_depth = 1;       // 1..8
  std::string command;          // as given to `commtune run`
  bool report_in_rank0 = true;  // COMMTUNE_REPORT=rank0 (false: `commtune run` writes profile.json)
};

struct Setting {
  std::string_view env;       // environment variable
  std::string_view flag;      // `commtune run` option
  std::string_view accepted;  // "a|b|c" for choices, empty for free text
  std::string_view default_value;
  std::string_view description;
  // Stores the checked value (or the default) in the library's Settings; null for a variable
  // that only the CLI reads.
  void (*apply)(Settings& settings, std::string_view value);
};

inline constexpr std::array kSettings = std::to_array<Setting>({
    {"COMMTUNE_OUTPUT", "--output", "", "",
     "Directory for the results (profile.json, summary.txt); default ./commtune-<program>-<date-time>",
     [](Settings& s, std::string_view value) { s.output = value; }},
    {"COMMTUNE_MODE", "--mode", "profile|off", "profile",
     "profile: record per-function statistics; off: pass every call straight through",
     [](Settings& s, std::string_view value) { s.profile = value == "profile"; }},
    {"COMMTUNE_CLOCK", "--clock", "auto|tsc|monotonic", "auto",
     "Timer for MPI call durations: the calibrated time-stamp counter (auto where it is invariant) "
     "or clock_gettime(CLOCK_MONOTONIC)",
     [](Settings& s, std::string_view value) { s.clock = value; }},
    {"COMMTUNE_CALLSITE_DEPTH", "--callsite-depth", "1|2|3|4|5|6|7|8", "1",
     "Return addresses per call site: 1 attributes a call to the line that made it, more to the "
     "callers of a communication helper (depth > 1 walks the stack: 1.5-2 us per call)",
     [](Settings& s, std::string_view value) {
       std::from_chars(value.data(), value.data() + value.size(), s.callsite_depth);
     }},
    {"COMMTUNE_QUIET", "--quiet", "0|1", "0", "Print only warnings on stderr (no summary line)",
     [](Settings& s, std::string_view value) { s.quiet = value == "1"; }},
    {"COMMTUNE_COMMAND", "", "", "", "The command line being profiled (set by `commtune run`)",
     [](Settings& s, std::string_view value) { s.command = value; }},
    {"COMMTUNE_REPORT", "", "rank0|commtune", "rank0",
     "Who writes profile.json: rank 0 at MPI_Finalize, or `commtune run` after the launcher exits "
     "(set by `commtune run`: rank 0 then only saves the ranks' records in DIR/ranks, and the "
     "program never loads the report library)",
     [](Settings& s, std::string_view value) { s.report_in_rank0 = value == "rank0"; }},
    // Read by the CLI only.
    {"COMMTUNE_PRELOAD", "", "", "", "The library `commtune` injects (default: the one installed beside it)", nullptr},
    {"COMMTUNE_KERNEL_RUNNER", "", "", "",
     "The kernel runner `commtune kernel` starts (default: the one installed beside it)", nullptr},
});

}  // namespace commtune::pmpi
