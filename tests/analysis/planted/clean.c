/* No planted problem: compute-bound and balanced, with a few large messages. Every rank computes
 * the same amount each step and exchanges one large block with its neighbours every kExchangeEvery
 * steps; communication is a small fraction of the run. --fixed changes nothing (there is nothing to
 * fix): it exists so that every planted program takes the same options. */
#include "planted.h"

enum { kBlockBytes = 256 * 1024, kSteps = 40, kExchangeEvery = 20 };
static const long kUnitsPerStep = 3000000;

int main(int argc, char** argv) {
  const planted_world world = planted_start(&argc, &argv);
  const planted_options options = world.options;
  const int rank = world.rank, right = world.right, left = world.left;
  const long steps = planted_scaled(kSteps, &options);
  unsigned char* out = malloc(kBlockBytes);
  unsigned char* in = malloc(kBlockBytes);
  MPI_Barrier(MPI_COMM_WORLD);
  const double started_s = MPI_Wtime();
  uint64_t checksum = 0;
  for (long step = 0; step < steps; ++step) {
    checksum += planted_compute((uint64_t)(rank * 977 + step), kUnitsPerStep);
    if (step % kExchangeEvery == kExchangeEvery - 1) {
      for (int i = 0; i < kBlockBytes; ++i) out[i] = (unsigned char)(checksum >> (i % 8 * 8)) ^ (unsigned char)i;
      MPI_Sendrecv(out, kBlockBytes, MPI_BYTE, right, 6, in, kBlockBytes, MPI_BYTE, left, 6, MPI_COMM_WORLD,
                   MPI_STATUS_IGNORE);
      checksum = planted_hash(checksum, in, 4096);
    }
  }
  free(out);
  free(in);
  planted_finish("clean", &options, checksum, started_s);
  MPI_Finalize();
  return 0;
}
