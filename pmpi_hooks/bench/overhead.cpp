// How much time the preload library adds to an MPI call. Run it with and without LD_PRELOAD (see
// pmpi_hooks/bench/overhead.py, which alternates the two and reports the difference): each figure
// is the median over repetitions of the mean time per call in a tight loop.
//   commtune-bench-overhead [calls_per_repetition] [repetitions]
// The last case is one call of MPI_Finalize, whole (in ns like the rest).
// Prints one JSON object per line from rank 0: {"case": ..., "ns_per_call": ...}.
// Tight loops are timed in thread CPU time, which a shared, oversubscribed machine does not
// inflate the way it inflates wall time (median of the repetitions); the ping-pong, which waits
// for its peer, in wall time (fastest repetition).
#include <mpi.h>
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

namespace {

double now_ns(clockid_t clock) {
  timespec t;
  clock_gettime(clock, &t);
  return double(t.tv_sec) * 1e9 + double(t.tv_nsec);
}

template <class Body>
std::vector<double> ns_per_call_samples(int calls, int repetitions, Body body, clockid_t clock) {
  std::vector<double> samples;
  for (int r = 0; r < repetitions; ++r) {
    const double start = now_ns(clock);
    for (int i = 0; i < calls; ++i) body();
    samples.push_back((now_ns(clock) - start) / calls);
  }
  std::sort(samples.begin(), samples.end());
  return samples;
}

template <class Body>
double median_ns_per_call(int calls, int repetitions, Body body) {
  const auto samples = ns_per_call_samples(calls, repetitions, body, CLOCK_THREAD_CPUTIME_ID);
  return samples[samples.size() / 2];
}

void report(int rank, const char* name, double ns) {
  if (rank == 0) std::printf("{\"case\": \"%s\", \"ns_per_call\": %.2f}\n", name, ns);
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const int calls = argc > 1 ? std::atoi(argv[1]) : 200000;
  const int repetitions = argc > 2 ? std::atoi(argv[2]) : 15;

  int value = 0;
  report(rank, "MPI_Send to MPI_PROC_NULL", median_ns_per_call(calls, repetitions, [&] {
           MPI_Send(&value, 1, MPI_INT, MPI_PROC_NULL, 0, MPI_COMM_WORLD);
         }));
  int me = 0;
  report(rank, "MPI_Comm_rank", median_ns_per_call(calls, repetitions, [&] { MPI_Comm_rank(MPI_COMM_WORLD, &me); }));
  int flag = 0;
  report(rank, "MPI_Iprobe (nothing pending)", median_ns_per_call(calls, repetitions, [&] {
           MPI_Iprobe(MPI_ANY_SOURCE, 99, MPI_COMM_WORLD, &flag, MPI_STATUS_IGNORE);
         }));
  MPI_Request request;
  report(rank, "MPI_Isend to MPI_PROC_NULL + MPI_Wait", median_ns_per_call(calls, repetitions, [&] {
           MPI_Isend(&value, 1, MPI_INT, MPI_PROC_NULL, 0, MPI_COMM_WORLD, &request);
           MPI_Wait(&request, MPI_STATUS_IGNORE);
         }));

  // 0-byte ping-pong between ranks 0 and 1: one-way latency is half a round trip.
  if (size >= 2) {
    const int round_trips = std::max(1, calls / 10);
    const int peer = rank == 0 ? 1 : 0;
    MPI_Barrier(MPI_COMM_WORLD);
    // The fastest repetition: a latency that other processes on the machine can only lengthen.
    const auto round_trip_ns = ns_per_call_samples(
        round_trips, repetitions,
        [&] {
          if (rank == 0) {
            MPI_Send(nullptr, 0, MPI_BYTE, peer, 1, MPI_COMM_WORLD);
            MPI_Recv(nullptr, 0, MPI_BYTE, peer, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
          } else if (rank == 1) {
            MPI_Recv(nullptr, 0, MPI_BYTE, peer, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            MPI_Send(nullptr, 0, MPI_BYTE, peer, 1, MPI_COMM_WORLD);
          }
        },
        CLOCK_MONOTONIC);
    report(rank, "0-byte ping-pong, one way (fastest repetition)", round_trip_ns.front() / 2);
  }

  // The floor: what two timer reads cost on this machine, measured in the same run.
#if defined(__x86_64__)
  volatile unsigned long long sink = 0;
  report(rank, "floor: two rdtsc reads", median_ns_per_call(calls, repetitions, [&] {
           const unsigned long long a = __rdtsc();
           sink = sink + (__rdtsc() - a);
         }));
#endif
  report(rank, "floor: two clock_gettime reads", median_ns_per_call(calls, repetitions, [&] {
           timespec a, b;
           clock_gettime(CLOCK_MONOTONIC, &a);
           clock_gettime(CLOCK_MONOTONIC, &b);
           value += int(b.tv_nsec - a.tv_nsec) & 1;
         }));
  // MPI_Finalize itself, on rank 0 once every rank has arrived: with the library, this is where the
  // ranks' records are gathered and the profile and summary are written.
  MPI_Barrier(MPI_COMM_WORLD);
  const double finalize_start = now_ns(CLOCK_MONOTONIC);
  MPI_Finalize();
  report(rank, "MPI_Finalize (with the library: gather + profile.json + summary.txt)",
         now_ns(CLOCK_MONOTONIC) - finalize_start);
  return 0;
}
