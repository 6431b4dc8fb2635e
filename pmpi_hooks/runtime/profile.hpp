// The end of a normal run: every rank's dump is gathered to rank 0, which has the report library
// (libcommtune_report.so, loaded only now) merge them into profile.json and summary.txt.
#pragma once

#include <mpi.h>

namespace commtune::pmpi {

// Collective over `comm` (ours, a duplicate of MPI_COMM_WORLD).
void write_profile(MPI_Comm comm, bool quiet) noexcept;

}  // namespace commtune::pmpi
