/* A hung job, for `commtune run --timeout`. usage: hang barriers marker
 * Every rank makes exactly K MPI_Barrier calls; rank 0 then creates `marker` (so the test can tell
 * that the barriers were done before the timeout) and every rank waits in an MPI_Recv whose message
 * never comes: rank 0 from rank 1, the others from rank 0. */
#include "profile_test.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s barriers marker\n", argv[0]);
    return 2;
  }
  MPI_Init(&argc, &argv);
  int rank = 0, size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const int barriers = pt_arg_int(argc, argv, 1, 5);
  if (size < 2) PMPI_Abort(MPI_COMM_WORLD, 2);
  for (int i = 0; i < barriers; ++i) pt_check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier");
  PMPI_Barrier(MPI_COMM_WORLD); /* every rank is past its last MPI_Barrier (not profiled) */
  if (rank == 0) pt_write_file(argv[2], "barriers done\n");
  int value = 0;
  MPI_Recv(&value, 1, MPI_INT, rank == 0 ? 1 : 0, 77, MPI_COMM_WORLD, MPI_STATUS_IGNORE); /* never sent */
  MPI_Finalize();
  return 0;
}
