/* MPI_THREAD_MULTIPLE: THREADS pthreads per rank each make ITERATIONS rounds of MPI_Comm_rank,
 * MPI_Send to MPI_PROC_NULL and MPI_Iprobe (for a tag nobody sends), concurrently. The profile
 * must count every call: THREADS * ITERATIONS * ranks of each, no more, no fewer (per-thread
 * counters must neither lose nor double updates), with 0 bytes, and report >= THREADS threads
 * per rank. The threads wait at a start line until all exist, so that their first MPI calls (where
 * the library registers each thread's table) coincide; WAVES such groups run one after another
 * (each thread registers once: more waves, more chances to catch two registrations colliding).
 *
 * usage: threads expected.json [iterations [threads [waves]]]   (defaults 100000, 4 (at most 64), 1)
 *
 * The main thread makes no counted MPI call besides MPI_Init_thread and MPI_Finalize (its own
 * rank/size queries go through PMPI), so the per-function totals are exactly the threads' calls. */
#include <mpi.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "expect.h"

enum { MAX_THREADS = 64 };

static const char* const kFunctions[] = {"MPI_Init_thread", "MPI_Finalize", "MPI_Comm_rank", "MPI_Send", "MPI_Iprobe"};
static long iterations = 100000;
static int threads = 4;
static int waves = 1;
static int failures[MAX_THREADS];
static atomic_int ready; /* threads at the start line */
static atomic_int go;    /* set once all are there */

static void* worker(void* arg) {
  const int id = (int)(long)arg;
  int value = 42, rank = -1, flag = 0;
  atomic_fetch_add(&ready, 1);
  while (!atomic_load(&go)) sched_yield(); /* more threads than cores: let the others reach the line */
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
  if (argc > 3) threads = atoi(argv[3]);
  if (argc > 4) waves = atoi(argv[4]);
  if (threads < 1 || threads > MAX_THREADS || waves < 1) {
    fprintf(stderr, "threads: 1 to %d threads and at least one wave, not %s and %d\n", MAX_THREADS, argv[3], waves);
    return 2;
  }
  int provided = 0, rank = 0;
  if (MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided) != MPI_SUCCESS) return 1;
  PMPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (provided < MPI_THREAD_MULTIPLE) {
    if (rank == 0)
      fprintf(stderr, "threads: the MPI library provides thread level %d, not MPI_THREAD_MULTIPLE\n", provided);
    PMPI_Abort(MPI_COMM_WORLD, 3);
  }
  expect_begin(kFunctions, (int)(sizeof kFunctions / sizeof kFunctions[0]));
  expect_add("MPI_Init_thread", 1, 0, 0);

  int failed = 0;
  for (int wave = 0; wave < waves; ++wave) {
    pthread_t thread_ids[MAX_THREADS];
    atomic_store(&ready, 0);
    atomic_store(&go, 0);
    for (long t = 0; t < threads; ++t) {
      if (pthread_create(&thread_ids[t], NULL, worker, (void*)t) != 0) {
        perror("pthread_create");
        PMPI_Abort(MPI_COMM_WORLD, 4);
      }
    }
    while (atomic_load(&ready) < threads) sched_yield();
    atomic_store(&go, 1);
    for (int t = 0; t < threads; ++t) {
      pthread_join(thread_ids[t], NULL);
      failed += failures[t];
      failures[t] = 0;
    }
  }
  if (failed) {
    fprintf(stderr, "threads: rank %d: %d MPI calls failed\n", rank, failed);
    PMPI_Abort(MPI_COMM_WORLD, 5);
  }
  expect_add("MPI_Comm_rank", (long long)threads * waves * iterations, 0, 0);
  expect_add("MPI_Send", (long long)threads * waves * iterations, 0, 0); /* to MPI_PROC_NULL: no bytes */
  expect_add("MPI_Iprobe", (long long)threads * waves * iterations, 0, 0);
  expect_add("MPI_Finalize", 1, 0, 0);
  expect_write(argv[1], threads * waves);
  MPI_Finalize();
  return 0;
}
