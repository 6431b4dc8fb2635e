// The report: rank dumps (schema commtune.rank/1, written by the preload library at MPI_Finalize,
// MPI_Abort, a fatal signal or a SIGUSR1 snapshot) merged into profile.json (commtune.profile/2)
// and summary.txt, with call sites resolved to function, file and line. Runs in `commtune run` and
// `commtune report`, and in rank 0's process at MPI_Finalize when the program was started without
// `commtune run` (through libcommtune_report.so, loaded only then).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace commtune::report {

struct Options {
  bool quiet = false;               // no banner on stderr
  bool quiet_when_partial = false;  // no banner for a partial profile (the caller says it in one line)
  std::string fallback_reason;      // partial_reason when the dumps do not say (e.g. "timeout after 10 s")
};

struct Result {
  bool ok = false;
  std::string error;              // why nothing was written
  std::filesystem::path profile;  // DIR/profile.json
  std::filesystem::path summary;  // DIR/summary.txt
  bool complete = false;
  std::vector<std::string> warnings;  // dumps left out, and why (also printed unless quiet)
};

// Merges the dumps (one per rank, any order; ranks may be missing) and writes DIR/profile.json
// and DIR/summary.txt through temporary files and renames. Prints the banner on stderr unless
// options.quiet.
Result write_report(const std::vector<std::string>& rank_dumps, const std::filesystem::path& dir,
                    const Options& options);

// Reads DIR/ranks/rank-*.json and calls write_report. ok == false when there is none.
Result report_from_directory(const std::filesystem::path& dir, const Options& options);

}  // namespace commtune::report

// The entry point of libcommtune_report.so for the preload library (dlopen + dlsym: C linkage,
// no C++ types across the boundary). Returns 0 on success; otherwise writes a message to `error`.
extern "C" int commtune_report_write(const char* const* dumps, const unsigned long* lengths, unsigned long count,
                                     const char* dir, int quiet, char* error, unsigned long error_size);
