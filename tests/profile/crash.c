/* Crash cases. usage: crash abort|segv [barriers=5]
 * Every rank makes exactly K MPI_Barrier calls; then rank 1 either calls
 * MPI_Abort(MPI_COMM_WORLD, 3) or writes through a null pointer, while the other ranks wait in an
 * MPI_Recv that never completes. The launcher ends the job; the ranks that get to write their dumps
 * report K barriers each, and rank 1's dump says why it ended (check_partial.py). */
#include <string.h>

#include "profile_test.h"

int main(int argc, char** argv) {
  if (argc < 2 || (strcmp(argv[1], "abort") != 0 && strcmp(argv[1], "segv") != 0)) {
    fprintf(stderr, "usage: %s abort|segv [barriers]\n", argv[0]);
    return 2;
  }
  MPI_Init(&argc, &argv);
  int rank = 0, size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const int barriers = pt_arg_int(argc, argv, 2, 5);
  if (size < 2) PMPI_Abort(MPI_COMM_WORLD, 2);
  for (int i = 0; i < barriers; ++i) pt_check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier");
  if (rank == 1) {
    printf("crash: rank 1 crashes (%s) after %d barriers\n", argv[1], barriers);
    fflush(stdout);
    if (strcmp(argv[1], "abort") == 0) MPI_Abort(MPI_COMM_WORLD, 3);
    volatile int* volatile null_pointer = NULL; /* volatile: the compiler must keep the store */
    *null_pointer = 42;
  } else {
    int value = 0;
    MPI_Recv(&value, 1, MPI_INT, 1, 99, MPI_COMM_WORLD, MPI_STATUS_IGNORE); /* never sent */
  }
  MPI_Finalize();
  return 0;
}
