// The library's settings, read from COMMTUNE_* environment variables (see
// include/commtune/pmpi/settings.hpp for the list) and checked: an unknown variable or value is
// reported and the default used, never an error that stops the application.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace commtune::pmpi {

struct Settings {
  std::string output;          // empty: ./commtune-<program>-<date-time>
  bool profile = true;         // COMMTUNE_MODE=profile (false: off)
  std::string clock = "auto";  // auto|tsc|monotonic
  bool quiet = false;
  int callsite_depth = 1;                     // 1..8
  std::string command;                        // as given to `commtune run`
  std::string papi;                           // COMMTUNE_PAPI: comma-separated event names; empty: no counters
  std::uint64_t compress_sample_every = 128;  // 0: no compressibility sampling
  std::uint64_t compress_min_bytes = 65536;
  std::uint64_t compress_sample_bytes = 32768;
};

// Reads the environment; problems go to `warnings`, one sentence each naming the variable.
Settings read_settings(std::vector<std::string>& warnings);

}  // namespace commtune::pmpi
