// Pure (MPI-free) geometry of a periodic 2-D halo exchange and of its node-aware hierarchical
// plan, so that the logic can be tested on synthetic node layouts without launching processes.
//
// Conventions shared by every exchange method:
//   - positions are numbered row-major, position = x * dims[1] + y, as MPI_Cart_create does;
//   - direction k: 0 = -x, 1 = +x, 2 = -y, 3 = +y (the order of MPI_Neighbor_alltoall on a
//     2-D Cartesian communicator);
//   - send block k goes to the neighbour in direction k; receive block k comes from the neighbour
//     in direction k (which sent its block opposite(k)).
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace commtune::kernels::topology {

inline constexpr int kDirections = 4;

constexpr int opposite(int direction) { return direction ^ 1; }

class Grid2D {
 public:
  // dims[0] * dims[1] positions on a torus (periodic in both dimensions). Throws
  // std::invalid_argument when a dimension is not positive.
  explicit Grid2D(std::array<int, 2> dims);

  const std::array<int, 2>& dims() const { return dims_; }
  int size() const { return dims_[0] * dims_[1]; }
  std::array<int, 2> coords(int position) const;
  int position(std::array<int, 2> coords) const;  // wraps coordinates around the torus
  int neighbour(int position, int direction) const;

 private:
  std::array<int, 2> dims_;
};

// Node id (the lowest rank on that node) of every rank, for `ranks` ranks grouped into simulated
// nodes of `ranks_per_node` consecutive ranks (the last node may be smaller).
std::vector<int> simulated_node_layout(int ranks, int ranks_per_node);

// Messages between different nodes when every rank sends its four halos directly, rank r holding
// position r. Counts every (rank, direction) edge whose destination lies on another node.
std::int64_t direct_inter_node_messages(const Grid2D& grid, const std::vector<int>& node_of_rank);

// What one rank does in a node-aware hierarchical exchange: halos between ranks of one node go
// directly; halos leaving the node are gathered by the node's leader (its lowest rank), sent as one
// bundle per destination node, and scattered by the receiving leader. Rank r holds position r;
// node ids are the lowest rank of each node.
struct HierarchicalPlan {
  struct Bundle {
    int peer_leader = -1;     // the other node's leader rank
    std::vector<int> blocks;  // outgoing: indices into the leader's gather buffer; incoming: into
                              // its scatter buffer. Both ends list the edges in (source rank,
                              // direction) order, so bundle i's block j is the same halo at both.
  };

  int rank = -1;
  int leader = -1;
  std::vector<int> members;                // ranks of this node, ascending (node-communicator order)
  std::vector<int> intra_directions;       // directions whose neighbour is on this node
  std::vector<int> inter_send_directions;  // directions whose neighbour is on another node
  std::vector<int> inter_recv_directions;  // same set; the order this rank's scatter blocks arrive in
  std::vector<int> gather_counts_blocks;   // per member: outgoing inter-node halos
  std::vector<int> gather_displs_blocks;
  std::vector<int> scatter_counts_blocks;  // per member: incoming inter-node halos
  std::vector<int> scatter_displs_blocks;
  std::vector<Bundle> outgoing;            // filled on the leader only
  std::vector<Bundle> incoming;            // filled on the leader only
  bool node_has_inter_node_edges = false;  // false: no gather/scatter at all (all on one node)

  bool is_leader() const { return rank == leader; }

  static HierarchicalPlan build(const Grid2D& grid, const std::vector<int>& node_of_rank, int rank);

  // Inter-node messages per exchange over all nodes: one per (source node, destination node) pair.
  static std::int64_t inter_node_messages(const Grid2D& grid, const std::vector<int>& node_of_rank);
};

}  // namespace commtune::kernels::topology
