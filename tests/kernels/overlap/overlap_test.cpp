// compute_while_polling and ProgressThread: every chunk runs, the requests complete, polling stops
// once they have, and the progress thread refuses an MPI without thread support.
#include "commtune/kernels/overlap/overlap.hpp"

#include <gtest/gtest.h>
#include <mpi.h>

#include <array>
#include <chrono>
#include <thread>
#include <vector>

#include "support/mpi_gtest.hpp"

namespace commtune::kernels {
namespace {

using test::World;

TEST(ComputeWhilePolling, RunsEveryChunkAndCompletes) {
  const World w;
  std::vector<int> incoming(1 << 17, -1);  // 512 KiB: rendezvous
  std::vector<int> outgoing(1 << 17, w.rank);
  std::array<MPI_Request, 2> requests{};
  MPI_Irecv(incoming.data(), int(incoming.size()), MPI_INT, (w.rank - 1 + w.ranks) % w.ranks, 0, MPI_COMM_WORLD,
            &requests[0]);
  MPI_Isend(outgoing.data(), int(outgoing.size()), MPI_INT, (w.rank + 1) % w.ranks, 0, MPI_COMM_WORLD, &requests[1]);
  std::vector<int> chunks_seen;
  const PollingStats stats = compute_while_polling(requests, 8, [&](int chunk) {
    chunks_seen.push_back(chunk);
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  });
  EXPECT_EQ(chunks_seen, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(requests[0], MPI_REQUEST_NULL);
  EXPECT_EQ(requests[1], MPI_REQUEST_NULL);
  EXPECT_EQ(incoming.front(), (w.rank - 1 + w.ranks) % w.ranks);
  EXPECT_EQ(incoming.back(), (w.rank - 1 + w.ranks) % w.ranks);
  // Polling stops once complete: as many polls as chunks up to completion, never more than chunks.
  EXPECT_GE(stats.polls, 1);
  EXPECT_LE(stats.polls, 8);
  if (stats.chunks_before_complete > 0) EXPECT_EQ(stats.polls, stats.chunks_before_complete);
}

TEST(ComputeWhilePolling, NoRequestsAndZeroChunks) {
  std::vector<MPI_Request> none;
  int calls = 0;
  const PollingStats stats = compute_while_polling(none, 3, [&](int) { ++calls; });
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(stats.chunks_before_complete, 1);  // an empty set is complete at the first poll
  std::array<MPI_Request, 1> barrier{};
  MPI_Ibarrier(MPI_COMM_WORLD, &barrier[0]);
  const PollingStats zero = compute_while_polling(barrier, 0, [&](int) { ++calls; });
  EXPECT_EQ(calls, 3);  // no chunk ran
  EXPECT_EQ(zero.polls, 0);
  EXPECT_EQ(barrier[0], MPI_REQUEST_NULL);  // still completed by the final wait
}

TEST(ProgressThread, CompletesACollectiveWhileTheOwnerSleeps) {
  const World w;
  int provided = MPI_THREAD_SINGLE;
  MPI_Query_thread(&provided);
  std::array<MPI_Request, 1> request{};
  std::vector<long> values(1024, w.rank), sums(1024, 0);
  MPI_Iallreduce(values.data(), sums.data(), 1024, MPI_LONG, MPI_SUM, MPI_COMM_WORLD, &request[0]);
  if (provided < MPI_THREAD_SERIALIZED) {
    EXPECT_THROW(ProgressThread{request}, std::runtime_error);
    MPI_Wait(&request[0], MPI_STATUS_IGNORE);
    GTEST_SKIP() << "MPI provides no thread support here";
  }
  {
    ProgressThread progress(request, std::chrono::microseconds(50));
    // Not calling MPI at all here: only the helper thread can complete the allreduce.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!progress.completed() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    EXPECT_TRUE(progress.completed());
    EXPECT_GE(progress.polls(), 1);
  }
  MPI_Waitall(1, request.data(), MPI_STATUSES_IGNORE);
  EXPECT_EQ(sums[1023], long(w.ranks) * (w.ranks - 1) / 2);
}

TEST(ProgressThread, StopBeforeCompletionLeavesRequestsToTheOwner) {
  const World w;
  int provided = MPI_THREAD_SINGLE;
  MPI_Query_thread(&provided);
  if (provided < MPI_THREAD_SERIALIZED) GTEST_SKIP() << "MPI provides no thread support here";
  // Rank 0's receive cannot complete until the others send, which they do only after a barrier
  // that rank 0 joins after stopping its progress thread.
  std::array<MPI_Request, 1> request{MPI_REQUEST_NULL};
  int value = -1;
  if (w.rank == 0) MPI_Irecv(&value, 1, MPI_INT, 1, 3, MPI_COMM_WORLD, &request[0]);
  {
    ProgressThread progress(request, std::chrono::microseconds(50));
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    progress.stop();
    progress.stop();  // idempotent
    if (w.rank == 0) EXPECT_FALSE(progress.completed());
  }
  MPI_Barrier(MPI_COMM_WORLD);
  if (w.rank == 1) {
    int forty_two = 42;
    MPI_Send(&forty_two, 1, MPI_INT, 0, 3, MPI_COMM_WORLD);
  }
  MPI_Waitall(1, request.data(), MPI_STATUSES_IGNORE);
  if (w.rank == 0) EXPECT_EQ(value, 42);
}

}  // namespace
}  // namespace commtune::kernels

int main(int argc, char** argv) {
  return commtune::kernels::test::mpi_gtest_main(argc, argv, MPI_THREAD_MULTIPLE);
}
