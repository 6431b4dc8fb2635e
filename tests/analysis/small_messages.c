/* Many small messages to one peer, then a halo exchange and a reduction: a program whose signature
 * the checker (check_signature.cpp) compares with its profile. usage: small_messages [messages=2000]
 * [bytes=64]
 *
 * Even ranks send `messages` messages of `bytes` bytes to the next odd rank with MPI_Send (one
 * source line), computing a little between them; odd ranks receive them with MPI_Recv. Then every
 * rank exchanges 4 KiB with both ring neighbours by MPI_Sendrecv, and all take part in an
 * MPI_Allreduce. The two phases are the MPI_Pcontrol regions "small" and "halo" (per-region POP
 * metrics when traced). Run with an even number of ranks. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

static volatile double g_sink;

static void compute(int steps) {
  double x = 1.0;
  for (int i = 0; i < steps; ++i) x = x * 1.0000001 + 1e-9;
  g_sink = x;
}

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const int messages = argc > 1 ? atoi(argv[1]) : 2000;
  const int bytes = argc > 2 ? atoi(argv[2]) : 64;
  if (size % 2 != 0) {
    if (rank == 0) fprintf(stderr, "small_messages: run with an even number of ranks, not %d\n", size);
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  char* buffer = calloc((size_t)bytes + 4096 * 2, 1);
  MPI_Pcontrol(2, "small");
  for (int i = 0; i < messages; ++i) {
    compute(2000);
    if (rank % 2 == 0)
      MPI_Send(buffer, bytes, MPI_BYTE, rank + 1, 1, MPI_COMM_WORLD);
    else
      MPI_Recv(buffer, bytes, MPI_BYTE, rank - 1, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  }
  MPI_Pcontrol(-2, "small");
  MPI_Pcontrol(2, "halo");
  const int right = (rank + 1) % size, left = (rank + size - 1) % size;
  for (int i = 0; i < 20; ++i) {
    compute(20000);
    MPI_Sendrecv(buffer, 4096, MPI_BYTE, right, 2, buffer + 4096, 4096, MPI_BYTE, left, 2, MPI_COMM_WORLD,
                 MPI_STATUS_IGNORE);
  }
  MPI_Pcontrol(-2, "halo");
  double local = rank, total = 0;
  MPI_Allreduce(&local, &total, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
  free(buffer);
  MPI_Finalize();
  return 0;
}
