// `commtune sweep`'s options, shared with the files that add to the command (a batch-system
// submission adds its own option and calls run_sweep_command for the sweep itself).
#pragma once

#include <string>
#include <vector>

namespace commtune::cli {

struct SweepCommandOptions {
  std::vector<std::string> specs;
  std::string db;        // empty: tuner::ResultsDb::default_path()
  std::string work_dir;  // empty: a directory of its own under the system's temporary directory
  bool fresh = false;
  bool check = false;
};

// Checks or runs the specs; returns the exit code: 0 finished (or accepted), 2 a spec is not
// accepted, 130 interrupted, 1 the sweep failed.
int run_sweep_command(const SweepCommandOptions& options);

}  // namespace commtune::cli
