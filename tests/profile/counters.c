/* COMMTUNE_PAPI: each rank computes (a CPU-bound loop, no sleeping) for BUSY_MS milliseconds of
 * its own CPU time before one MPI_Barrier, whose line goes to expected.json: the counters of that
 * call site's application phase must hold that CPU time (check_counters.py). CPU time, not wall
 * time: on a shared machine a rank may wait for a core.
 * usage: counters EXPECTED_JSON [BUSY_MS] */
#include "profile_test.h"

static double thread_cpu_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* CPU-bound work for `ms` milliseconds of this thread's CPU time; the result is returned so that
 * the loop is not optimised away. */
static double spin(int ms) {
  const double deadline = thread_cpu_seconds() + ms / 1000.0;
  double x = 1.0;
  while (thread_cpu_seconds() < deadline)
    for (int i = 0; i < 1000; ++i) x = x * 1.0000001 + 1e-9;
  return x;
}

int main(int argc, char** argv) {
  pt_check(MPI_Init(&argc, &argv), "MPI_Init");
  int rank = 0;
  pt_check(MPI_Comm_rank(MPI_COMM_WORLD, &rank), "MPI_Comm_rank");
  const int busy_ms = pt_arg_int(argc, argv, 2, 60);
  pt_check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier");
  const double result = spin(busy_ms);
  const int barrier_line = __LINE__ + 1;
  pt_check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier");
  if (rank == 0 && argc > 1) {
    char text[256];
    snprintf(text, sizeof text, "{\"barrier_line\": %d, \"busy_ms\": %d, \"file\": \"counters.c\", \"spin\": %g}\n",
             barrier_line, busy_ms, result > 0 ? 1.0 : 0.0);
    pt_write_file(argv[1], text);
  }
  pt_check(MPI_Finalize(), "MPI_Finalize");
  return 0;
}
