// The profile: per-rank counters reduced to rank 0 and written as profile.json
// (schema commtune.profile/1, described in docs/profile.md).
#pragma once

#include <mpi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/call_scope.hpp"
#include "runtime/settings.hpp"

namespace commtune::pmpi {

inline constexpr const char* kProfileSchema = "commtune.profile/1";

// Facts about this rank's run that the profile reports besides the counters.
struct RunFacts {
  MPI_Comm comm = MPI_COMM_NULL;  // a duplicate of MPI_COMM_WORLD, ours alone
  int rank = 0;
  int size = 1;
  FunctionId init_function{};
  std::uint64_t init_entry_ns = 0;
  std::uint64_t init_duration_ns = 0;
  std::uint64_t finalize_entry_ns = 0;
  double seconds_per_tick = 1e-9;
  std::string clock_source;
  std::uint64_t untracked_requests = 0;
};

// Collective over facts.comm. Rank 0 writes DIR/profile.json; a directory it cannot write gets a
// warning and a temporary directory instead.
void write_profile(const RunFacts& facts, const Settings& settings, const std::vector<const ThreadStats*>& threads);

}  // namespace commtune::pmpi
