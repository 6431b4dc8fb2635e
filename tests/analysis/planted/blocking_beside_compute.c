/* Planted problem: a blocking exchange beside independent computation (run it over a slow link:
 * on shared memory the transfer needs the CPU the computation uses, and little can overlap). Every step each rank
 * exchanges a halo of kHaloBytes with its neighbours (MPI_Sendrecv) and then updates its interior,
 * which does not need the halo; only the next step reads what arrived. The fix (--fixed) starts the
 * exchange with MPI_Irecv/MPI_Isend, computes the interior in kChunks pieces polling the requests
 * with MPI_Testall after each (as commtune's overlap kernel does, so the transfer progresses), and
 * waits before the halo is used. The checksum covers the interior results and every halo received. */
#include "planted.h"

enum { kHaloBytes = 1 << 20, kSteps = 30, kChunks = 128 };
static const long kInteriorUnits = 2400000; /* computation per step */

/* The halo: values that do not compress (a mixed counter), so that overlap is the one remedy planted
 * here, filled once; each step stamps its number into the first word, so that the work between
 * exchanges is the interior update alone. */
static void fill_halo(uint64_t* halo, int rank) {
  uint64_t x = (uint64_t)rank * 1000003u;
  for (size_t i = 0; i < kHaloBytes / sizeof *halo; ++i) {
    uint64_t z = (x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    halo[i] = z ^ (z >> 31);
  }
}

int main(int argc, char** argv) {
  const planted_world world = planted_start(&argc, &argv);
  const planted_options options = world.options;
  const int rank = world.rank, right = world.right, left = world.left;
  const long steps = planted_scaled(kSteps, &options);
  uint64_t* out = malloc(kHaloBytes);
  uint64_t* in = malloc(kHaloBytes);
  fill_halo(out, rank);
  MPI_Barrier(MPI_COMM_WORLD);
  const double started_s = MPI_Wtime();
  uint64_t checksum = 0;
  for (long step = 0; step < steps; ++step) {
    out[0] = (uint64_t)step;
    uint64_t interior = 0;
    if (!options.fixed) {
      /* PLANTED: overlap (the call below) */
      MPI_Sendrecv(out, kHaloBytes, MPI_BYTE, right, 3, in, kHaloBytes, MPI_BYTE, left, 3, MPI_COMM_WORLD,
                   MPI_STATUS_IGNORE);
      interior = planted_compute((uint64_t)(rank * 131 + step), kInteriorUnits);
    } else {
      MPI_Request requests[2];
      MPI_Irecv(in, kHaloBytes, MPI_BYTE, left, 3, MPI_COMM_WORLD, &requests[0]);
      MPI_Isend(out, kHaloBytes, MPI_BYTE, right, 3, MPI_COMM_WORLD, &requests[1]);
      int done = 0;
      interior = (uint64_t)(rank * 131 + step) | 1;
      for (int chunk = 0; chunk < kChunks; ++chunk) {
        interior = planted_advance(interior, kInteriorUnits / kChunks); /* the same result as unsplit */
        if (!done) MPI_Testall(2, requests, &done, MPI_STATUSES_IGNORE);
      }
      MPI_Waitall(2, requests, MPI_STATUSES_IGNORE);
    }
    checksum += interior;
    checksum = planted_hash(checksum, in, kHaloBytes / 64); /* the part of the halo the next step reads */
  }
  free(out);
  free(in);
  planted_finish("blocking_beside_compute", &options, checksum, started_s);
  MPI_Finalize();
  return 0;
}
