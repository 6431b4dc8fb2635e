/* Planted problem: static imbalance before a collective. kTasks tasks whose cost grows with the
 * task id are dealt out in contiguous blocks, so the last rank gets the most expensive ones and the
 * others wait in MPI_Allreduce every step. The fix (--fixed) deals them out cyclically (chunks of
 * one task, as a dynamic scheduler with chunk 1 would spread them), which balances the cost; the
 * sum of the task results, and so the checksum, stays the same. */
#include "planted.h"

enum { kTasks = 64, kSteps = 24 };
static const long kUnitsPerTaskId = 4000; /* task t costs (t + 1) * kUnitsPerTaskId steps */

int main(int argc, char** argv) {
  const planted_world world = planted_start(&argc, &argv);
  const planted_options options = world.options;
  const int rank = world.rank, size = world.size;
  const long steps = planted_scaled(kSteps, &options);
  const int per_rank = (kTasks + size - 1) / size;
  MPI_Barrier(MPI_COMM_WORLD);
  const double started_s = MPI_Wtime();
  uint64_t checksum = 0;
  for (long step = 0; step < steps; ++step) {
    uint64_t local = 0, global = 0;
    for (int task = 0; task < kTasks; ++task) {
      int owner = options.fixed ? task % size : task / per_rank;
      if (owner == rank) local += planted_compute((uint64_t)(task + step * kTasks), (task + 1) * kUnitsPerTaskId);
    }
    /* PLANTED: load_balance (the call below) */
    MPI_Allreduce(&local, &global, 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
    checksum = planted_hash(checksum, &global, sizeof global);
  }
  if (rank != 0) checksum = 0; /* every rank holds the same value: count it once */
  planted_finish("imbalance", &options, checksum, started_s);
  MPI_Finalize();
  return 0;
}
