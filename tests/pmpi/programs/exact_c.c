/* A deterministic C MPI program whose every MPI call is known in advance: it records, next to each
 * call, the call and the bytes the profiler must attribute to it (byte conventions: see the
 * COLLECTIVES table in pmpi_hooks/generator/mpiwrap.py), and rank 0 writes them to the
 * expected.json named by argv[1]. check_profile.py then compares commtune's profile.json with it,
 * exactly. Works for any number of ranks >= 2.
 *
 * Loop counts that depend on timing (MPI_Test and MPI_Waitsome polling) are counted as they happen:
 * the expectation is the number of calls the program really made. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expect.h"

static const char* const kFunctions[] = {
    "MPI_Init",          "MPI_Finalize",    "MPI_Comm_rank",  "MPI_Comm_size",
    "MPI_Send",          "MPI_Recv",        "MPI_Isend",      "MPI_Irecv",
    "MPI_Wait",          "MPI_Waitall",     "MPI_Waitany",    "MPI_Waitsome",
    "MPI_Test",          "MPI_Sendrecv",    "MPI_Send_init",  "MPI_Recv_init",
    "MPI_Start",         "MPI_Startall",    "MPI_Request_free",
    "MPI_Bcast",         "MPI_Reduce",      "MPI_Allreduce",  "MPI_Gather",
    "MPI_Gatherv",       "MPI_Scatter",     "MPI_Scatterv",   "MPI_Allgather",
    "MPI_Allgatherv",    "MPI_Alltoall",    "MPI_Alltoallv",  "MPI_Reduce_scatter_block",
    "MPI_Scan",          "MPI_Barrier",     "MPI_Ibcast",     "MPI_Iallreduce",
    "MPI_Comm_split",    "MPI_Comm_free",   "MPI_Type_contiguous", "MPI_Type_commit",
    "MPI_Type_free",     "MPI_Win_create",  "MPI_Win_fence",  "MPI_Put",
    "MPI_Get",           "MPI_Win_free",
};  /* clang-format: keep */

enum { ITER = 3, CAP = 1024 };
static const long long I = (long long)sizeof(int);
static const long long D = (long long)sizeof(double);

static int rank, size;
static int ibuf[CAP], ibuf2[CAP], ibuf3[CAP], ibuf4[CAP];
static double dbuf[CAP], dbuf2[CAP];

/* Message sizes (in ints) of the nonblocking exchanges: what `sender` sends with `tag`. */
static int nb_count(int sender, int tag, int round) { return (sender + 1) * 3 + tag % 10 + round; }

