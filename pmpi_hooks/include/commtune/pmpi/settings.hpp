// The settings of commtune. They travel as COMMTUNE_* environment variables so that they reach
// every rank through the launcher; `commtune run` turns its options into them. This table is the
// one list of them: the CLI builds its options from it, and the library fills its Settings from it
// and validates the environment against it. Variables that only the CLI reads are in it too
// (marked by a null `apply`), so that the library knows them rather than warning about them.
#pragma once

#include <array>
#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

namespace commtune::pmpi {

// What the preload library reads from the table, one member per library setting.
struct Settings {
  std::string output;   // empty: ./commtune-<program>-<date-time>
  bool profile = true;  // COMMTUNE_MODE=profile or trace (false: off)
  bool trace = false;   // COMMTUNE_MODE=trace
  double trace_budget_mib = 64;
  double trace_flush_s = 1;
  std::string trace_functions = "all";  // "all" or function categories, comma-separated
  double trace_window_start_s = 0;
  double trace_window_end_s = -1;  // < 0: no end
  std::string clock = "auto";      // auto|tsc|monotonic
  bool quiet = false;
  int callsite_depth = 1;                     // 1..8
  std::string command;                        // as given to `commtune run`
  bool report_in_rank0 = true;                // COMMTUNE_REPORT=rank0 (false: `commtune run` writes profile.json)
  std::string papi;                           // COMMTUNE_PAPI: comma-separated event names; empty: no counters
  std::uint64_t compress_sample_every = 128;  // 0: no compressibility sampling
  std::uint64_t compress_min_bytes = 65536;
  std::uint64_t compress_sample_bytes = 32768;
};

// Parsers of free-text values: true when all of `text` is a valid value, stored in `out`.
namespace setting_values {
inline bool number(std::string_view text, double minimum, double& out) {
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc{} || end != text.data() + text.size() || !(value >= minimum)) return false;
  out = value;
  return true;
}
template <typename Integer>
bool integer(std::string_view text, std::uint64_t low, std::uint64_t high, Integer& out) {
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc{} || end != text.data() + text.size() || value < low || value > high) {
    return false;
  }
  out = Integer(value);
  return true;
}
// START:END seconds after MPI_Init, either side empty (END > START); "" is the whole run.
inline bool window(std::string_view text, Settings& s) {
  if (text.empty()) return true;
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos) return false;
  double start = 0, end = -1;
  if (colon > 0 && !number(text.substr(0, colon), 0, start)) return false;
  if (colon + 1 < text.size() && (!number(text.substr(colon + 1), 0, end) || end <= start)) return false;
  s.trace_window_start_s = start;
  s.trace_window_end_s = end;
  return true;
}
}  // namespace setting_values

struct Setting {
  std::string_view env;       // environment variable
  std::string_view flag;      // `commtune run` option
  std::string_view accepted;  // "a|b|c" for choices, empty for free text
  std::string_view default_value;
  std::string_view description;
  // Stores a value (already one of `accepted`, when that is given) in the library's Settings.
  // Returns "" when it did, else what the variable accepts, for the warning; the default is then
  // stored. Null for a variable that only the CLI reads.
  std::string_view (*apply)(Settings& settings, std::string_view value);
};

