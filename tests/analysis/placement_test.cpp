// The rank partitioner and the launcher files (analysis/include/commtune/analysis/placement.hpp):
// graphs with a known best cut, a brute-force check on small random graphs, and the exact text of
// a rankfile and a Hydra machine file.
#include "commtune/analysis/placement.hpp"

#include <gtest/gtest.h>

#include <random>

namespace commtune::analysis {
namespace {

void add_pair(profile::CommMatrix& matrix, int a, int b, std::uint64_t bytes, std::uint64_t messages) {
  matrix.pairs.push_back({.sender = a, .receiver = b, .messages = messages, .bytes = bytes});
  matrix.pairs.push_back({.sender = b, .receiver = a, .messages = messages, .bytes = bytes});
}

// 4 ranks: heavy pairs 0-2 and 1-3 (1 MB each way), light pairs 0-1 and 2-3 (1 KB each way).
profile::CommMatrix heavy_diagonal() {
  profile::CommMatrix matrix;
  matrix.ranks = 4;
  add_pair(matrix, 0, 2, 1000000, 100);
  add_pair(matrix, 1, 3, 1000000, 100);
  add_pair(matrix, 0, 1, 1000, 1);
  add_pair(matrix, 2, 3, 1000, 1);
  return matrix;
}

TEST(Placement, CutCountsOnlyPairsOnDifferentNodes) {
  const auto matrix = heavy_diagonal();
  const Cut block = inter_node_cut(matrix, block_mapping(4, 2));
  EXPECT_EQ(block.bytes, 4000000u);
  EXPECT_EQ(block.messages, 400u);
  const Cut all_on_one = inter_node_cut(matrix, {0, 0, 0, 0});
  EXPECT_EQ(all_on_one.bytes, 0u);
}

TEST(Placement, HeavyPairsMoveOntoOneNodeAndTheCutDropsToTheLightEdges) {
  const auto matrix = heavy_diagonal();
  const Mapping best = partition_ranks(matrix, 2, 2, block_mapping(4, 2));
  ASSERT_EQ(best.size(), 4u);
  EXPECT_EQ(best[0], best[2]);
  EXPECT_EQ(best[1], best[3]);
  EXPECT_NE(best[0], best[1]);
  const Cut cut = inter_node_cut(matrix, best);
  EXPECT_EQ(cut.bytes, 4000u);
  EXPECT_EQ(cut.messages, 4u);
}

TEST(Placement, TwoClustersOfFourAreFoundFromARoundRobinStart) {
  // Clusters {0,3,5,6} and {1,2,4,7}: 1 MB inside, a light ring 0-1-...-7-0 of 10 bytes.
  profile::CommMatrix matrix;
  matrix.ranks = 8;
  const std::vector<std::vector<int>> clusters{{0, 3, 5, 6}, {1, 2, 4, 7}};
  for (const auto& cluster : clusters)
    for (std::size_t i = 0; i < cluster.size(); ++i)
      for (std::size_t j = i + 1; j < cluster.size(); ++j) add_pair(matrix, cluster[i], cluster[j], 1000000, 10);
  for (int r = 0; r < 8; ++r) add_pair(matrix, r, (r + 1) % 8, 10, 1);
  const Mapping best = partition_ranks(matrix, 2, 4, round_robin_mapping(8, 2));
  for (const auto& cluster : clusters)
    for (int rank : cluster) EXPECT_EQ(best[std::size_t(rank)], best[std::size_t(cluster.front())]) << rank;
  EXPECT_NE(best[0], best[1]);
  EXPECT_LT(inter_node_cut(matrix, best).bytes, 200u);  // ring edges only
}

// The smallest cut over every mapping of `ranks` ranks onto 2 nodes of ranks/2.
std::uint64_t brute_force_bisection(const profile::CommMatrix& matrix, int ranks) {
  std::uint64_t best = UINT64_MAX;
  for (unsigned mask = 0; mask < (1u << ranks); ++mask) {
    if (__builtin_popcount(mask) != ranks / 2) continue;
    Mapping mapping(static_cast<std::size_t>(ranks), 0);
    for (int r = 0; r < ranks; ++r) mapping[std::size_t(r)] = (mask >> r) & 1;
    best = std::min(best, inter_node_cut(matrix, mapping).bytes);
  }
  return best;
}

TEST(Placement, MatchesTheBruteForceOptimumOnSmallRandomGraphs) {
  std::mt19937 random(42);
  std::uniform_int_distribution<int> weight(0, 1000);
  int optimal = 0;
  for (int trial = 0; trial < 30; ++trial) {
    profile::CommMatrix matrix;
    matrix.ranks = 8;
    for (int a = 0; a < 8; ++a)
      for (int b = a + 1; b < 8; ++b)
        if (random() % 3 == 0) add_pair(matrix, a, b, std::uint64_t(weight(random)), 1);
    const Mapping start = block_mapping(8, 4);
    const Mapping best = partition_ranks(matrix, 2, 4, start);
    const std::uint64_t cut = inter_node_cut(matrix, best).bytes;
    EXPECT_LE(cut, inter_node_cut(matrix, start).bytes);
    const std::uint64_t optimum = brute_force_bisection(matrix, 8);
    EXPECT_LE(cut, optimum + optimum / 10) << "trial " << trial;  // a heuristic: within 10 %
    optimal += cut == optimum;
  }
  EXPECT_GE(optimal, 27);  // and exact on nearly every graph
}

TEST(Placement, RespectsTheCapacityOfEachNode) {
  profile::CommMatrix matrix;
  matrix.ranks = 6;
  for (int a = 0; a < 6; ++a)
    for (int b = a + 1; b < 6; ++b) add_pair(matrix, a, b, 1000, 1);  // everyone wants everyone
  const Mapping best = partition_ranks(matrix, 3, 2, block_mapping(6, 2));
  std::vector<int> load(3, 0);
  for (int node : best) ++load[std::size_t(node)];
  EXPECT_EQ(load, (std::vector<int>{2, 2, 2}));
  EXPECT_THROW(partition_ranks(matrix, 2, 2, block_mapping(6, 2)), std::invalid_argument);
}

TEST(Placement, RankfileAndMachinefileText) {
  const Mapping mapping{0, 1, 0, 1};
  EXPECT_EQ(rankfile_text(mapping, {"node0", "node1"}),
            "# commtune.ompi_rankfile/1: Open MPI rankfile written by commtune analyze: mpirun --rankfile THIS_FILE "
            "-np 4 ...\n"
            "rank 0=node0 slot=0\n"
            "rank 1=node1 slot=0\n"
            "rank 2=node0 slot=1\n"
            "rank 3=node1 slot=1\n");
  EXPECT_EQ(hydra_machinefile_text(mapping, {"a", "b"}),
            "# commtune.hydra_machinefile/1: MPICH Hydra machine file written by commtune analyze: mpirun.mpich -f "
            "THIS_FILE -np 4 ... (one line "
            "per rank, in rank order)\n"
            "a:1\nb:1\na:1\nb:1\n");
}

}  // namespace
}  // namespace commtune::analysis
