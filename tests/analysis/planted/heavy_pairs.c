/* Planted problem: heavy pairs split across nodes. Four ranks: 0<->2 and 1<->3 exchange
 * kHeavyBytes every step, 0<->1 and 2<->3 only kLightBytes. With block placement on a cluster of
 * two nodes with two cores each (ranks 0,1 on node 0; 2,3 on node 1) all heavy traffic crosses
 * the network. The fix is a placement that keeps the heavy pairs on one node: with a rankfile
 * (ranks 0,2 on node 0) nothing in the program changes; --fixed does the same from inside, with a
 * communicator whose ranks are renumbered (MPI_Comm_split, key 0,2,1,3) so that the heavy partners
 * are neighbours in block placement. The checksum is computed in the logical numbering, the same. */
#include "planted.h"

enum { kHeavyBytes = 256 * 1024, kLightBytes = 1024, kSteps = 60 };
static const long kUnitsPerStep = 100000;

static void fill(unsigned char* buffer, int bytes, int rank, long step) {
  for (int i = 0; i < bytes; ++i) buffer[i] = (unsigned char)(rank * 17 + step * 3 + i);
}

int main(int argc, char** argv) {
  const planted_world world = planted_start(&argc, &argv);
  const planted_options options = world.options;
  const int world_rank = world.rank;
  if (world.size != 4) {
    if (world_rank == 0) fprintf(stderr, "heavy_pairs needs 4 ranks, got %d\n", world.size);
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  /* In the fixed mode world rank W plays logical rank logical_of_world[W]: the heavy pairs (0,2)
   * and (1,3) then run on world ranks (0,1) and (2,3), which block placement puts on one node. */
  static const int logical_of_world[4] = {0, 2, 1, 3};
  MPI_Comm comm = MPI_COMM_WORLD;
  if (options.fixed) MPI_Comm_split(MPI_COMM_WORLD, 0, logical_of_world[world_rank], &comm);
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  const int heavy_peer = (rank + 2) % 4;
  const int light_peer = rank ^ 1;
  const long steps = planted_scaled(kSteps, &options);
  unsigned char* heavy_out = malloc(kHeavyBytes);
  unsigned char* heavy_in = malloc(kHeavyBytes);
  unsigned char light_out[kLightBytes], light_in[kLightBytes];
  MPI_Barrier(MPI_COMM_WORLD);
  const double started_s = MPI_Wtime();
  uint64_t checksum = 0;
  for (long step = 0; step < steps; ++step) {
    checksum += planted_compute((uint64_t)(rank + step), kUnitsPerStep);
    fill(heavy_out, kHeavyBytes, rank, step);
    fill(light_out, kLightBytes, rank, step);
    /* PLANTED: topology (the call below) */
    MPI_Sendrecv(heavy_out, kHeavyBytes, MPI_BYTE, heavy_peer, 4, heavy_in, kHeavyBytes, MPI_BYTE, heavy_peer, 4, comm,
                 MPI_STATUS_IGNORE);
    MPI_Sendrecv(light_out, kLightBytes, MPI_BYTE, light_peer, 5, light_in, kLightBytes, MPI_BYTE, light_peer, 5, comm,
                 MPI_STATUS_IGNORE);
    checksum = planted_hash(checksum, heavy_in, 256);
    checksum = planted_hash(checksum, light_in, 256);
  }
  free(heavy_out);
  free(heavy_in);
  if (comm != MPI_COMM_WORLD) MPI_Comm_free(&comm);
  planted_finish("heavy_pairs", &options, checksum, started_s);
  MPI_Finalize();
  return 0;
}
