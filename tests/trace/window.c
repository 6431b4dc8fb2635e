// Calls spread over 1.5 s (a barrier and a rank query every 10 ms), for the time-window filter
// test (check_filter.py window).
#include <mpi.h>
#include <time.h>

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  const double start = MPI_Wtime();
  int rank = 0;
  const struct timespec pause = {0, 10 * 1000 * 1000};
  while (MPI_Wtime() - start < 1.5) {
    MPI_Barrier(MPI_COMM_WORLD);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    nanosleep(&pause, NULL);
  }
  MPI_Finalize();
  return 0;
}
