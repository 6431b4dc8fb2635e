/* Prints a deterministic result from rank 0 and exits with status 3 after MPI_Finalize: the
 * preload library must change neither the standard output nor the exit status. */
#include <mpi.h>
#include <stdio.h>

int main(int argc, char** argv) {
  int rank = 0, size = 0, value, sum = 0, prefix = 0;
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  value = (rank + 1) * (rank + 1);
  MPI_Allreduce(&value, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  MPI_Scan(&value, &prefix, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  int prefixes[64] = {0};
  MPI_Gather(&prefix, 1, MPI_INT, prefixes, 1, MPI_INT, 0, MPI_COMM_WORLD);
  if (rank == 0) {
    printf("ranks=%d sum_of_squares=%d\n", size, sum);
    for (int r = 0; r < size && r < 64; ++r) printf("prefix[%d]=%d\n", r, prefixes[r]);
    fflush(stdout);
  }
  MPI_Finalize();
  return 3;
}