static void point_to_point(void) {
  MPI_Status status;
  /* Blocking: every rank but 0 sends to 0, which receives with MPI_ANY_SOURCE; message sizes differ
   * by sender and are smaller than the receive count, so only the status knows the bytes. */
  for (int it = 0; it < ITER; ++it) {
    if (rank == 0) {
      /* The senders' order is unknown (MPI_ANY_SOURCE): the bytes are what all of them sent. */
      for (int k = 1; k < size; ++k) {
        X(MPI_Recv(ibuf, CAP, MPI_INT, MPI_ANY_SOURCE, it, MPI_COMM_WORLD, (k % 2) ? MPI_STATUS_IGNORE : &status),
          "MPI_Recv", 0, 0);
      }
      for (int s = 1; s < size; ++s) expect_add("MPI_Recv", 0, 0, (7LL * s + it) * I);
      /* Replies, received with an explicit source and MPI_STATUS_IGNORE. */
      for (int s = 1; s < size; ++s) X(MPI_Send(dbuf, s + it + 1, MPI_DOUBLE, s, 50 + it, MPI_COMM_WORLD), "MPI_Send", (s + it + 1) * D, 0);
    } else {
      X(MPI_Send(ibuf, 7 * rank + it, MPI_INT, 0, it, MPI_COMM_WORLD), "MPI_Send", (7LL * rank + it) * I, 0);
      X(MPI_Recv(dbuf, CAP, MPI_DOUBLE, 0, 50 + it, MPI_COMM_WORLD, MPI_STATUS_IGNORE), "MPI_Recv", 0,
        (rank + it + 1) * D);
    }
  }
  /* A zero-count message and MPI_PROC_NULL peers: no bytes. */
  if (rank == 0) X(MPI_Send(ibuf, 0, MPI_INT, 1, 60, MPI_COMM_WORLD), "MPI_Send", 0, 0);
  if (rank == 1) X(MPI_Recv(ibuf, CAP, MPI_INT, 0, 60, MPI_COMM_WORLD, &status), "MPI_Recv", 0, 0);
  X(MPI_Send(ibuf, 10, MPI_INT, MPI_PROC_NULL, 61, MPI_COMM_WORLD), "MPI_Send", 0, 0);
  X(MPI_Recv(ibuf, 10, MPI_INT, MPI_PROC_NULL, 61, MPI_COMM_WORLD, &status), "MPI_Recv", 0, 0);

  /* Sendrecv along an open chain: the ends talk to MPI_PROC_NULL. */
  for (int it = 0; it < ITER; ++it) {
    const int dest = rank + 1 < size ? rank + 1 : MPI_PROC_NULL;
    const int source = rank > 0 ? rank - 1 : MPI_PROC_NULL;
    X(MPI_Sendrecv(ibuf, 4 + rank + it, MPI_INT, dest, 70, ibuf2, CAP, MPI_INT, source, 70, MPI_COMM_WORLD,
                   it % 2 ? MPI_STATUS_IGNORE : &status),
      "MPI_Sendrecv", dest == MPI_PROC_NULL ? 0 : (4LL + rank + it) * I,
      source == MPI_PROC_NULL ? 0 : (4LL + rank - 1 + it) * I);
  }
  X(MPI_Sendrecv(ibuf, 5, MPI_INT, MPI_PROC_NULL, 71, ibuf2, 5, MPI_INT, MPI_PROC_NULL, 71, MPI_COMM_WORLD, &status),
    "MPI_Sendrecv", 0, 0);
}

/* Posts receives from both ring neighbours (tag 100: from the left, 101: from the right) and the
 * matching sends. With `any_source` the receives use MPI_ANY_SOURCE (tags keep them apart). The
 * receives' bytes go to MPI_Irecv when they complete. */
static void ring_exchange(MPI_Request requests[4], int round, int any_source) {
  const int left = (rank - 1 + size) % size, right = (rank + 1) % size;
  X(MPI_Irecv(ibuf, CAP, MPI_INT, any_source ? MPI_ANY_SOURCE : left, 100, MPI_COMM_WORLD, &requests[0]), "MPI_Irecv",
    0, nb_count(left, 100, round) * I); /* the left neighbour sent it to its right with tag 100 */
  X(MPI_Irecv(ibuf2, CAP, MPI_INT, any_source ? MPI_ANY_SOURCE : right, 101, MPI_COMM_WORLD, &requests[1]),
    "MPI_Irecv", 0, nb_count(right, 101, round) * I);
  X(MPI_Isend(ibuf3, nb_count(rank, 100, round), MPI_INT, right, 100, MPI_COMM_WORLD, &requests[2]), "MPI_Isend",
    nb_count(rank, 100, round) * I, 0);
  X(MPI_Isend(ibuf4, nb_count(rank, 101, round), MPI_INT, left, 101, MPI_COMM_WORLD, &requests[3]), "MPI_Isend",
    nb_count(rank, 101, round) * I, 0);
}

