/* Shared helpers of the tests/profile programs: checked MPI calls, sleeping a precise time without
 * MPI, marker files, and the per-call-site bookkeeping the programs write to expected.json.
 *
 * Bookkeeping communication (summing the records on rank 0) goes through PMPI_* directly, which the
 * preload library does not intercept, so it adds nothing to the profile. MPI_Wtime is not wrapped
 * either (docs/profile.md). */
#ifndef COMMTUNE_TESTS_PROFILE_TEST_H
#define COMMTUNE_TESTS_PROFILE_TEST_H

/* clock_gettime and nanosleep: CMakeLists.txt defines it for every program; this covers builds
 * without it where this header comes first. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Fails the whole job (through PMPI, so the profile does not see an MPI_Abort) when an MPI call
 * does not return MPI_SUCCESS. */
static inline void pt_check(int result, const char* what) {
  if (result != MPI_SUCCESS) {
    fprintf(stderr, "%s failed with error %d\n", what, result);
    fflush(stderr);
    PMPI_Abort(MPI_COMM_WORLD, 98);
  }
}

static inline double pt_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Sleeps `seconds` of wall time, outside MPI, resuming after signals (a SIGUSR1 snapshot interrupts
 * nanosleep) until the deadline has passed. */
static inline void pt_sleep(double seconds) {
  const double deadline = pt_now() + seconds;
  for (;;) {
    const double left = deadline - pt_now();
    if (left <= 0) return;
    struct timespec t;
    t.tv_sec = (time_t)left;
    t.tv_nsec = (long)((left - (double)t.tv_sec) * 1e9);
    if (nanosleep(&t, NULL) != 0 && errno != EINTR) return;
  }
}

static inline void pt_sleep_ms(int ms) { pt_sleep(ms / 1000.0); }

/* Creates `path` (through a temporary name and a rename, so a reader never sees it half written)
 * holding `text`. */
static inline void pt_write_file(const char* path, const char* text) {
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  FILE* out = fopen(tmp, "w");
  if (!out || fputs(text, out) < 0 || fclose(out) != 0 || rename(tmp, path) != 0) {
    perror(path);
    PMPI_Abort(MPI_COMM_WORLD, 97);
  }
}

static inline int pt_arg_int(int argc, char** argv, int index, int fallback) {
  return argc > index && argv[index][0] != '\0' ? atoi(argv[index]) : fallback;
}

/* ---- Call-site bookkeeping ----------------------------------------------------------------------
 * A program declares a table of sites (function, file basename), one slot per source line that makes
 * an MPI call, and wraps each call in PT_SITE(slot, sent, received, call) written on ONE source line:
 * __LINE__ is then the line of the call itself. Each rank tallies calls and bytes per slot;
 * pt_sites_write() sums the tallies over ranks (PMPI_Reduce) and rank 0 writes them. */
typedef struct {
  const char* function; /* "MPI_Send" */
  const char* file;     /* basename of the source file that makes the call */
  const char* symbol;   /* the function the call is made in, NULL when not asserted */
  const char* module;   /* basename of the module that makes the call, NULL when not asserted */
  long long line;       /* 0 until the call has been made on this rank (max over ranks) */
  long long calls, sent, received;
} pt_site;

static inline void pt_site_note(pt_site* site, int line, long long sent, long long received) {
  site->line = line;
  site->calls += 1;
  site->sent += sent;
  site->received += received;
}

#define PT_SITE(table, slot, sent, received, call)              \
  do {                                                          \
    pt_site_note(&(table)[slot], __LINE__, (sent), (received)); \
    pt_check((call), (table)[slot].function);                   \
  } while (0)

/* Collective over MPI_COMM_WORLD. `extra` is written verbatim into the top-level object (must be
 * "" or start with ",\n"). */
static inline void pt_sites_write(const char* path, const char* program, pt_site* sites, int count, const char* extra) {
  int rank = 0, size = 0;
  PMPI_Comm_rank(MPI_COMM_WORLD, &rank);
  PMPI_Comm_size(MPI_COMM_WORLD, &size);
  long long* mine = (long long*)calloc((size_t)count * 4, sizeof(long long));
  long long* sums = (long long*)calloc((size_t)count * 4, sizeof(long long));
  long long* lines = (long long*)calloc((size_t)count, sizeof(long long));
  for (int i = 0; i < count; ++i) {
    mine[4 * i + 0] = sites[i].calls;
    mine[4 * i + 1] = sites[i].sent;
    mine[4 * i + 2] = sites[i].received;
    mine[4 * i + 3] = sites[i].calls > 0 ? 1 : 0; /* ranks that made the call */
  }
  PMPI_Reduce(mine, sums, count * 4, MPI_LONG_LONG, MPI_SUM, 0, MPI_COMM_WORLD);
  for (int i = 0; i < count; ++i) mine[i] = sites[i].line;
  PMPI_Reduce(mine, lines, count, MPI_LONG_LONG, MPI_MAX, 0, MPI_COMM_WORLD);
  if (rank == 0) {
    FILE* out = fopen(path, "w");
    if (!out) {
      perror(path);
      PMPI_Abort(MPI_COMM_WORLD, 97);
    }
    fprintf(out, "{\n  \"program\": \"%s\",\n  \"ranks\": %d,\n  \"sites\": [", program, size);
    for (int i = 0; i < count; ++i) {
      if (lines[i] == 0) {
        fprintf(stderr, "%s: site %d (%s) was never called on any rank\n", program, i, sites[i].function);
        PMPI_Abort(MPI_COMM_WORLD, 96);
      }
      fprintf(out,
              "%s\n    {\"function\": \"%s\", \"file\": \"%s\", \"line\": %lld, \"calls\": %lld, "
              "\"bytes_sent\": %lld, \"bytes_received\": %lld, \"ranks\": %lld",
              i ? "," : "", sites[i].function, sites[i].file, lines[i], sums[4 * i], sums[4 * i + 1], sums[4 * i + 2],
              sums[4 * i + 3]);
      if (sites[i].symbol) fprintf(out, ", \"symbol\": \"%s\"", sites[i].symbol);
      if (sites[i].module) fprintf(out, ", \"module\": \"%s\"", sites[i].module);
      fprintf(out, "}");
    }
    fprintf(out, "\n  ]%s\n}\n", extra);
    if (fclose(out) != 0) {
      perror(path);
      PMPI_Abort(MPI_COMM_WORLD, 97);
    }
  }
  free(mine);
  free(sums);
  free(lines);
}

#endif
