// The shared measurement helpers, run under MPI with 2 and 4 ranks.
#include "commtune/kernels/measure.hpp"

#include <gtest/gtest.h>
#include <mpi.h>

#include <cstring>
#include <string>
#include <vector>

#include "support/mpi_gtest.hpp"

namespace commtune::kernels {
namespace {

int world_rank() {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
}

TEST(Summary, StatisticsOfKnownSamples) {
  const Summary odd = summarize({3.0, 1.0, 2.0});
  EXPECT_DOUBLE_EQ(odd.min, 1.0);
  EXPECT_DOUBLE_EQ(odd.median, 2.0);
  EXPECT_DOUBLE_EQ(odd.mean, 2.0);
  EXPECT_DOUBLE_EQ(odd.stddev, 1.0);  // sample standard deviation
  const Summary even = summarize({4.0, 1.0, 2.0, 3.0});
  EXPECT_DOUBLE_EQ(even.median, 2.5);
  EXPECT_DOUBLE_EQ(summarize({5.0}).stddev, 0.0);
  EXPECT_DOUBLE_EQ(summarize({}).median, 0.0);
}

TEST(Checksum, Fnv1aReferenceValues) {
  // Published FNV-1a 64-bit test vectors.
  EXPECT_EQ(to_hex(Checksum().value()), "cbf29ce484222325");
  EXPECT_EQ(to_hex(Checksum().add("a", 1).value()), "af63dc4c8601ec8c");
  EXPECT_EQ(to_hex(Checksum().add("foobar", 6).value()), "85944171f73967e8");
  // Incremental adds equal one add of the concatenation.
  EXPECT_EQ(Checksum().add("foo", 3).add("bar", 3).value(), Checksum().add("foobar", 6).value());
}

TEST(FillPattern, ReproducibleAndSeedDependent) {
  std::vector<unsigned char> a(1001), b(1001), c(1001);
  fill_pattern(a.data(), a.size(), 7);
  fill_pattern(b.data(), b.size(), 7);
  fill_pattern(c.data(), c.size(), 8);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  // A shorter fill is a prefix of a longer one with the same seed.
  std::vector<unsigned char> prefix(13);
  fill_pattern(prefix.data(), prefix.size(), 7);
  EXPECT_EQ(0, std::memcmp(prefix.data(), a.data(), prefix.size()));
}

TEST(CombineChecksums, SameOnAllRanksAndOrderSensitive) {
  const int rank = world_rank();
  const std::string combined = combine_checksums(Checksum().add_u64(rank).value(), MPI_COMM_WORLD);
  std::string root = combined;
  root.resize(16);
  MPI_Bcast(root.data(), 16, MPI_CHAR, 0, MPI_COMM_WORLD);
  EXPECT_EQ(combined, root);
  EXPECT_EQ(combined.size(), 16u);
  // Swapping which rank holds which digest changes the result (rank order matters).
  int ranks = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  const std::string reversed = combine_checksums(Checksum().add_u64(ranks - 1 - rank).value(), MPI_COMM_WORLD);
  EXPECT_NE(combined, reversed);
}

TEST(TimeIterations, MaxOverRanksAndCounts) {
  const int rank = world_rank();
  RunOptions options;
  options.iterations = 5;
  options.warmup = 2;
  int calls = 0;
  // Rank 0 is slow: every rank must report rank 0's time.
  const auto times = time_iterations(MPI_COMM_WORLD, options, [&] {
    ++calls;
    const double until = MPI_Wtime() + (rank == 0 ? 2e-3 : 0);
    while (MPI_Wtime() < until) {
    }
  });
  EXPECT_EQ(calls, 7);
  ASSERT_EQ(times.size(), 5u);
  for (double t : times) EXPECT_GE(t, 2e-3);
  std::vector<double> root = times;
  MPI_Bcast(root.data(), 5, MPI_DOUBLE, 0, MPI_COMM_WORLD);
  EXPECT_EQ(times, root);
}

TEST(TimeInterleaved, EveryBodyEveryRoundInRotatingOrder) {
  RunOptions options;
  options.iterations = 4;
  options.warmup = 1;
  std::vector<int> order;
  const auto times = time_interleaved(MPI_COMM_WORLD, options,
                                      {[&] { order.push_back(0); },
                                       [&] {
                                         order.push_back(1);
                                         const double until = MPI_Wtime() + 1e-3;
                                         while (MPI_Wtime() < until) {
                                         }
                                       },
                                       [&] { order.push_back(2); }});
  ASSERT_EQ(times.size(), 3u);
  for (const auto& body : times) EXPECT_EQ(body.size(), 4u);
  for (double t : times[1]) EXPECT_GE(t, 1e-3);  // times land in the right body's vector
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 1, 2, 0, 2, 0, 1, 0, 1, 2, 1, 2, 0}));  // 5 rounds, rotated
}

TEST(MaxOverRanks, ElementWise) {
  const int rank = world_rank();
  int ranks = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  const auto result = max_over_ranks({double(rank), double(-rank)}, MPI_COMM_WORLD);
  ASSERT_EQ(result.size(), 2u);
  EXPECT_EQ(result[0], ranks - 1);
  EXPECT_EQ(result[1], 0);
  EXPECT_TRUE(max_over_ranks({}, MPI_COMM_WORLD).empty());
}

}  // namespace
}  // namespace commtune::kernels

// Only rank 0 prints; every rank runs the same collective tests in the same order.
int main(int argc, char** argv) { return commtune::kernels::test::mpi_gtest_main(argc, argv); }
