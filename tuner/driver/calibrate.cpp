#include "calibrate.hpp"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <tuple>
#include <utility>
#include <vector>

#include "commtune/tuner/statistics.hpp"

namespace commtune::tuner::driver {
namespace {

// A small message (latency), 4 KiB and 64 KiB (around the eager/rendezvous switch of common
// transports), and 1 MiB (bandwidth). Empty messages are left out: they have no bandwidth.
constexpr std::uint64_t kCalibrationSizes_bytes[] = {8, 4096, 65536, 1 << 20};
constexpr int kWarmupRoundTrips = 2;
constexpr int kMinRoundTrips = 5;
constexpr int kMaxRoundTrips = 1000;
// Per size, so the whole calibration stays well under two seconds even on a slow link (a 1 MiB
// round trip over 1 Gbit/s is ~17 ms: the minimum of 5 then takes ~0.1 s).
constexpr double kBudgetPerSize_s = 0.25;
constexpr int kTagPing = 1;
constexpr int kTagStop = 2;

// Rank 0's partner, the lowest rank that does not share rank 0's node (or rank 1 when all do), and
// whether they share a node.
std::pair<int, bool> partner_of_rank0(MPI_Comm comm, int rank) {
  MPI_Comm node = MPI_COMM_NULL;
  MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
  int lowest_on_my_node = 0;
  MPI_Allreduce(&rank, &lowest_on_my_node, 1, MPI_INT, MPI_MIN, node);
  MPI_Comm_free(&node);
  const int candidate = lowest_on_my_node == 0 ? INT_MAX : rank;
  int first_elsewhere = INT_MAX;
  MPI_Allreduce(&candidate, &first_elsewhere, 1, MPI_INT, MPI_MIN, comm);
  if (first_elsewhere == INT_MAX) return {1, true};
  return {first_elsewhere, false};
}

// Rank 0's side at one size: round trips until the budget is spent (at least kMinRoundTrips,
// at most kMaxRoundTrips timed), then a stop message.
CalibrationPoint ping(MPI_Comm comm, int peer, std::uint64_t bytes, std::vector<char>& buffer) {
  const int count = static_cast<int>(bytes);
  std::vector<double> one_way_s;
  const double start_s = MPI_Wtime();
  for (int i = 0;; ++i) {
    const int timed = i - kWarmupRoundTrips;
    if (timed >= kMaxRoundTrips || (timed >= kMinRoundTrips && MPI_Wtime() - start_s >= kBudgetPerSize_s)) break;
    const double sent_s = MPI_Wtime();
    MPI_Send(buffer.data(), count, MPI_BYTE, peer, kTagPing, comm);
    MPI_Recv(buffer.data(), count, MPI_BYTE, peer, kTagPing, comm, MPI_STATUS_IGNORE);
    if (timed >= 0) one_way_s.push_back((MPI_Wtime() - sent_s) / 2);
  }
  MPI_Send(nullptr, 0, MPI_BYTE, peer, kTagStop, comm);
  CalibrationPoint point{.message_bytes = bytes, .round_trips = static_cast<int>(one_way_s.size())};
  point.latency_us = median(one_way_s) * 1e6;
  // bytes per microsecond is MB (10^6 bytes) per second.
  point.bandwidth_mb_per_s = point.latency_us > 0 ? double(bytes) / point.latency_us : 0;
  return point;
}

// The partner's side: echo every ping until the stop message.
void pong(MPI_Comm comm, std::uint64_t bytes, std::vector<char>& buffer) {
  const int count = static_cast<int>(bytes);
  for (;;) {
    MPI_Status status;
    MPI_Recv(buffer.data(), count, MPI_BYTE, 0, MPI_ANY_TAG, comm, &status);
    if (status.MPI_TAG == kTagStop) return;
    MPI_Send(buffer.data(), count, MPI_BYTE, 0, kTagPing, comm);
  }
}

}  // namespace

Calibration measure_calibration(MPI_Comm world) {
  MPI_Comm comm = MPI_COMM_NULL;
  MPI_Comm_dup(world, &comm);  // the ping-pong's tags never meet anything else's
  int rank = 0;
  Calibration calibration;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &calibration.ranks);
  std::tie(calibration.peer_rank, calibration.same_node) = partner_of_rank0(comm, rank);
  std::vector<char> buffer(*std::max_element(std::begin(kCalibrationSizes_bytes), std::end(kCalibrationSizes_bytes)),
                           1);
  for (const std::uint64_t bytes : kCalibrationSizes_bytes) {
    if (rank == 0) {
      calibration.points.push_back(ping(comm, calibration.peer_rank, bytes, buffer));
    } else if (rank == calibration.peer_rank) {
      pong(comm, bytes, buffer);
    }
  }
  MPI_Barrier(comm);
  MPI_Comm_free(&comm);
  return calibration;
}

}  // namespace commtune::tuner::driver
