// The library's life: what happens when MPI starts and ends, and the recorded state it owns.
// Recording starts after PMPI_Init returns and ends before PMPI_Finalize is called, when the
// ranks' counters are reduced and rank 0 writes the profile.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/call_scope.hpp"
#include "runtime/requests.hpp"

namespace commtune::pmpi::runtime {

// After a successful PMPI_Init/PMPI_Init_thread that started at `entry_ns` (CLOCK_MONOTONIC).
void after_init(FunctionId which, std::uint64_t entry_ns) noexcept;
// Before PMPI_Finalize: reduce, write, stop recording. Does nothing unless after_init ran.
void before_finalize() noexcept;
// MPI_Pcontrol(level): 0 pauses recording, any other level resumes it.
void pcontrol(int level) noexcept;

// Every thread's counters, for the reduction at the end.
std::vector<const ThreadStats*> thread_stats();

}  // namespace commtune::pmpi::runtime
