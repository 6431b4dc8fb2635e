// N cheap MPI calls (MPI_Comm_rank) on one rank; writes the peak resident memory (VmHWM, KiB) seen
// after MPI_Init and before MPI_Finalize to the file named by argv[2], for check_many.py.
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long peak_kib(void) {
  FILE* status = fopen("/proc/self/status", "r");
  char line[256];
  long kib = -1;
  while (status && fgets(line, sizeof line, status)) {
    if (strncmp(line, "VmHWM:", 6) == 0) kib = atol(line + 6);
  }
  if (status) fclose(status);
  return kib;
}

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  const long calls = argc > 1 ? atol(argv[1]) : 10000000;
  const long before = peak_kib();
  int rank = 0;
  for (long i = 0; i < calls; ++i) MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  const long after = peak_kib();
  if (argc > 2) {
    FILE* out = fopen(argv[2], "w");
    if (out) {
      fprintf(out, "%ld %ld\n", before, after);
      fclose(out);
    }
  }
  MPI_Finalize();
  return 0;
}
