// The library's settings, read from COMMTUNE_* environment variables (see
// include/commtune/pmpi/settings.hpp for the list) and checked: an unknown variable or value is
// reported and the default used, never an error that stops the application.
#pragma once

#include <string>
#include <vector>

namespace commtune::pmpi {

struct Settings {
  std::string output;   // empty: ./commtune-<program>-<date-time>
  bool profile = true;  // COMMTUNE_MODE=profile or trace (false: off)
  bool trace = false;   // COMMTUNE_MODE=trace
  double trace_budget_mib = 64;
  double trace_flush_s = 1;
  std::string trace_functions = "all";  // "all" or categories of functions.hpp, comma-separated
  double trace_window_start_s = 0;
  double trace_window_end_s = -1;  // < 0: no end
  std::string clock = "auto";      // auto|tsc|monotonic
  bool quiet = false;
  int callsite_depth = 1;  // 1..8
  std::string command;     // as given to `commtune run`
};

// Reads the environment; problems go to `warnings`, one sentence each naming the variable.
Settings read_settings(std::vector<std::string>& warnings);

}  // namespace commtune::pmpi
