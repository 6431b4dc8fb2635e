/* A small MPI program for the `commtune` CLI tests.
 *   cli_probe exit N   MPI_Init, a barrier, MPI_Finalize, then exit with status N.
 *   cli_probe env      each rank prints one line with its rank and the values of LD_PRELOAD and
 *                      COMMTUNE_OUTPUT it received ("<unset>" when absent), then exits 0. */
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
  if (argc >= 3 && strcmp(argv[1], "exit") == 0) {
    status = atoi(argv[2]);
  } else if (argc >= 2 && strcmp(argv[1], "env") == 0) {
    const char* preload = getenv("LD_PRELOAD");
    const char* output = getenv("COMMTUNE_OUTPUT");
    char line[8192];
    snprintf(line, sizeof line, "rank=%d/%d LD_PRELOAD=%s COMMTUNE_OUTPUT=%s\n", rank, size,
             preload ? preload : "<unset>", output ? output : "<unset>");
    fputs(line, stdout);
    fflush(stdout);
  } else {
    if (rank == 0) fprintf(stderr, "usage: cli_probe exit N | cli_probe env\n");
    status = 2;
  }
  MPI_Barrier(MPI_COMM_WORLD);
  MPI_Finalize();
  return status;
}
