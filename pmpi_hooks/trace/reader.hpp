// Reads the binary trace logs of a run directory (run_directory::trace_logs(), format.hpp) into the decoded
// model (model.hpp): every rank's and thread's calls on rank 0's clock, communicators unified
// across ranks, call sites resolved to file:line. A damaged or truncated log is read up to its last
// complete block (Location::complete false, a warning naming the file); it never throws for one.
#pragma once

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "trace/model.hpp"

namespace commtune::trace {

struct ReadOptions {
  bool resolve_sites = true;  // file:line from the module files (costly for large binaries)
};

// Throws std::runtime_error (naming the directory) when it holds no trace logs at all.
Trace read_trace(const std::filesystem::path& run_dir, const ReadOptions& options = {});

}  // namespace commtune::trace
