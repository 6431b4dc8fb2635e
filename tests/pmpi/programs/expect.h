/* Bookkeeping for the exact-counting test programs: every rank records, next to each MPI call it
 * makes, the call and the bytes it expects the profiler to attribute to it (computed from the
 * program's own counts and C type sizes, never from the profiler). At the end, rank 0 writes
 * expected.json with the per-rank rows and their sums.
 *
 * The bookkeeping's own communication uses PMPI_* directly, which the preload library does not
 * intercept, so it adds nothing to the profile.
 *
 * Usage: expect_begin(names, n) after MPI_Init with the fixed list of functions the program may
 * call (the same on every rank, so rows line up); X(MPI_Foo(...), "MPI_Foo", sent, received) for
 * every call; expect_write(path, min_threads) before MPI_Finalize. */
#ifndef COMMTUNE_TESTS_EXPECT_H
#define COMMTUNE_TESTS_EXPECT_H

#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  long long calls, sent, received;
} expect_row;

static const char* const* expect_names_;
static int expect_count_;
static expect_row* expect_rows_;

static inline void expect_begin(const char* const* names, int count) {
  expect_names_ = names;
  expect_count_ = count;
  expect_rows_ = (expect_row*)calloc((size_t)count, sizeof(expect_row));
}

static inline int expect_index(const char* name) {
  for (int i = 0; i < expect_count_; ++i) {
    if (strcmp(expect_names_[i], name) == 0) return i;
  }
  fprintf(stderr, "expect.h: %s is not in the program's function list\n", name);
  PMPI_Abort(MPI_COMM_WORLD, 99);
  return -1;
}

/* Records `calls` calls of `name` with these byte totals (added to the running sums). */
static inline void expect_add(const char* name, long long calls, long long sent, long long received) {
  expect_row* row = &expect_rows_[expect_index(name)];
  row->calls += calls;
  row->sent += sent;
  row->received += received;
}

/* One call: checks its result and records it. The MPI call is evaluated first (it is the argument). */
static inline void X(int result, const char* name, long long sent, long long received) {
  if (result != MPI_SUCCESS) {
    fprintf(stderr, "%s failed with error %d\n", name, result);
    PMPI_Abort(MPI_COMM_WORLD, 98);
  }
  expect_add(name, 1, sent, received);
}

static inline void expect_write_rows(FILE* out, const expect_row* rows, const char* indent) {
  int first = 1;
  for (int i = 0; i < expect_count_; ++i) {
    fprintf(out, "%s\n%s\"%s\": {\"calls\": %lld, \"bytes_sent\": %lld, \"bytes_received\": %lld}", first ? "" : ",",
            indent, expect_names_[i], rows[i].calls, rows[i].sent, rows[i].received);
    first = 0;
  }
}

/* Collective over MPI_COMM_WORLD (through PMPI); rank 0 writes `path`. min_threads > 0 asks the
 * checker to verify that every rank's profile reports at least that many threads. */
static inline void expect_write(const char* path, int min_threads) {
  int rank = 0, size = 0;
  PMPI_Comm_rank(MPI_COMM_WORLD, &rank);
  PMPI_Comm_size(MPI_COMM_WORLD, &size);
  const int values = 3 * expect_count_;
  long long* all = NULL;
  if (rank == 0) all = (long long*)malloc(sizeof(long long) * (size_t)values * (size_t)size);
  PMPI_Gather(expect_rows_, values, MPI_LONG_LONG, all, values, MPI_LONG_LONG, 0, MPI_COMM_WORLD);
  if (rank != 0) return;
  expect_row* total = (expect_row*)calloc((size_t)expect_count_, sizeof(expect_row));
  for (int r = 0; r < size; ++r) {
    const expect_row* rows = (const expect_row*)(all + (size_t)r * (size_t)values);
    for (int i = 0; i < expect_count_; ++i) {
      total[i].calls += rows[i].calls;
      total[i].sent += rows[i].sent;
      total[i].received += rows[i].received;
    }
  }
  FILE* out = fopen(path, "w");
  if (!out) {
    perror(path);
    PMPI_Abort(MPI_COMM_WORLD, 97);
  }
  fprintf(out, "{\n  \"ranks\": %d,\n  \"min_threads\": %d,\n  \"functions\": {", size, min_threads);
  expect_write_rows(out, total, "    ");
  fprintf(out, "\n  },\n  \"per_rank\": [");
  for (int r = 0; r < size; ++r) {
    fprintf(out, "%s\n    {\"rank\": %d, \"functions\": {", r ? "," : "", r);
    expect_write_rows(out, (const expect_row*)(all + (size_t)r * (size_t)values), "      ");
    fprintf(out, "}}");
  }
  fprintf(out, "\n  ]\n}\n");
  if (fclose(out) != 0) {
    perror(path);
    PMPI_Abort(MPI_COMM_WORLD, 97);
  }
  free(total);
  free(all);
}

#endif