static void nonblocking(void) {
  MPI_Request requests[4];
  MPI_Status statuses[4];
  int index, outcount, indices[4], flag;

  /* 1. Waitall with MPI_STATUSES_IGNORE. */
  ring_exchange(requests, 0, 0);
  X(MPI_Waitall(4, requests, MPI_STATUSES_IGNORE), "MPI_Waitall", 0, 0);

  /* 2. MPI_ANY_SOURCE receives completed by Waitany (once with MPI_STATUS_IGNORE), then the sends by
   *    Waitall with statuses. */
  ring_exchange(requests, 1, 1);
  X(MPI_Waitany(2, requests, &index, &statuses[0]), "MPI_Waitany", 0, 0);
  X(MPI_Waitany(2, requests, &index, MPI_STATUS_IGNORE), "MPI_Waitany", 0, 0);
  X(MPI_Waitall(2, requests + 2, statuses), "MPI_Waitall", 0, 0);

  /* 3. Waitsome until everything completed (alternating status arrays and MPI_STATUSES_IGNORE). */
  ring_exchange(requests, 2, 0);
  for (int done = 0, k = 0; done < 4; ++k) {
    X(MPI_Waitsome(4, requests, &outcount, indices, k % 2 ? MPI_STATUSES_IGNORE : statuses), "MPI_Waitsome", 0, 0);
    done += outcount;
  }

  /* 4. Test loops (one with MPI_STATUS_IGNORE), then MPI_Wait for the rest. */
  ring_exchange(requests, 3, 1);
  for (flag = 0; !flag;) X(MPI_Test(&requests[0], &flag, &statuses[0]), "MPI_Test", 0, 0);
  for (flag = 0; !flag;) X(MPI_Test(&requests[1], &flag, MPI_STATUS_IGNORE), "MPI_Test", 0, 0);
  for (flag = 0; !flag;) X(MPI_Test(&requests[2], &flag, MPI_STATUS_IGNORE), "MPI_Test", 0, 0);
  X(MPI_Wait(&requests[3], &statuses[3]), "MPI_Wait", 0, 0);

  /* 5. MPI_Wait on each, receives first (with and without a status). */
  ring_exchange(requests, 4, 0);
  X(MPI_Wait(&requests[0], &statuses[0]), "MPI_Wait", 0, 0);
  X(MPI_Wait(&requests[1], MPI_STATUS_IGNORE), "MPI_Wait", 0, 0);
  X(MPI_Wait(&requests[2], MPI_STATUS_IGNORE), "MPI_Wait", 0, 0);
  X(MPI_Wait(&requests[3], MPI_STATUS_IGNORE), "MPI_Wait", 0, 0);

  /* 6. Nonblocking traffic with MPI_PROC_NULL: completes at once, no bytes. */
  X(MPI_Irecv(ibuf, 8, MPI_INT, MPI_PROC_NULL, 110, MPI_COMM_WORLD, &requests[0]), "MPI_Irecv", 0, 0);
  X(MPI_Isend(ibuf3, 8, MPI_INT, MPI_PROC_NULL, 110, MPI_COMM_WORLD, &requests[1]), "MPI_Isend", 0, 0);
  X(MPI_Waitall(2, requests, statuses), "MPI_Waitall", 0, 0);
}

static void persistent(void) {
  const int left = (rank - 1 + size) % size, right = (rank + 1) % size;
  MPI_Request requests[3];
  /* Each MPI_Start of the send counts its bytes in the MPI_Send_init row; each completed receive
   * counts in the MPI_Recv_init row. */
  X(MPI_Recv_init(ibuf, CAP, MPI_INT, left, 200, MPI_COMM_WORLD, &requests[0]), "MPI_Recv_init", 0, 0);
  X(MPI_Send_init(ibuf3, 6 + rank, MPI_INT, right, 200, MPI_COMM_WORLD, &requests[1]), "MPI_Send_init", 0, 0);
  X(MPI_Send_init(ibuf4, 9, MPI_INT, MPI_PROC_NULL, 201, MPI_COMM_WORLD, &requests[2]), "MPI_Send_init", 0, 0);
  for (int it = 0; it < ITER; ++it) {
    if (it % 2 == 0) {
      X(MPI_Startall(3, requests), "MPI_Startall", 0, 0);
    } else {
      X(MPI_Start(&requests[0]), "MPI_Start", 0, 0);
      X(MPI_Start(&requests[1]), "MPI_Start", 0, 0);
      X(MPI_Start(&requests[2]), "MPI_Start", 0, 0);
    }
    expect_add("MPI_Send_init", 0, (6LL + rank) * I, 0);
    expect_add("MPI_Recv_init", 0, 0, (6LL + left) * I);
    if (it == 0) {
      X(MPI_Waitall(3, requests, MPI_STATUSES_IGNORE), "MPI_Waitall", 0, 0);
    } else {
      X(MPI_Wait(&requests[0], MPI_STATUS_IGNORE), "MPI_Wait", 0, 0);
      X(MPI_Wait(&requests[1], MPI_STATUS_IGNORE), "MPI_Wait", 0, 0);
      X(MPI_Wait(&requests[2], MPI_STATUS_IGNORE), "MPI_Wait", 0, 0);
    }
  }
  for (int i = 0; i < 3; ++i) X(MPI_Request_free(&requests[i]), "MPI_Request_free", 0, 0);
}

