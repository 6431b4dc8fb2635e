// The MPI-free geometry and hierarchical plan, checked on synthetic node layouts.
#include "commtune/kernels/topology/grid.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <tuple>

namespace commtune::kernels::topology {
namespace {

TEST(Grid2D, NeighboursWrapAroundTheTorus) {
  const Grid2D grid({3, 4});
  EXPECT_EQ(grid.size(), 12);
  EXPECT_EQ(grid.coords(7), (std::array<int, 2>{1, 3}));
  EXPECT_EQ(grid.neighbour(0, 0), 8);   // -x wraps to the last row
  EXPECT_EQ(grid.neighbour(0, 1), 4);   // +x
  EXPECT_EQ(grid.neighbour(0, 2), 3);   // -y wraps to the last column
  EXPECT_EQ(grid.neighbour(0, 3), 1);   // +y
  EXPECT_EQ(grid.neighbour(11, 1), 3);  // +x wraps to the first row
  for (int p = 0; p < grid.size(); ++p) {
    for (int d = 0; d < kDirections; ++d) EXPECT_EQ(grid.neighbour(grid.neighbour(p, d), opposite(d)), p);
  }
}

TEST(Grid2D, TwoRanksInADimensionAreBothNeighbours) {
  const Grid2D grid({2, 1});
  EXPECT_EQ(grid.neighbour(0, 0), 1);
  EXPECT_EQ(grid.neighbour(0, 1), 1);
  EXPECT_EQ(grid.neighbour(0, 2), 0);  // a dimension of one is its own neighbour
  EXPECT_EQ(grid.neighbour(0, 3), 0);
}

TEST(Grid2D, RejectsEmptyDimensions) { EXPECT_THROW(Grid2D({0, 4}), std::invalid_argument); }

TEST(SimulatedNodes, GroupsConsecutiveRanksNamedByTheirLowestRank) {
  EXPECT_EQ(simulated_node_layout(5, 2), (std::vector<int>{0, 0, 2, 2, 4}));
  EXPECT_THROW(simulated_node_layout(4, 0), std::invalid_argument);
}

// Every halo leaving a node must travel in exactly one outgoing bundle of the sending leader and
// land in the matching slot of the receiving leader's scatter buffer, i.e. at the right rank and
// direction. Replays the plan's routing on block labels.
void expect_plan_routes_every_halo(const Grid2D& grid, const std::vector<int>& node_of_rank) {
  std::vector<HierarchicalPlan> plans;
  for (int r = 0; r < grid.size(); ++r) plans.push_back(HierarchicalPlan::build(grid, node_of_rank, r));
  // A halo is labelled (sender, send direction). arrived[(receiver, from-direction)] = label.
  std::map<std::pair<int, int>, std::pair<int, int>> arrived;
  for (int r = 0; r < grid.size(); ++r) {
    const HierarchicalPlan& plan = plans[r];
    for (int d : plan.intra_directions) arrived[{grid.neighbour(r, d), opposite(d)}] = {r, d};
    if (!plan.is_leader()) continue;
    // Gather buffer of this leader: member order, then that member's inter-node directions.
    std::vector<std::pair<int, int>> gathered;
    for (int member : plan.members) {
      for (int d : plans[member].inter_send_directions) gathered.push_back({member, d});
    }
    for (const auto& bundle : plan.outgoing) {
      const HierarchicalPlan& peer = plans[bundle.peer_leader];
      const auto incoming = std::find_if(peer.incoming.begin(), peer.incoming.end(),
                                         [&](const auto& b) { return b.peer_leader == plan.leader; });
      ASSERT_NE(incoming, peer.incoming.end());
      ASSERT_EQ(incoming->blocks.size(), bundle.blocks.size());
      for (std::size_t j = 0; j < bundle.blocks.size(); ++j) {
        // Find which member and direction the receiving leader's scatter block belongs to.
        const int slot = incoming->blocks[j];
        for (std::size_t m = 0; m < peer.members.size(); ++m) {
          const int first = peer.scatter_displs_blocks[m];
          if (slot >= first && slot < first + peer.scatter_counts_blocks[m]) {
            const int receiver = peer.members[m];
            const int from_direction = plans[receiver].inter_recv_directions[slot - first];
            EXPECT_FALSE(arrived.count({receiver, from_direction})) << "two halos in one slot";
            arrived[{receiver, from_direction}] = gathered.at(bundle.blocks[j]);
          }
        }
      }
    }
  }
  ASSERT_EQ(arrived.size(), static_cast<std::size_t>(grid.size() * kDirections));
  for (const auto& [slot, label] : arrived) {
    const auto [receiver, from_direction] = slot;
    EXPECT_EQ(label.first, grid.neighbour(receiver, from_direction));
    EXPECT_EQ(label.second, opposite(from_direction));
  }
}

TEST(HierarchicalPlan, RoutesEveryHaloOnSyntheticNodes) {
  expect_plan_routes_every_halo(Grid2D({4, 4}), simulated_node_layout(16, 4));
  expect_plan_routes_every_halo(Grid2D({4, 4}), simulated_node_layout(16, 3));  // uneven last node
  expect_plan_routes_every_halo(Grid2D({2, 1}), simulated_node_layout(2, 1));   // peer is both -x and +x
  expect_plan_routes_every_halo(Grid2D({2, 2}), simulated_node_layout(4, 1));
  expect_plan_routes_every_halo(Grid2D({3, 5}), simulated_node_layout(15, 15));  // one node
  expect_plan_routes_every_halo(
      Grid2D({6, 4}), std::vector<int>{0, 0, 0, 0, 4, 4, 4, 4, 8, 8, 8, 8, 8, 8, 8, 8, 16, 16, 16, 16, 16, 16, 16, 16});
}

TEST(HierarchicalPlan, OneNodeNeedsNoLeaderTraffic) {
  const Grid2D grid({2, 2});
  const auto plan = HierarchicalPlan::build(grid, simulated_node_layout(4, 4), 3);
  EXPECT_FALSE(plan.node_has_inter_node_edges);
  EXPECT_EQ(plan.intra_directions.size(), 4u);
  EXPECT_EQ(HierarchicalPlan::inter_node_messages(grid, simulated_node_layout(4, 4)), 0);
}

TEST(HierarchicalPlan, BundlesCutInterNodeMessages) {
  // 8x8 grid, nodes of 8 consecutive ranks = one grid row each: 16 halos cross between a row and
  // each of its two neighbouring rows, per direction; leaders send one bundle per neighbour node.
  const Grid2D grid({8, 8});
  const auto nodes = simulated_node_layout(64, 8);
  EXPECT_EQ(direct_inter_node_messages(grid, nodes), 8 * 8 * 2);
  EXPECT_EQ(HierarchicalPlan::inter_node_messages(grid, nodes), 8 * 2);
  const auto leader = HierarchicalPlan::build(grid, nodes, 8);
  ASSERT_TRUE(leader.is_leader());
  ASSERT_EQ(leader.outgoing.size(), 2u);
  EXPECT_EQ(leader.outgoing[0].blocks.size(), 8u);
  const auto member = HierarchicalPlan::build(grid, nodes, 9);
  EXPECT_FALSE(member.is_leader());
  EXPECT_TRUE(member.outgoing.empty());
  EXPECT_EQ(member.inter_send_directions, (std::vector<int>{0, 1}));
  EXPECT_EQ(member.intra_directions, (std::vector<int>{2, 3}));
}

TEST(HierarchicalPlan, RejectsLayoutsThatDoNotMatchTheGrid) {
  EXPECT_THROW(HierarchicalPlan::build(Grid2D({2, 2}), simulated_node_layout(3, 1), 0), std::invalid_argument);
  EXPECT_THROW(HierarchicalPlan::build(Grid2D({2, 1}), std::vector<int>{1, 1}, 0), std::invalid_argument);
}

}  // namespace
}  // namespace commtune::kernels::topology
