// Calls spread over at least 1.5 s (150 rounds of a barrier, a rank query and a 10 ms pause; a
// fixed count, so that both ranks make the same barriers), for the time-window filter test
// (check_filter.py window).
#include <mpi.h>
#include <time.h>

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0;
  const struct timespec pause = {0, 10 * 1000 * 1000};
  for (int round = 0; round < 150; ++round) {
    MPI_Barrier(MPI_COMM_WORLD);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    nanosleep(&pause, NULL);
  }
  MPI_Finalize();
  return 0;
}
