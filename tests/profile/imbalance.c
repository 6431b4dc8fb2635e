/* Planted imbalance before an MPI_Allreduce. usage: imbalance expected.json [rounds=20] [delay_ms=20]
 *
 * P ranks (the test runs 4), R rounds: rank r sleeps r x D ms, then calls MPI_Allreduce (one source
 * line). Rank r waits (P-1-r) x D ms per round for rank P-1, so the planted wait at the collective,
 * summed over ranks, is R x D x sum_r (P-1-r) = R x D x P(P-1)/2; rank 0 waits most and rank P-1
 * least, and rank P-1 has the most time outside MPI. Rank 0 writes expected.json, with what every
 * rank measured itself inside the call (MPI_Wtime, gathered through PMPI so the profile does not
 * see it), for check_wait_states.py. */
#include "profile_test.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s expected.json [rounds] [delay_ms]\n", argv[0]);
    return 2;
  }
  MPI_Init(&argc, &argv);
  int rank = 0, size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const int rounds = pt_arg_int(argc, argv, 2, 20);
  const int delay_ms = pt_arg_int(argc, argv, 3, 20);
  if (size < 2) {
    fprintf(stderr, "imbalance: run with at least 2 ranks\n");
    PMPI_Abort(MPI_COMM_WORLD, 2);
  }
  double in = rank, out = 0, measured = 0;
  int line = 0;

  /* Everyone leaves MPI_Init at a different time: line up first (a separate call site). */
  pt_check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier");
  for (int round = 0; round < rounds; ++round) {
    pt_sleep_ms(rank * delay_ms);
    const double start = MPI_Wtime();
    // The call and the statement recording its line stay on one line:
    // clang-format off
    line = __LINE__; pt_check(MPI_Allreduce(&in, &out, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD), "MPI_Allreduce");
    // clang-format on
    measured += MPI_Wtime() - start;
  }

  double* all = rank == 0 ? (double*)malloc(sizeof(double) * (size_t)size) : NULL;
  PMPI_Gather(&measured, 1, MPI_DOUBLE, all, 1, MPI_DOUBLE, 0, MPI_COMM_WORLD);
  if (rank == 0) {
    long long waiting_units = 0; /* sum_r (P-1-r) */
    for (int r = 0; r < size; ++r) waiting_units += size - 1 - r;
    const double planted = rounds * (delay_ms / 1000.0) * (double)waiting_units;
    double measured_total = 0;
    char per_rank[2048] = "";
    for (int r = 0; r < size; ++r) {
      measured_total += all[r];
      char item[64];
      snprintf(item, sizeof item, "%s%.6f", r ? ", " : "", all[r]);
      strncat(per_rank, item, sizeof per_rank - strlen(per_rank) - 1);
    }
    char text[8192];
    snprintf(text, sizeof text,
             "{\n  \"program\": \"imbalance\",\n  \"ranks\": %d,\n  \"rounds\": %d,\n  \"delay_ms\": %d,\n"
             "  \"tolerance\": 0.10,\n  \"sites\": [\n"
             "    {\"function\": \"MPI_Allreduce\", \"file\": \"imbalance.c\", \"line\": %d, \"kind\": \"collective\", "
             "\"planted_s\": %.6f, \"planted\": \"%d rounds x %d ms x sum_r (P-1-r) = %lld\", \"measured_s\": %.6f, "
             "\"measured_per_rank_s\": [%s], \"instances\": %d, \"max_rank\": 0, "
             "\"time_per_rank\": {\"max_rank\": 0, \"min_rank\": %d}}\n  ],\n"
             "  \"app_time\": {\"max_rank\": %d}\n}\n",
             size, rounds, delay_ms, line, planted, rounds, delay_ms, waiting_units, measured_total, per_rank,
             rounds * size, size - 1, size - 1);
    pt_write_file(argv[1], text);
    free(all);
  }
  MPI_Finalize();
  return 0;
}
