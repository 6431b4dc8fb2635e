// The end of a normal run: every rank's dump is gathered to rank 0, which has the report library
// (libcommtune_report.so, loaded only now) merge them into profile.json and summary.txt.
#pragma once

#include <mpi.h>

namespace commtune::pmpi {

// Collective over `comm` (ours, a duplicate of MPI_COMM_WORLD): gathers every rank's record to
// rank 0, which writes profile.json through libcommtune_report.so (`in_rank0`) or saves the
// records in DIR/ranks for `commtune run` to merge.
void write_profile(MPI_Comm comm, bool quiet, bool in_rank0) noexcept;

}  // namespace commtune::pmpi