static void derived_datatype(void) {
  MPI_Datatype triple; /* 3 doubles */
  const long long T = 3 * D;
  X(MPI_Type_contiguous(3, MPI_DOUBLE, &triple), "MPI_Type_contiguous", 0, 0);
  X(MPI_Type_commit(&triple), "MPI_Type_commit", 0, 0);
  if (rank == 0) {
    for (int s = 1; s < size; ++s) X(MPI_Send(dbuf, 5, triple, s, 300, MPI_COMM_WORLD), "MPI_Send", 5 * T, 0);
  } else {
    MPI_Status status;
    X(MPI_Recv(dbuf, 10, triple, 0, 300, MPI_COMM_WORLD, &status), "MPI_Recv", 0, 5 * T);
  }
  X(MPI_Bcast(dbuf, 2, triple, 0, MPI_COMM_WORLD), "MPI_Bcast", rank == 0 ? 2 * T : 0, rank == 0 ? 0 : 2 * T);
  X(MPI_Allreduce(dbuf, dbuf2, 0, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD), "MPI_Allreduce", 0, 0); /* count 0 */
  X(MPI_Type_free(&triple), "MPI_Type_free", 0, 0);
}

static void collectives(void) {
  const int n = size;
  int counts[64], displs[64], rcounts[64], rdispls[64];
  MPI_Request requests[2];
  long long sum;

  X(MPI_Bcast(ibuf, 10, MPI_INT, 0, MPI_COMM_WORLD), "MPI_Bcast", rank == 0 ? 10 * I : 0, rank == 0 ? 0 : 10 * I);
  X(MPI_Bcast(dbuf, 3, MPI_DOUBLE, n - 1, MPI_COMM_WORLD), "MPI_Bcast", rank == n - 1 ? 3 * D : 0,
    rank == n - 1 ? 0 : 3 * D);
  /* Reduce: every rank's contribution counts as sent, the root receives the result. */
  X(MPI_Reduce(dbuf, dbuf2, 8, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD), "MPI_Reduce", 8 * D, rank == 0 ? 8 * D : 0);
  X(MPI_Allreduce(ibuf, ibuf2, 5, MPI_INT, MPI_SUM, MPI_COMM_WORLD), "MPI_Allreduce", 5 * I, 5 * I);
  X(MPI_Allreduce(MPI_IN_PLACE, dbuf, 4, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD), "MPI_Allreduce", 4 * D, 4 * D);

  const int groot = 1 % n;
  X(MPI_Gather(ibuf, 3, MPI_INT, ibuf2, 3, MPI_INT, groot, MPI_COMM_WORLD), "MPI_Gather", rank == groot ? 0 : 3 * I,
    rank == groot ? n * 3 * I : 0);
  sum = 0;
  for (int i = 0; i < n; ++i) {
    counts[i] = i + 1;
    displs[i] = (int)sum;
    sum += counts[i];
  }
  X(MPI_Gatherv(ibuf, rank + 1, MPI_INT, ibuf2, counts, displs, MPI_INT, 0, MPI_COMM_WORLD), "MPI_Gatherv",
    rank == 0 ? 0 : (rank + 1) * I, rank == 0 ? sum * I : 0);
  X(MPI_Scatter(dbuf, 2, MPI_DOUBLE, dbuf2, 2, MPI_DOUBLE, 0, MPI_COMM_WORLD), "MPI_Scatter", rank == 0 ? n * 2 * D : 0,
    rank == 0 ? 0 : 2 * D);
  sum = 0;
  for (int i = 0; i < n; ++i) {
    counts[i] = 2 * i + 1;
    displs[i] = (int)sum;
    sum += counts[i];
  }
  X(MPI_Scatterv(ibuf, counts, displs, MPI_INT, ibuf2, 2 * rank + 1, MPI_INT, 0, MPI_COMM_WORLD), "MPI_Scatterv",
    rank == 0 ? sum * I : 0, rank == 0 ? 0 : (2 * rank + 1) * I);
  X(MPI_Allgather(ibuf, 2, MPI_INT, ibuf2, 2, MPI_INT, MPI_COMM_WORLD), "MPI_Allgather", 2 * I, n * 2 * I);
  /* In place: this rank's block of recvbuf is what it contributes. */
  X(MPI_Allgather(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, ibuf2, 2, MPI_INT, MPI_COMM_WORLD), "MPI_Allgather", 2 * I,
    n * 2 * I);
  sum = 0;
  for (int i = 0; i < n; ++i) {
    counts[i] = i + 2;
    displs[i] = (int)sum;
    sum += counts[i];
  }
  X(MPI_Allgatherv(ibuf, rank + 2, MPI_INT, ibuf2, counts, displs, MPI_INT, MPI_COMM_WORLD), "MPI_Allgatherv",
    (rank + 2) * I, sum * I);
  X(MPI_Alltoall(ibuf, 3, MPI_INT, ibuf2, 3, MPI_INT, MPI_COMM_WORLD), "MPI_Alltoall", n * 3 * I, n * 3 * I);
  /* Alltoallv: rank r sends r + j + 1 ints to rank j. */
  long long sent = 0, received = 0, s = 0, r = 0;
  for (int j = 0; j < n; ++j) {
    counts[j] = rank + j + 1;
    displs[j] = (int)s;
    s += counts[j];
    rcounts[j] = j + rank + 1;
    rdispls[j] = (int)r;
    r += rcounts[j];
  }
  sent = s * I;
  received = r * I;
  X(MPI_Alltoallv(ibuf, counts, displs, MPI_INT, ibuf2, rcounts, rdispls, MPI_INT, MPI_COMM_WORLD), "MPI_Alltoallv",
    sent, received);
  X(MPI_Reduce_scatter_block(ibuf, ibuf2, 2, MPI_INT, MPI_SUM, MPI_COMM_WORLD), "MPI_Reduce_scatter_block", n * 2 * I,
    2 * I);
  X(MPI_Scan(ibuf, ibuf2, 3, MPI_INT, MPI_SUM, MPI_COMM_WORLD), "MPI_Scan", 3 * I, 3 * I);
  for (int it = 0; it < ITER; ++it) X(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier", 0, 0);

  X(MPI_Ibcast(ibuf3, 7, MPI_INT, 0, MPI_COMM_WORLD, &requests[0]), "MPI_Ibcast", rank == 0 ? 7 * I : 0,
    rank == 0 ? 0 : 7 * I);
  X(MPI_Wait(&requests[0], MPI_STATUS_IGNORE), "MPI_Wait", 0, 0);
  X(MPI_Iallreduce(dbuf, dbuf2, 6, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD, &requests[0]), "MPI_Iallreduce", 6 * D, 6 * D);
  X(MPI_Ibcast(ibuf4, 2, MPI_INT, n - 1, MPI_COMM_WORLD, &requests[1]), "MPI_Ibcast", rank == n - 1 ? 2 * I : 0,
    rank == n - 1 ? 0 : 2 * I);
  X(MPI_Waitall(2, requests, MPI_STATUSES_IGNORE), "MPI_Waitall", 0, 0);
}

static void split_communicator(void) {
  MPI_Comm half;
  int sub_rank, sub_size;
  X(MPI_Comm_split(MPI_COMM_WORLD, rank % 2, rank, &half), "MPI_Comm_split", 0, 0);
  X(MPI_Comm_rank(half, &sub_rank), "MPI_Comm_rank", 0, 0);
  X(MPI_Comm_size(half, &sub_size), "MPI_Comm_size", 0, 0);
  X(MPI_Allreduce(ibuf, ibuf2, 4, MPI_INT, MPI_SUM, half), "MPI_Allreduce", 4 * I, 4 * I);
  X(MPI_Bcast(dbuf, 5, MPI_DOUBLE, 0, half), "MPI_Bcast", sub_rank == 0 ? 5 * D : 0, sub_rank == 0 ? 0 : 5 * D);
  /* The group size that counts is the sub-communicator's. */
  X(MPI_Allgather(ibuf, 1, MPI_INT, ibuf2, 1, MPI_INT, half), "MPI_Allgather", I, (long long)sub_size * I);
  if (sub_size > 1 && sub_rank < 2) {
    const int peer = 1 - sub_rank;
    if (sub_rank == 0) X(MPI_Send(ibuf, 11, MPI_INT, peer, 400, half), "MPI_Send", 11 * I, 0);
    if (sub_rank == 1) X(MPI_Recv(ibuf, CAP, MPI_INT, MPI_ANY_SOURCE, 400, half, MPI_STATUS_IGNORE), "MPI_Recv", 0, 11 * I);
  }
  X(MPI_Comm_free(&half), "MPI_Comm_free", 0, 0);
}

static void one_sided(void) {
  MPI_Win win;
  int* window = ibuf4;
  const int left = (rank - 1 + size) % size, right = (rank + 1) % size;
  X(MPI_Win_create(window, (MPI_Aint)(64 * sizeof(int)), (int)sizeof(int), MPI_INFO_NULL, MPI_COMM_WORLD, &win),
    "MPI_Win_create", 0, 0);
  X(MPI_Win_fence(0, win), "MPI_Win_fence", 0, 0);
  X(MPI_Put(ibuf, 4, MPI_INT, right, 0, 4, MPI_INT, win), "MPI_Put", 4 * I, 0);
  X(MPI_Win_fence(0, win), "MPI_Win_fence", 0, 0);
  X(MPI_Get(ibuf2, 6, MPI_INT, left, 8, 6, MPI_INT, win), "MPI_Get", 0, 6 * I);
  X(MPI_Put(ibuf, 2, MPI_INT, left, 20, 2, MPI_INT, win), "MPI_Put", 2 * I, 0);
  X(MPI_Win_fence(0, win), "MPI_Win_fence", 0, 0);
  X(MPI_Win_free(&win), "MPI_Win_free", 0, 0);
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s expected.json\n", argv[0]);
    return 2;
  }
  if (MPI_Init(&argc, &argv) != MPI_SUCCESS) return 1;
  expect_begin(kFunctions, (int)(sizeof kFunctions / sizeof kFunctions[0]));
  expect_add("MPI_Init", 1, 0, 0);
  X(MPI_Comm_rank(MPI_COMM_WORLD, &rank), "MPI_Comm_rank", 0, 0);
  X(MPI_Comm_size(MPI_COMM_WORLD, &size), "MPI_Comm_size", 0, 0);
  if (size < 2 || size > 64) {
    if (rank == 0) fprintf(stderr, "exact_c needs 2 to 64 ranks\n");
    PMPI_Abort(MPI_COMM_WORLD, 2);
  }
  for (int i = 0; i < CAP; ++i) {
    ibuf[i] = ibuf2[i] = ibuf3[i] = ibuf4[i] = i + rank;
    dbuf[i] = dbuf2[i] = 0.5 * i;
  }

  point_to_point();
  nonblocking();
  persistent();
  derived_datatype();
  collectives();
  split_communicator();
  one_sided();

  expect_add("MPI_Finalize", 1, 0, 0);
  expect_write(argv[1], 0);
  MPI_Finalize();
  return 0;
}
