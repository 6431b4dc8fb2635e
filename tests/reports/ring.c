// A small ring exchange for the report tests: nonblocking sends to both neighbours, a wait, some
// computation that grows with the rank (imbalance), and an MPI_Allreduce. Ignores its arguments,
// so a test can pass it any (the escaping test passes "<script>alert(1)</script>").
#include <mpi.h>
#include <stdio.h>

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  enum { kCount = 4096, kRounds = 50 };
  static double out[kCount], in[2][kCount];
  double sum = 0;
  for (int round = 0; round < kRounds; ++round) {
    MPI_Request requests[4];
    const int right = (rank + 1) % size, left = (rank + size - 1) % size;
    MPI_Irecv(in[0], kCount, MPI_DOUBLE, left, 0, MPI_COMM_WORLD, &requests[0]);
    MPI_Irecv(in[1], kCount, MPI_DOUBLE, right, 1, MPI_COMM_WORLD, &requests[1]);
    MPI_Isend(out, kCount, MPI_DOUBLE, right, 0, MPI_COMM_WORLD, &requests[2]);
    MPI_Isend(out, kCount, MPI_DOUBLE, left, 1, MPI_COMM_WORLD, &requests[3]);
    for (long i = 0; i < 20000L * (rank + 1); ++i) sum += 1e-9 * (double)i;
    MPI_Waitall(4, requests, MPI_STATUSES_IGNORE);
    for (int i = 0; i < kCount; ++i) out[i] = in[0][i] + in[1][i] + sum;
    double total = 0;
    MPI_Allreduce(&sum, &total, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
  }
  if (rank == 0) printf("ring done\n");
  MPI_Finalize();
  return 0;
}
