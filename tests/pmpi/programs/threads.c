/* MPI_THREAD_MULTIPLE: THREADS pthreads per rank each make ITERATIONS rounds of MPI_Comm_rank,
 * MPI_Send to MPI_PROC_NULL and MPI_Iprobe (for a tag nobody sends), concurrently. The profile
 * must count every call: THREADS * ITERATIONS * ranks of each, no more, no fewer (per-thread
 * counters must neither lose nor double updates), with 0 bytes, and report >= THREADS threads
 * per rank.
 *
 * usage: threads expected.json [iterations]   (default 100000)
 *
 * The main thread makes no counted MPI call besides MPI_Init_thread and MPI_Finalize (its own
 * rank/size queries go through PMPI), so the per-function totals are exactly the threads' calls. */
#include <mpi.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "expect.h"

enum { THREADS = 4 };

static const char* const kFunctions[] = {"MPI_Init_thread", "MPI_Finalize", "MPI_Comm_rank", "MPI_Send",
                                         "MPI_Iprobe"};
static long iterations = 100000;
static int failures[THREADS];

static void* worker(void* arg) {
  const int id = (int)(long)arg;
  int value = 42, rank = -1, flag = 0;
  for (long i = 0; i < iterations; ++i) {
    if (MPI_Comm_rank(MPI_COMM_WORLD, &rank) != MPI_SUCCESS) ++failures[id];
    if (MPI_Send(&value, 1, MPI_INT, MPI_PROC_NULL, 7, MPI_COMM_WORLD) != MPI_SUCCESS) ++failures[id];
    if (MPI_Iprobe(MPI_ANY_SOURCE, 32000, MPI_COMM_WORLD, &flag, MPI_STATUS_IGNORE) != MPI_SUCCESS || flag) {
      ++failures[id];
    }
  }
  return NULL;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s expected.json [iterations]\n", argv[0]);
    return 2;
  }
  if (argc > 2) iterations = atol(argv[2]);
  int provided = 0, rank = 0;
  if (MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided) != MPI_SUCCESS) return 1;
  PMPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (provided < MPI_THREAD_MULTIPLE) {
    if (rank == 0) fprintf(stderr, "threads: the MPI library provides thread level %d, not MPI_THREAD_MULTIPLE\n", provided);
    PMPI_Abort(MPI_COMM_WORLD, 3);
  }
  expect_begin(kFunctions, (int)(sizeof kFunctions / sizeof kFunctions[0]));
  expect_add("MPI_Init_thread", 1, 0, 0);

  pthread_t threads[THREADS];
  for (long t = 0; t < THREADS; ++t) {
    if (pthread_create(&threads[t], NULL, worker, (void*)t) != 0) {
      perror("pthread_create");
      PMPI_Abort(MPI_COMM_WORLD, 4);
    }
  }
  int failed = 0;
  for (int t = 0; t < THREADS; ++t) {
    pthread_join(threads[t], NULL);
    failed += failures[t];
  }
  if (failed) {
    fprintf(stderr, "threads: rank %d: %d MPI calls failed\n", rank, failed);
    PMPI_Abort(MPI_COMM_WORLD, 5);
  }
  expect_add("MPI_Comm_rank", (long long)THREADS * iterations, 0, 0);
  expect_add("MPI_Send", (long long)THREADS * iterations, 0, 0); /* to MPI_PROC_NULL: no bytes */
  expect_add("MPI_Iprobe", (long long)THREADS * iterations, 0, 0);
  expect_add("MPI_Finalize", 1, 0, 0);
  expect_write(argv[1], THREADS);
  MPI_Finalize();
  return 0;
}
