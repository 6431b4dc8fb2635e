/* What the planted programs share: their start (MPI_Init, the options, the ring neighbours), the
 * --fixed switch, a deterministic computation whose cost is set in work units, a checksum both modes
 * must agree on, and the line rank 0 prints at the end. Each program marks the MPI call of its
 * planted problem with a comment "PLANTED: <technique>" on the line before the call: the tests find
 * the expected call site (file:line) there, never by a number. */
#ifndef PLANTED_H
#define PLANTED_H

#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  int fixed;         /* --fixed: apply the fix the analyzer should recommend */
  double scale;      /* --scale X: multiplies the iteration counts (default 1) */
  const char* codec; /* --codec lz4|zstd: the compressor of a fixed mode that compresses */
} planted_options;

static inline planted_options planted_parse(int argc, char** argv) {
  planted_options options = {0, 1.0, "lz4"};
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--fixed") == 0) {
      options.fixed = 1;
    } else if (strcmp(argv[i], "--scale") == 0 && i + 1 < argc) {
      options.scale = atof(argv[++i]);
    } else if (strcmp(argv[i], "--codec") == 0 && i + 1 < argc) {
      options.codec = argv[++i];
    } else {
      fprintf(stderr, "usage: %s [--fixed] [--scale X] [--codec lz4|zstd]\n", argv[0]);
      exit(2);
    }
  }
  if (options.scale <= 0) options.scale = 1.0;
  return options;
}

/* A rank's start: MPI_Init, the options, and its place in MPI_COMM_WORLD seen as a ring (the ranks
 * it sends to and receives from). */
typedef struct {
  planted_options options;
  int rank, size, right, left;
} planted_world;

static inline planted_world planted_start(int* argc, char*** argv) {
  MPI_Init(argc, argv);
  planted_world world;
  world.options = planted_parse(*argc, *argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &world.rank);
  MPI_Comm_size(MPI_COMM_WORLD, &world.size);
  world.right = (world.rank + 1) % world.size;
  world.left = (world.rank + world.size - 1) % world.size;
  return world;
}

static inline long planted_scaled(long count, const planted_options* options) {
  long scaled = (long)((double)count * options->scale);
  return scaled < 1 ? 1 : scaled;
}

/* FNV-1a over bytes, continued from `hash`: order-sensitive, so a message out of place shows. */
static inline uint64_t planted_hash(uint64_t hash, const void* data, size_t bytes) {
  const unsigned char* p = (const unsigned char*)data;
  for (size_t i = 0; i < bytes; ++i) hash = (hash ^ p[i]) * 1099511628211ull;
  return hash;
}
/* The same over 64-bit words (8 times fewer steps: these programs are built with -O0). */
static inline uint64_t planted_hash_words(uint64_t hash, const uint64_t* words, size_t count) {
  for (size_t i = 0; i < count; ++i) hash = (hash ^ words[i]) * 1099511628211ull;
  return hash;
}
#define PLANTED_HASH_SEED 14695981039346656037ull

/* Deterministic computation of `units` steps of a linear congruential generator from `seed`: the
 * same result in both modes, and a cost the compiler cannot remove. planted_advance continues a
 * computation, so that one split into pieces gives the same result as one in a single call. */
static inline uint64_t planted_advance(uint64_t x, long units) {
  for (long i = 0; i < units; ++i) x = x * 6364136223846793005ull + 1442695040888963407ull;
  return x;
}
static inline uint64_t planted_compute(uint64_t seed, long units) { return planted_advance(seed | 1, units); }

/* Combines every rank's checksum (a sum, so the order of ranks does not matter) and has rank 0
 * print it with the mode and the wall time between the two barriers. */
static inline void planted_finish(const char* program, const planted_options* options, uint64_t checksum,
                                  double started_s) {
  uint64_t total = 0;
  MPI_Reduce(&checksum, &total, 1, MPI_UINT64_T, MPI_SUM, 0, MPI_COMM_WORLD);
  MPI_Barrier(MPI_COMM_WORLD);
  double elapsed_s = MPI_Wtime() - started_s;
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank == 0)
    printf("%s mode=%s checksum=%016llx time_s=%.6f\n", program, options->fixed ? "fixed" : "planted",
           (unsigned long long)total, elapsed_s);
}

#endif
