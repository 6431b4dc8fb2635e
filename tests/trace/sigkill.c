// Two ranks exchange N messages, sleep longer than the flush interval (COMMTUNE_TRACE_FLUSH), make
// one more call (which finds its block old and writes it), then rank 1 SIGKILLs itself a moment later; rank 0
// waits in a barrier until the launcher ends the job. tests/trace/check_sigkill.py reads the logs.
#include <mpi.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  const int exchanges = argc > 1 ? atoi(argv[1]) : 50;
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  int value = 0;
  for (int i = 0; i < exchanges; ++i) {
    MPI_Sendrecv_replace(&value, 1, MPI_INT, 1 - rank, i, 1 - rank, i, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  }
  const struct timespec pause = {0, 600 * 1000 * 1000};
  nanosleep(&pause, NULL);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank == 1) {
    // Give rank 0 time to make its own call after the pause (and so write its block) before the
    // launcher, seeing rank 1 die, kills it too: on a loaded machine rank 0 may wake up late.
    const struct timespec grace = {0, 500 * 1000 * 1000};
    nanosleep(&grace, NULL);
    kill(getpid(), SIGKILL);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  MPI_Finalize();
  return 0;
}
