/* libcallsite_helper.so: an MPI call made from inside a shared library, for callsites.c. */
#ifndef COMMTUNE_TESTS_CALLSITE_HELPER_H
#define COMMTUNE_TESTS_CALLSITE_HELPER_H

#include <mpi.h>

#define HELPER_BARRIER_CALLS 3

/* Calls MPI_Barrier(comm) HELPER_BARRIER_CALLS times, all from one source line of
 * callsite_helper.c, and returns that line (-1 when a barrier failed). */
int helper_barrier(MPI_Comm comm);

#endif
