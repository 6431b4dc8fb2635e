/* Planted problem: many messages just above the MPI library's eager limit (Open MPI's shared-memory
 * btl_vader_eager_limit is 4 KiB), each of which pays a rendezvous handshake. Every step each rank
 * exchanges one message of kMessageBytes with its neighbours and computes a little. The fix is a
 * runtime setting, not a change of the program: run it with the eager limit the analyzer
 * recommends (its environment line). --fixed changes nothing, so that every planted program takes
 * the same options. */
#include "planted.h"

enum { kMessageBytes = 6 * 1024, kSteps = 40000 };
static const long kUnitsPerStep = 2000;

int main(int argc, char** argv) {
  const planted_world world = planted_start(&argc, &argv);
  const planted_options options = world.options;
  const int rank = world.rank, right = world.right, left = world.left;
  const long steps = planted_scaled(kSteps, &options);
  uint64_t out[kMessageBytes / 8], in[kMessageBytes / 8];
  for (size_t i = 0; i < kMessageBytes / 8; ++i) out[i] = (uint64_t)rank * 7919u + i;
  MPI_Barrier(MPI_COMM_WORLD);
  const double started_s = MPI_Wtime();
  uint64_t checksum = 0;
  for (long step = 0; step < steps; ++step) {
    out[0] = (uint64_t)step;
    checksum += planted_compute((uint64_t)(rank + step), kUnitsPerStep);
    /* PLANTED: runtime_settings (the call below) */
    MPI_Sendrecv(out, kMessageBytes, MPI_BYTE, right, 8, in, kMessageBytes, MPI_BYTE, left, 8, MPI_COMM_WORLD,
                 MPI_STATUS_IGNORE);
    checksum = planted_hash_words(checksum, in, 2);
  }
  planted_finish("eager_limit", &options, checksum, started_s);
  MPI_Finalize();
  return 0;
}
