// A periodic 2-D halo exchange (four neighbours) with five interchangeable methods, so a code can
// switch from neighbour arithmetic on world ranks to a topology-aware exchange by changing one
// enum. Collective over the communicator given to the constructor.
//
//   HaloExchange halo(MPI_COMM_WORLD, {.method = HaloMethod::Neighborhood, .halo_bytes = n});
//   // my sub-domain is grid position halo.position(); use halo.position_comm() for anything
//   // else that must follow the (possibly reordered) placement.
//   halo.exchange(send_blocks, recv_blocks);  // 4 blocks of n bytes each, direction order
#pragma once

#include <mpi.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "commtune/kernels/topology/grid.hpp"

namespace commtune::kernels::topology {

enum class HaloMethod {
  Naive,         // Isend/Irecv on the input communicator, neighbours by rank arithmetic
  Cartesian,     // MPI_Cart_create (optionally reordered) + MPI_Cart_shift, Isend/Irecv
  DistGraph,     // MPI_Dist_graph_create_adjacent (weighted, optionally reordered) + MPI_Neighbor_alltoallv
  Neighborhood,  // MPI_Cart_create (optionally reordered) + MPI_Neighbor_alltoall
  Hierarchical,  // node-aware: direct within a node, one bundle per node pair between node leaders
};

const char* to_string(HaloMethod method);
std::optional<HaloMethod> parse_halo_method(const std::string& name);  // "naive", "dist_graph", ...

struct HaloExchangeConfig {
  HaloMethod method = HaloMethod::Naive;
  std::array<int, 2> dims{0, 0};  // 0 entries are chosen by MPI_Dims_create
  std::size_t halo_bytes = 0;     // bytes per neighbour per exchange
  bool reorder = true;            // let MPI renumber ranks (Cartesian, DistGraph, Neighborhood)
  int ranks_per_node = 0;         // 0: real nodes (MPI_COMM_TYPE_SHARED); N: nodes of N consecutive ranks
};

class HaloExchange {
 public:
  // Collective. Throws std::invalid_argument when the dimensions do not fit the communicator size.
  HaloExchange(MPI_Comm comm, const HaloExchangeConfig& config);
  ~HaloExchange();
  HaloExchange(const HaloExchange&) = delete;
  HaloExchange& operator=(const HaloExchange&) = delete;

  // send: 4 * halo_bytes, block k for the neighbour in direction k (0 -x, 1 +x, 2 -y, 3 +y);
  // recv: 4 * halo_bytes, block k from the neighbour in direction k. Collective.
  void exchange(const void* send, void* recv);

  const Grid2D& grid() const { return grid_; }
  int position() const { return position_; }                 // this process's grid position
  MPI_Comm position_comm() const { return position_comm_; }  // rank == grid position
  const HaloExchangeConfig& config() const { return config_; }

  // Facts measured at construction (identical on every rank).
  int reordered_ranks() const { return reordered_ranks_; }  // processes whose position != input rank
  int nodes() const { return nodes_; }
  std::int64_t messages_per_exchange() const { return messages_; }  // all ranks together
  std::int64_t inter_node_messages_per_exchange() const { return inter_node_messages_; }
  std::int64_t inter_node_bytes_per_exchange() const { return inter_node_bytes_; }

 private:
  void exchange_point_to_point(const unsigned char* send, unsigned char* recv);
  void exchange_hierarchical(const unsigned char* send, unsigned char* recv);

  HaloExchangeConfig config_;
  Grid2D grid_{{1, 1}};
  MPI_Comm world_ = MPI_COMM_NULL;          // duplicate of the input communicator
  MPI_Comm position_comm_ = MPI_COMM_NULL;  // world_ or the topology communicator
  MPI_Comm node_comm_ = MPI_COMM_NULL;
  int position_ = 0;
  std::array<int, kDirections> neighbours_{};  // ranks in position_comm_
  int reordered_ranks_ = 0;
  int nodes_ = 1;
  std::int64_t messages_ = 0;
  std::int64_t inter_node_messages_ = 0;
  std::int64_t inter_node_bytes_ = 0;
  std::vector<MPI_Request> requests_;
  // Hierarchical method only.
  HierarchicalPlan plan_;
  std::vector<unsigned char> gather_send_, gather_recv_, scatter_send_, scatter_recv_;
  std::vector<std::vector<unsigned char>> bundles_out_, bundles_in_;
};

}  // namespace commtune::kernels::topology