inline constexpr std::array kSettings = std::to_array<Setting>({
    {"COMMTUNE_OUTPUT", "--output", "", "",
     "Directory for the results (profile.json, summary.txt); default ./commtune-<program>-<date-time>",
     [](Settings& s, std::string_view value) -> std::string_view {
       s.output = value;
       return "";
     }},
    {"COMMTUNE_MODE", "--mode", "profile|trace|off", "profile",
     "profile: record per-function statistics; trace: the profile and a log of every MPI call "
     "(DIR/trace, docs/trace.md; `--trace` is short for it); off: pass every call straight through",
     [](Settings& s, std::string_view value) -> std::string_view {
       s.profile = value != "off";
       s.trace = value == "trace";
       return "";
     }},
    {"COMMTUNE_TRACE_BUDGET", "--trace-budget", "", "64",
     "Trace mode: memory for the trace buffers of one rank, in MiB (at least 0.0625)",
     [](Settings& s, std::string_view value) -> std::string_view {
       return setting_values::number(value, 0.0625, s.trace_budget_mib) ? "" : "a number of MiB >= 0.0625";
     }},
    {"COMMTUNE_TRACE_FLUSH", "--trace-flush", "", "1",
     "Trace mode: a block of events older than this many seconds is written out (what a killed rank can lose)",
     [](Settings& s, std::string_view value) -> std::string_view {
       return setting_values::number(value, 0.001, s.trace_flush_s) ? "" : "a number of seconds >= 0.001";
     }},
    {"COMMTUNE_TRACE_FUNCTIONS", "--trace-functions", "", "all",
     "Trace mode: all, or the function groups to log, comma-separated: p2p, collective, rma, io, completion, "
     "lifecycle, other",
     // Checked against the library's function categories by read_settings.
     [](Settings& s, std::string_view value) -> std::string_view {
       s.trace_functions = value;
       return "";
     }},
    {"COMMTUNE_TRACE_WINDOW", "--trace-window", "", "",
     "Trace mode: log only calls that start within START:END seconds after rank 0's MPI_Init (either may be empty)",
     [](Settings& s, std::string_view value) -> std::string_view {
       return setting_values::window(value, s) ? ""
                                               : "START:END seconds after MPI_Init (END > START, either may be empty)";
     }},
    {"COMMTUNE_CLOCK", "--clock", "auto|tsc|monotonic", "auto",
     "Timer for MPI call durations: the calibrated time-stamp counter (auto where it is invariant) "
     "or clock_gettime(CLOCK_MONOTONIC)",
     [](Settings& s, std::string_view value) -> std::string_view {
       s.clock = value;
       return "";
     }},
    {"COMMTUNE_CALLSITE_DEPTH", "--callsite-depth", "1|2|3|4|5|6|7|8", "1",
     "Return addresses per call site: 1 attributes a call to the line that made it, more to the "
     "callers of a communication helper (depth > 1 walks the stack: 1.5-2 us per call)",
     [](Settings& s, std::string_view value) -> std::string_view {
       return setting_values::integer(value, 1, 8, s.callsite_depth) ? "" : "1 to 8";
     }},
    {"COMMTUNE_PAPI", "--papi", "", "",
     "Counters per call site's application phase, e.g. PAPI_TOT_CYC,PAPI_TOT_INS or perf::TASK-CLOCK (at most "
     "4); where they cannot be measured, software events stand in and the profile says so",
     [](Settings& s, std::string_view value) -> std::string_view {
       s.papi = value;
       return "";
     }},
    {"COMMTUNE_COMPRESS_SAMPLE", "--compress-sample", "", "128",
     "Compressibility of send payloads: sample 1 in N eligible sends per call site (lz4, zstd-1); 0 disables",
     [](Settings& s, std::string_view value) -> std::string_view {
       return setting_values::integer(value, 0, 1u << 30, s.compress_sample_every) ? "" : "an integer in 0..1073741824";
     }},
    {"COMMTUNE_COMPRESS_MIN_BYTES", "--compress-min-bytes", "", "65536",
     "Compressibility: only contiguous sends of at least this many bytes are eligible",
     [](Settings& s, std::string_view value) -> std::string_view {
       return setting_values::integer(value, 1, std::uint64_t(1) << 40, s.compress_min_bytes)
                  ? ""
                  : "an integer in 1..1099511627776";
     }},
    {"COMMTUNE_COMPRESS_SAMPLE_BYTES", "--compress-sample-bytes", "", "32768",
     "Compressibility: bytes compressed per sample, 16 equal pieces spread over the buffer (1024..16777216)",
     [](Settings& s, std::string_view value) -> std::string_view {
       return setting_values::integer(value, 1024, 16u << 20, s.compress_sample_bytes) ? ""
                                                                                       : "an integer in 1024..16777216";
     }},
    {"COMMTUNE_QUIET", "--quiet", "0|1", "0", "Print only warnings on stderr (no summary line)",
     [](Settings& s, std::string_view value) -> std::string_view {
       s.quiet = value == "1";
       return "";
     }},
    {"COMMTUNE_COMMAND", "", "", "", "The command line being profiled (set by `commtune run`)",
     [](Settings& s, std::string_view value) -> std::string_view {
       s.command = value;
       return "";
     }},
    {"COMMTUNE_REPORT", "", "rank0|commtune", "rank0",
     "Who writes profile.json: rank 0 at MPI_Finalize, or `commtune run` after the launcher exits "
     "(set by `commtune run`: rank 0 then only saves the ranks' records in DIR/ranks, and the "
     "program never loads the report library)",
     [](Settings& s, std::string_view value) -> std::string_view {
       s.report_in_rank0 = value == "rank0";
       return "";
     }},
    // Read by the CLI only.
    {"COMMTUNE_PRELOAD", "", "", "", "The library `commtune` injects (default: the one installed beside it)", nullptr},
    {"COMMTUNE_KERNEL_RUNNER", "", "", "",
     "The kernel runner `commtune kernel` starts (default: the one installed beside it)", nullptr},
});

}  // namespace commtune::pmpi
