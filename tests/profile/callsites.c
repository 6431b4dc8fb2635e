/* Call sites on known lines: every MPI call this program makes is written on one source line, inside
 * PT_SITE(...), which records that line (__LINE__), the call and the bytes it must be credited with.
 * Rank 0 writes expected.json (argv[1]): for every call site its function, file basename, line,
 * symbol, module, the calls and bytes summed over ranks, and how many ranks made it.
 * check_callsites.py compares profile.json's "callsites" with it.
 *
 *   blocking_pairs     MPI_Send (even ranks) / MPI_Recv (odd ranks), ROUNDS rounds, sizes vary by round
 *   reduce             MPI_Allreduce, REDUCTIONS times on every rank
 *   nonblocking_pairs  MPI_Irecv + MPI_Isend + MPI_Waitall between partners (the received bytes belong
 *                      to the MPI_Irecv site, which posted the request; MPI_Waitall carries none)
 *   helper_barrier     MPI_Barrier, HELPER_BARRIER_CALLS times from inside libcallsite_helper.so
 *   reduce runs inside the MPI_Pcontrol region "reduction"; every other site is outside regions.
 * With COMMTUNE_CALLSITE_DEPTH=2, the helper's MPI_Barrier site has main's call of helper_barrier as
 * its second frame (expected.json: helper_caller_line).
 *
 * Ranks are paired (0,1), (2,3), ...; with an odd number of ranks the last one only joins the
 * collectives. Build with -g -O0. Keep every PT_SITE(...) on one line (clang-format is off below). */
#include <string.h>

#include "callsite_helper.h"
#include "profile_test.h"

enum { ROUNDS = 10, CAP = 256, REDUCTIONS = 2, RED_INTS = 7, NB_DOUBLES = 13 };
enum { S_SEND, S_RECV, S_ALLREDUCE, S_IRECV, S_ISEND, S_WAITALL, S_HELPER, NSITES };

static pt_site sites[NSITES] = {
    [S_SEND] = {"MPI_Send", "callsites.c", "blocking_pairs", NULL},
    [S_RECV] = {"MPI_Recv", "callsites.c", "blocking_pairs", NULL},
    [S_ALLREDUCE] = {"MPI_Allreduce", "callsites.c", "reduce", NULL},
    [S_IRECV] = {"MPI_Irecv", "callsites.c", "nonblocking_pairs", NULL},
    [S_ISEND] = {"MPI_Isend", "callsites.c", "nonblocking_pairs", NULL},
    [S_WAITALL] = {"MPI_Waitall", "callsites.c", "nonblocking_pairs", NULL},
    [S_HELPER] = {"MPI_Barrier", "callsite_helper.c", "helper_barrier", "libcallsite_helper.so"},
};

static const long long I = (long long)sizeof(int);
static const long long D = (long long)sizeof(double);

// clang-format off
static void blocking_pairs(int rank, int size) {
  const int partner = rank ^ 1;
  int buf[CAP] = {0};
  if (partner >= size) return;
  for (int round = 0; round < ROUNDS; ++round) {
    const int n = 4 + 3 * round; /* ints in this round's message */
    const long long bytes = n * I;
    if (rank % 2 == 0) {
      PT_SITE(sites, S_SEND, bytes, 0, MPI_Send(buf, n, MPI_INT, partner, round, MPI_COMM_WORLD));
    } else {
      PT_SITE(sites, S_RECV, 0, bytes, MPI_Recv(buf, CAP, MPI_INT, partner, round, MPI_COMM_WORLD, MPI_STATUS_IGNORE));
    }
  }
}

static void reduce(void) {
  int in[RED_INTS] = {1, 2, 3, 4, 5, 6, 7}, out[RED_INTS];
  const long long bytes = RED_INTS * I;
  for (int k = 0; k < REDUCTIONS; ++k) {
    PT_SITE(sites, S_ALLREDUCE, bytes, bytes, MPI_Allreduce(in, out, RED_INTS, MPI_INT, MPI_SUM, MPI_COMM_WORLD));
  }
}

static void nonblocking_pairs(int rank, int size) {
  const int partner = rank ^ 1;
  double out[NB_DOUBLES] = {0}, in[NB_DOUBLES];
  MPI_Request requests[2];
  MPI_Status statuses[2];
  const long long bytes = NB_DOUBLES * D;
  if (partner >= size) return;
  PT_SITE(sites, S_IRECV, 0, bytes, MPI_Irecv(in, NB_DOUBLES, MPI_DOUBLE, partner, 100, MPI_COMM_WORLD, &requests[0]));
  PT_SITE(sites, S_ISEND, bytes, 0, MPI_Isend(out, NB_DOUBLES, MPI_DOUBLE, partner, 100, MPI_COMM_WORLD, &requests[1]));
  PT_SITE(sites, S_WAITALL, 0, 0, MPI_Waitall(2, requests, statuses));
}
// clang-format on

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s expected.json\n", argv[0]);
    return 2;
  }
  MPI_Init(&argc, &argv);
  int rank = 0, size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  /* The executable's sites are in the module this program was started as. */
  const char* slash = strrchr(argv[0], '/');
  const char* executable = slash ? slash + 1 : argv[0];
  for (int i = 0; i < NSITES; ++i) {
    if (!sites[i].module) sites[i].module = executable;
  }

  blocking_pairs(rank, size);
  MPI_Pcontrol(2, "reduction"); /* a named region: the MPI_Allreduce site belongs to it */
  reduce();
  MPI_Pcontrol(-2, "reduction");
  nonblocking_pairs(rank, size);
  const int helper_line = helper_barrier(MPI_COMM_WORLD), helper_caller_line = __LINE__;
  if (helper_line <= 0) pt_check(MPI_ERR_OTHER, "helper_barrier");
  sites[S_HELPER].line = helper_line;
  sites[S_HELPER].calls += HELPER_BARRIER_CALLS;

  char extra[64]; /* with COMMTUNE_CALLSITE_DEPTH >= 2 the helper's site has this line as its caller */
  snprintf(extra, sizeof extra, ",\n  \"helper_caller_line\": %d", helper_caller_line);
  pt_sites_write(argv[1], "callsites", sites, NSITES, extra);
  MPI_Finalize();
  return 0;
}
