/* Crash case: the job is terminated. usage: crash_sigterm barriers marker
 * Every rank makes exactly K MPI_Barrier calls; rank 0 then creates `marker` and all ranks sleep
 * (outside MPI) until the test sends SIGTERM to the launcher or to `commtune run`, which pass it to
 * the ranks. Without a signal the program gives up after 60 s and exits with status 7. */
#include "profile_test.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s barriers marker\n", argv[0]);
    return 2;
  }
  MPI_Init(&argc, &argv);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  const int barriers = pt_arg_int(argc, argv, 1, 5);
  for (int i = 0; i < barriers; ++i) pt_check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier");
  PMPI_Barrier(MPI_COMM_WORLD); /* every rank is past its last MPI_Barrier (not profiled) */
  if (rank == 0) {
    printf("crash_sigterm: %d barriers done; waiting for SIGTERM\n", barriers);
    fflush(stdout);
    pt_write_file(argv[2], "barriers done\n");
  }
  pt_sleep(60);
  fprintf(stderr, "crash_sigterm: rank %d: no SIGTERM within 60 s\n", rank);
  MPI_Finalize();
  return 7;
}
