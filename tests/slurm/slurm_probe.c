/* A small MPI program for the Slurm tests: what each rank sees when srun starts it.
 *   slurm_probe env      each rank prints "rank=R size=S LD_PRELOAD=..." ("<unset>" when absent)
 *   slurm_probe exit N   rank 0 exits with status N after MPI_Finalize, the others with 0
 * With the wrong --mpi plugin srun starts N separate singletons that each see size 1 and rank 0:
 * the rank and size printed tell that apart from one job of N ranks, which the exit code cannot. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0;
  int size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  int status = 0;
  if (argc >= 2 && strcmp(argv[1], "env") == 0) {
    const char* preload = getenv("LD_PRELOAD");
    char line[8192];
    snprintf(line, sizeof line, "rank=%d size=%d LD_PRELOAD=%s\n", rank, size, preload ? preload : "<unset>");
    fputs(line, stdout);
    fflush(stdout);
  } else if (argc >= 3 && strcmp(argv[1], "exit") == 0) {
    status = rank == 0 ? atoi(argv[2]) : 0;
  } else {
    if (rank == 0) fprintf(stderr, "usage: slurm_probe env | slurm_probe exit N\n");
    status = 2;
  }
  MPI_Barrier(MPI_COMM_WORLD);
  MPI_Finalize();
  return status;
}
