// Ranks of any communicator translated to MPI_COMM_WORLD ranks, for the communication matrix.
// A translation is computed once per communicator and cached in it as an MPI attribute, whose
// delete callback (run by MPI on every free path, Fortran's included) retires it; each thread
// keeps a few recent translations so that the common case costs a comparison.
#pragma once

#include <mpi.h>

namespace commtune::pmpi::peers {

// Creates the attribute key; collective-free, called once after MPI_Init.
void start() noexcept;

// world_rank() of another communicator than MPI_COMM_WORLD.
int translated_rank(MPI_Comm comm, int rank) noexcept;

// The MPI_COMM_WORLD rank of `rank` in `comm` (its remote group for an intercommunicator);
// -1 for MPI_PROC_NULL, MPI_ANY_SOURCE or when unknown. The common cases are inlined.
inline int world_rank(MPI_Comm comm, int rank) noexcept {
  if (rank < 0) return -1;  // MPI_PROC_NULL, MPI_ANY_SOURCE
  return comm == MPI_COMM_WORLD ? rank : translated_rank(comm, rank);
}

}  // namespace commtune::pmpi::peers
