#include "commtune/kernels/topology/grid.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>

namespace commtune::kernels::topology {

Grid2D::Grid2D(std::array<int, 2> dims) : dims_(dims) {
  if (dims[0] <= 0 || dims[1] <= 0) {
    throw std::invalid_argument(fmt::format("grid dimensions must be positive, got {}x{}", dims[0], dims[1]));
  }
}

std::array<int, 2> Grid2D::coords(int position) const { return {position / dims_[1], position % dims_[1]}; }

int Grid2D::position(std::array<int, 2> coords) const {
  const int x = ((coords[0] % dims_[0]) + dims_[0]) % dims_[0];
  const int y = ((coords[1] % dims_[1]) + dims_[1]) % dims_[1];
  return x * dims_[1] + y;
}

int Grid2D::neighbour(int position, int direction) const {
  auto c = coords(position);
  const int step = (direction & 1) ? 1 : -1;
  c[direction / 2] += step;
  return this->position(c);
}

std::vector<int> simulated_node_layout(int ranks, int ranks_per_node) {
  if (ranks_per_node <= 0) throw std::invalid_argument("ranks_per_node must be positive");
  std::vector<int> node_of_rank(static_cast<std::size_t>(ranks));
  for (int r = 0; r < ranks; ++r) node_of_rank[r] = r / ranks_per_node * ranks_per_node;
  return node_of_rank;
}

std::int64_t direct_inter_node_messages(const Grid2D& grid, const std::vector<int>& node_of_rank) {
  std::int64_t count = 0;
  for (int p = 0; p < grid.size(); ++p) {
    for (int d = 0; d < kDirections; ++d) count += node_of_rank[p] != node_of_rank[grid.neighbour(p, d)];
  }
  return count;
}

HierarchicalPlan HierarchicalPlan::build(const Grid2D& grid, const std::vector<int>& node_of_rank, int rank) {
  if (static_cast<int>(node_of_rank.size()) != grid.size()) {
    throw std::invalid_argument(
        fmt::format("node layout has {} ranks but the grid has {} positions", node_of_rank.size(), grid.size()));
  }
  HierarchicalPlan plan;
  plan.rank = rank;
  plan.leader = node_of_rank[rank];
  for (int r = 0; r < grid.size(); ++r) {
    if (node_of_rank[r] == plan.leader) plan.members.push_back(r);
  }
  if (plan.members.front() != plan.leader) {
    throw std::invalid_argument(fmt::format("node id {} of rank {} is not the node's lowest rank", plan.leader, rank));
  }
  auto is_inter = [&](int p, int d) { return node_of_rank[grid.neighbour(p, d)] != node_of_rank[p]; };
  for (int d = 0; d < kDirections; ++d) {
    (is_inter(rank, d) ? plan.inter_send_directions : plan.intra_directions).push_back(d);
  }
  plan.inter_recv_directions = plan.inter_send_directions;

  // Per member: where its outgoing halos sit in the gather buffer and its incoming ones in the
  // scatter buffer (both in member order, then direction order).
  std::map<std::pair<int, int>, int> gather_block_of;   // (member, direction) -> block
  std::map<std::pair<int, int>, int> scatter_block_of;  // (member, from-direction) -> block
  int gathered = 0;
  int scattered = 0;
  for (int member : plan.members) {
    plan.gather_displs_blocks.push_back(gathered);
    plan.scatter_displs_blocks.push_back(scattered);
    for (int d = 0; d < kDirections; ++d) {
      if (!is_inter(member, d)) continue;
      gather_block_of[{member, d}] = gathered++;
      scatter_block_of[{member, d}] = scattered++;  // inter-node in direction d both ways: torus symmetry
    }
    plan.gather_counts_blocks.push_back(gathered - plan.gather_displs_blocks.back());
    plan.scatter_counts_blocks.push_back(scattered - plan.scatter_displs_blocks.back());
  }
  plan.node_has_inter_node_edges = gathered > 0;
  if (!plan.is_leader()) return plan;

  // Outgoing: every edge (member, d) leaving the node, grouped by destination node, in (rank, d)
  // order. Incoming: every edge (p, d) from another node into a member q = neighbour(p, d); q files
  // it under from-direction opposite(d). Iterating p over all ranks ascending gives the same
  // (source rank, direction) order the sending leader uses.
  std::map<int, Bundle> outgoing;
  std::map<int, Bundle> incoming;
  for (int p = 0; p < grid.size(); ++p) {
    for (int d = 0; d < kDirections; ++d) {
      const int q = grid.neighbour(p, d);
      if (node_of_rank[p] == node_of_rank[q]) continue;
      if (node_of_rank[p] == plan.leader) {
        Bundle& bundle = outgoing[node_of_rank[q]];
        bundle.peer_leader = node_of_rank[q];
        bundle.blocks.push_back(gather_block_of.at({p, d}));
      } else if (node_of_rank[q] == plan.leader) {
        Bundle& bundle = incoming[node_of_rank[p]];
        bundle.peer_leader = node_of_rank[p];
        bundle.blocks.push_back(scatter_block_of.at({q, opposite(d)}));
      }
    }
  }
  for (auto& [node, bundle] : outgoing) plan.outgoing.push_back(std::move(bundle));
  for (auto& [node, bundle] : incoming) plan.incoming.push_back(std::move(bundle));
  return plan;
}

std::int64_t HierarchicalPlan::inter_node_messages(const Grid2D& grid, const std::vector<int>& node_of_rank) {
  std::set<std::pair<int, int>> node_pairs;
  for (int p = 0; p < grid.size(); ++p) {
    for (int d = 0; d < kDirections; ++d) {
      const int q = grid.neighbour(p, d);
      if (node_of_rank[p] != node_of_rank[q]) node_pairs.insert({node_of_rank[p], node_of_rank[q]});
    }
  }
  return static_cast<std::int64_t>(node_pairs.size());
}

}  // namespace commtune::kernels::topology
