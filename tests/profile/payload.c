/* Compressibility sampling: rank 0 sends ROUNDS messages of 1 MiB of repeated int64 ids from one
 * call site (MPI_Send) and ROUNDS of random bytes from another (MPI_Isend); rank 1 receives them.
 * The sites' lines go to expected.json for check_payload.py.
 * usage: payload EXPECTED_JSON [ROUNDS] */
#include <stdint.h>

#include "profile_test.h"

enum { kBytes = 1 << 20 };

int main(int argc, char** argv) {
  pt_check(MPI_Init(&argc, &argv), "MPI_Init");
  int rank = 0, size = 0;
  pt_check(MPI_Comm_rank(MPI_COMM_WORLD, &rank), "MPI_Comm_rank");
  pt_check(MPI_Comm_size(MPI_COMM_WORLD, &size), "MPI_Comm_size");
  const int rounds = pt_arg_int(argc, argv, 2, 130);
  int64_t* ids = malloc(kBytes);
  uint64_t* noise = malloc(kBytes);
  uint64_t state = 0x9E3779B97F4A7C15ull + (uint64_t)rank;
  for (int i = 0; i < kBytes / 8; ++i) {
    ids[i] = 100000 + i / 256; /* runs of one id, as in a sorted index */
    state ^= state << 13, state ^= state >> 7, state ^= state << 17;
    noise[i] = state;
  }
  int ids_line = 0, noise_line = 0;
  for (int round = 0; round < rounds && size >= 2; ++round) {
    if (rank == 0) {
      ids_line = __LINE__ + 1;
      pt_check(MPI_Send(ids, kBytes / 8, MPI_INT64_T, 1, 1, MPI_COMM_WORLD), "MPI_Send");
      MPI_Request request;
      noise_line = __LINE__ + 1;
      pt_check(MPI_Isend(noise, kBytes, MPI_BYTE, 1, 2, MPI_COMM_WORLD, &request), "MPI_Isend");
      pt_check(MPI_Wait(&request, MPI_STATUS_IGNORE), "MPI_Wait");
    } else if (rank == 1) {
      pt_check(MPI_Recv(ids, kBytes / 8, MPI_INT64_T, 0, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE), "MPI_Recv");
      pt_check(MPI_Recv(noise, kBytes, MPI_BYTE, 0, 2, MPI_COMM_WORLD, MPI_STATUS_IGNORE), "MPI_Recv");
    }
  }
  if (rank == 0 && argc > 1) {
    char text[256];
    snprintf(text, sizeof text, "{\"file\": \"payload.c\", \"ids_line\": %d, \"noise_line\": %d, \"rounds\": %d}\n",
             ids_line, noise_line, rounds);
    pt_write_file(argv[1], text);
  }
  free(ids);
  free(noise);
  pt_check(MPI_Finalize(), "MPI_Finalize");
  return 0;
}
