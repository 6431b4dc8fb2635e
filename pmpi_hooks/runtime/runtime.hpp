// The library's life: what happens when MPI starts and ends. Recording starts after PMPI_Init
// returns and ends before PMPI_Finalize is called, when the ranks' records are gathered and rank
// 0 writes the profile; MPI_Abort and fatal signals leave each rank's partial record instead.
#pragma once

#include <mpi.h>

#include <cstdint>

#include "runtime/call_scope.hpp"

namespace commtune::pmpi::runtime {

// After a successful PMPI_Init/PMPI_Init_thread that started at `entry_ns` (CLOCK_MONOTONIC),
// called from `caller` (its return address).
void after_init(FunctionId which, std::uint64_t entry_ns, const void* caller) noexcept;
// Before PMPI_Finalize (called from `caller`): gather, write, stop recording. Does nothing unless
// after_init ran.
void before_finalize(const void* caller) noexcept;
// Before PMPI_Abort: this rank's partial record, for `commtune report`.
void before_abort() noexcept;
// MPI_Pcontrol: 0 pauses recording, 1 resumes it, 2 enters the region `name`, -2 leaves the
// innermost region; other levels resume, as before regions existed.
void pcontrol(int level, const char* name) noexcept;

}  // namespace commtune::pmpi::runtime
