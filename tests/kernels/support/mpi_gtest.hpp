// Shared by the kernel tests that run GoogleTest under MPI: World (this rank, the number of ranks
// and the ring neighbours) and mpi_gtest_main(), the main() boilerplate (only rank 0 prints, the
// exit code is the worst over all ranks).
#pragma once

#include <gtest/gtest.h>
#include <mpi.h>

namespace commtune::kernels::test {

struct World {
  int rank = 0;
  int ranks = 1;
  World() {
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  }
  int right() const { return (rank + 1) % ranks; }
  int left() const { return (rank - 1 + ranks) % ranks; }
};

// MPI_Init (or MPI_Init_thread when a thread level is asked for), then every test on every rank in
// the same order; only rank 0 prints results.
inline int mpi_gtest_main(int argc, char** argv, int thread_level = -1) {
  if (thread_level < 0) {
    MPI_Init(&argc, &argv);
  } else {
    int provided = MPI_THREAD_SINGLE;
    MPI_Init_thread(&argc, &argv, thread_level, &provided);
  }
  ::testing::InitGoogleTest(&argc, argv);
  if (World().rank != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  int failed = RUN_ALL_TESTS();
  MPI_Allreduce(MPI_IN_PLACE, &failed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  MPI_Finalize();
  return failed;
}

}  // namespace commtune::kernels::test
