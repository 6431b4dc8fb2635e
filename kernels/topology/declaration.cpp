// The declaration of the "topology" kernel (the benchmark is benchmark.cpp).
#include "commtune/kernels/declaration.hpp"

namespace commtune::kernels {
namespace {

std::vector<MetricSpec> topology_metrics() {
  return {
      {.name = "median_exchange_us", .unit = "us", .description = "median time of one halo exchange (max over ranks)"},
      {.name = "min_exchange_us", .unit = "us", .description = "fastest halo exchange (max over ranks)"},
      {.name = "halo_bytes", .unit = "bytes", .description = "bytes sent to each neighbour per exchange"},
      {.name = "bytes_per_rank_per_exchange", .unit = "bytes", .description = "bytes each rank sends per exchange"},
      {.name = "grid_dims_x", .unit = "ranks", .description = "grid extent used in the first dimension"},
      {.name = "grid_dims_y", .unit = "ranks", .description = "grid extent used in the second dimension"},
      {.name = "nodes", .unit = "count", .description = "nodes, real or simulated by ranks_per_node"},
      {.name = "reordered_ranks", .unit = "ranks", .description = "ranks MPI gave a new number"},
      {.name = "messages_per_exchange", .unit = "messages", .description = "messages one exchange sends, all ranks"},
      {.name = "inter_node_messages_per_exchange",
       .unit = "messages",
       .description = "messages one exchange sends between nodes, all ranks"},
      {.name = "inter_node_bytes_per_exchange",
       .unit = "bytes",
       .description = "bytes one exchange sends between nodes, all ranks"},
      {.name = "wrong_halo_blocks",
       .unit = "count",
       .description = "received halo blocks that differ from what the neighbour sent (0 when correct)"},
      {.name = "exchange_bandwidth_bytes_per_s",
       .unit = "bytes/s",
       .higher_is_better = true,
       .description = "bytes all ranks send per exchange over the median exchange time"},
  };
}

KernelDeclaration make_declaration() {
  std::vector<ParamSpec> specs = {
      {.name = "variant",
       .type = ParamType::Choice,
       .default_value = "naive",
       .description = "Exchange method; naive is the baseline",
       .choices = {"naive", "cartesian", "dist_graph", "neighborhood", "hierarchical"}},
      {.name = "dims_x",
       .type = ParamType::Integer,
       .default_value = "0",
       .unit = "ranks",
       .description = "Grid extent in the first dimension; 0 lets MPI_Dims_create choose",
       .min = 0,
       .max = 1 << 20},
      {.name = "dims_y",
       .type = ParamType::Integer,
       .default_value = "0",
       .unit = "ranks",
       .description = "Grid extent in the second dimension; 0 lets MPI_Dims_create choose",
       .min = 0,
       .max = 1 << 20},
      {.name = "halo_bytes",
       .type = ParamType::Bytes,
       .default_value = "1K",
       .unit = "bytes",
       .description = "Bytes sent to each of the four neighbours per exchange",
       .min = 0,
       .max = 64.0 * 1024 * 1024,
       .log_scale = true},
      {.name = "reorder",
       .type = ParamType::Boolean,
       .default_value = "true",
       .description = "Allow MPI to renumber ranks when creating the Cartesian or graph communicator"},
      {.name = "ranks_per_node",
       .type = ParamType::Integer,
       .default_value = "0",
       .unit = "ranks",
       .description = "0: nodes are the real shared-memory split; N: simulate nodes of N consecutive ranks",
       .min = 0,
       .max = 1 << 20},
  };
  return {
      .name = "topology",
      .technique =
          "Topology-aware communication: Cartesian/graph communicators, neighbourhood collectives, "
          "node-aware exchange",
      .description =
          "A periodic 2-D halo exchange (four neighbours, halo_bytes each) repeated per iteration. 'naive' posts "
          "Isend/Irecv to neighbours computed from world ranks; 'cartesian' uses MPI_Cart_create (reorder as set) and "
          "MPI_Cart_shift; 'dist_graph' declares the weighted neighbour graph with MPI_Dist_graph_create_adjacent and "
          "exchanges with MPI_Neighbor_alltoallv; 'neighborhood' uses MPI_Neighbor_alltoall on the Cartesian "
          "communicator; 'hierarchical' sends halos within a node directly and routes halos between nodes through one "
          "leader per node (gather, one bundle per node pair, scatter). Nodes are the MPI_COMM_TYPE_SHARED split, or "
          "groups of ranks_per_node consecutive ranks to simulate several nodes on one machine. The checksum covers "
          "every halo received at every grid position; the notes say whether MPI actually reordered ranks.",
      .baseline_variant = "naive",
      .params = ParamSpace(std::move(specs)),
      .metrics = topology_metrics()};
}

}  // namespace

const KernelDeclaration& topology_declaration() {
  static const KernelDeclaration declaration = make_declaration();
  return declaration;
}

}  // namespace commtune::kernels
