/* Planted late sender, 2 ranks. usage: late_sender expected.json [rounds=20] [delay_ms=20]
 *
 * Phase 1: in each of R rounds rank 1 sleeps D ms, then sends one int; rank 0 is already waiting
 * in MPI_Recv (one source line). Phase 2: the same with rank 0 posting MPI_Irecv and waiting in
 * MPI_Wait (one source line). Each phase plants R x D ms of late-sender time at its line, all of
 * it on rank 0. Rank 0 writes expected.json: both lines, the planted seconds, and what it measured
 * itself (MPI_Wtime around the calls, for the checker's messages). check_wait_states.py compares
 * profile.json's "wait_states" with it. */
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
  if (size != 2) {
    if (rank == 0) fprintf(stderr, "late_sender: run with 2 ranks, not %d\n", size);
    PMPI_Abort(MPI_COMM_WORLD, 2);
  }
  int value = 0, line_recv = 0, line_wait = 0;
  double measured_recv = 0, measured_wait = 0;

  /* Phase 1: blocking receive. */
  pt_check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier");
  for (int round = 0; round < rounds; ++round) {
    if (rank == 1) {
      pt_sleep_ms(delay_ms);
      pt_check(MPI_Send(&value, 1, MPI_INT, 0, round, MPI_COMM_WORLD), "MPI_Send");
    } else {
      const double start = MPI_Wtime();
      // The call and the statement recording its line stay on one line:
      // clang-format off
      line_recv = __LINE__; pt_check(MPI_Recv(&value, 1, MPI_INT, 1, round, MPI_COMM_WORLD, MPI_STATUS_IGNORE), "MPI_Recv");
      // clang-format on
      measured_recv += MPI_Wtime() - start;
    }
  }

  /* Phase 2: nonblocking receive, completed by MPI_Wait. */
  pt_check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier");
  for (int round = 0; round < rounds; ++round) {
    if (rank == 1) {
      pt_sleep_ms(delay_ms);
      pt_check(MPI_Send(&value, 1, MPI_INT, 0, 1000 + round, MPI_COMM_WORLD), "MPI_Send");
    } else {
      MPI_Request request;
      pt_check(MPI_Irecv(&value, 1, MPI_INT, 1, 1000 + round, MPI_COMM_WORLD, &request), "MPI_Irecv");
      const double start = MPI_Wtime();
      // The call and the statement recording its line stay on one line:
      // clang-format off
      line_wait = __LINE__; pt_check(MPI_Wait(&request, MPI_STATUS_IGNORE), "MPI_Wait");
      // clang-format on
      measured_wait += MPI_Wtime() - start;
    }
  }

  if (rank == 0) {
    const double planted = rounds * (delay_ms / 1000.0);
    char text[4096];
    snprintf(text, sizeof text,
             "{\n  \"program\": \"late_sender\",\n  \"ranks\": %d,\n  \"rounds\": %d,\n  \"delay_ms\": %d,\n"
             "  \"tolerance\": 0.10,\n  \"sites\": [\n"
             "    {\"function\": \"MPI_Recv\", \"file\": \"late_sender.c\", \"line\": %d, \"kind\": \"late_sender\", "
             "\"planted_s\": %.6f, \"planted\": \"%d rounds x %d ms on rank 0\", \"measured_s\": %.6f, "
             "\"instances\": %d, \"max_rank\": 0},\n"
             "    {\"function\": \"MPI_Wait\", \"file\": \"late_sender.c\", \"line\": %d, \"kind\": \"late_sender\", "
             "\"planted_s\": %.6f, \"planted\": \"%d rounds x %d ms on rank 0\", \"measured_s\": %.6f, "
             "\"instances\": %d, \"max_rank\": 0}\n  ],\n"
             "  \"totals\": [\n"
             "    {\"field\": \"late_sender_s\", \"kind\": \"late_sender\", \"planted_s\": %.6f, "
             "\"planted\": \"2 phases x %d rounds x %d ms\", \"measured_s\": %.6f}\n  ]\n}\n",
             size, rounds, delay_ms, line_recv, planted, rounds, delay_ms, measured_recv, rounds, line_wait, planted,
             rounds, delay_ms, measured_wait, rounds, 2 * planted, rounds, delay_ms, measured_recv + measured_wait);
    pt_write_file(argv[1], text);
  }
  MPI_Finalize();
  return 0;
}
