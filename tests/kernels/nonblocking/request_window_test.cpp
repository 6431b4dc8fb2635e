// RequestWindow: bounded in-flight requests, ordered delivery, completion on destruction, empty
// messages, and invalid capacity. Run with 2 and 4 ranks; every rank runs every test.
#include "commtune/kernels/nonblocking/request_window.hpp"

#include <gtest/gtest.h>
#include <mpi.h>

#include <numeric>
#include <stdexcept>
#include <vector>

#include "support/mpi_gtest.hpp"

namespace commtune::kernels {
namespace {

using test::World;

TEST(RequestWindow, ZeroCapacityIsRejected) { EXPECT_THROW(RequestWindow(0), std::invalid_argument); }

TEST(RequestWindow, NeverExceedsCapacityAndDeliversInOrder) {
  const World w;
  constexpr int kMessages = 50;
  constexpr int kCapacity = 3;
  std::vector<int> incoming(kMessages, -1);
  std::vector<int> outgoing(kMessages);
  std::iota(outgoing.begin(), outgoing.end(), 1000 * w.rank);
  RequestWindow receives(kMessages);  // all receives pre-posted: the bounded send window cannot deadlock
  for (int i = 0; i < kMessages; ++i) receives.irecv(&incoming[i], 1, MPI_INT, w.left(), 7, MPI_COMM_WORLD);
  RequestWindow sends(kCapacity);
  for (int i = 0; i < kMessages; ++i) {
    sends.isend(&outgoing[i], 1, MPI_INT, w.right(), 7, MPI_COMM_WORLD);
    EXPECT_LE(sends.outstanding(), static_cast<std::size_t>(kCapacity));
  }
  EXPECT_EQ(sends.posted(), static_cast<std::size_t>(kMessages));
  EXPECT_GE(sends.waits_for_slot(), static_cast<std::size_t>(kMessages - kCapacity));
  sends.wait_all();
  receives.wait_all();
  EXPECT_EQ(sends.outstanding(), 0u);
  EXPECT_EQ(receives.outstanding(), 0u);
  EXPECT_EQ(receives.waits_for_slot(), 0u);
  // MPI's non-overtaking rule plus posting order: message i lands in slot i.
  for (int i = 0; i < kMessages; ++i) EXPECT_EQ(incoming[i], 1000 * w.left() + i) << i;
}

TEST(RequestWindow, DestructorCompletesOutstandingRequests) {
  const World w;
  std::vector<double> incoming(1 << 16, 0.0);  // 512 KiB: rendezvous, completes only when both sides progress
  std::vector<double> outgoing(1 << 16, double(w.rank) + 0.5);
  {
    RequestWindow window(2);
    window.irecv(incoming.data(), int(incoming.size()), MPI_DOUBLE, w.left(), 1, MPI_COMM_WORLD);
    window.isend(outgoing.data(), int(outgoing.size()), MPI_DOUBLE, w.right(), 1, MPI_COMM_WORLD);
    EXPECT_EQ(window.outstanding(), 2u);
  }  // waits here
  EXPECT_EQ(incoming.front(), double(w.left()) + 0.5);
  EXPECT_EQ(incoming.back(), double(w.left()) + 0.5);
}

TEST(RequestWindow, EmptyMessagesAndTestAll) {
  const World w;
  RequestWindow window(4);
  EXPECT_TRUE(window.test_all());  // nothing posted: complete
  window.irecv(nullptr, 0, MPI_BYTE, w.left(), 2, MPI_COMM_WORLD);
  window.isend(nullptr, 0, MPI_BYTE, w.right(), 2, MPI_COMM_WORLD);
  while (!window.test_all()) {
  }
  EXPECT_EQ(window.outstanding(), 0u);
}

TEST(RequestWindow, SlotForCollectives) {
  const World w;
  std::vector<long> values(3, w.rank + 1);
  std::vector<long> sums(3, 0);
  RequestWindow window(1);
  MPI_Iallreduce(values.data(), sums.data(), 3, MPI_LONG, MPI_SUM, MPI_COMM_WORLD, window.slot());
  int root_value = w.rank == 0 ? 42 : 0;
  // The window is full: slot() first completes the allreduce.
  MPI_Ibcast(&root_value, 1, MPI_INT, 0, MPI_COMM_WORLD, window.slot());
  EXPECT_EQ(window.waits_for_slot(), 1u);
  EXPECT_EQ(sums[0], long(w.ranks) * (w.ranks + 1) / 2);
  window.wait_all();
  EXPECT_EQ(root_value, 42);
}

}  // namespace
}  // namespace commtune::kernels

int main(int argc, char** argv) { return commtune::kernels::test::mpi_gtest_main(argc, argv); }
