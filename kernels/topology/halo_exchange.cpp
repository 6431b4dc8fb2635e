#include "commtune/kernels/topology/halo_exchange.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <set>
#include <stdexcept>

namespace commtune::kernels::topology {
namespace {

// Tags on the duplicated communicator: 0..3 carry a halo sent in that direction (so the two
// messages between ranks that are both left and right neighbours of each other cannot be
// confused); bundles between node leaders use their own tag.
constexpr int kBundleTag = 16;

std::array<int, 2> resolve_dims(std::array<int, 2> dims, int ranks) {
  if (dims[0] < 0 || dims[1] < 0) throw std::invalid_argument("grid dimensions must not be negative");
  const int fixed = std::max(dims[0], 1) * std::max(dims[1], 1);
  const bool fits = (dims[0] > 0 && dims[1] > 0) ? fixed == ranks : ranks % fixed == 0;
  if (!fits) {
    throw std::invalid_argument(
        fmt::format("grid {}x{} does not fit {} ranks (0 lets MPI_Dims_create choose)", dims[0], dims[1], ranks));
  }
  MPI_Dims_create(ranks, 2, dims.data());
  return dims;
}

int checked_int(std::size_t bytes) {
  if (bytes > static_cast<std::size_t>(INT_MAX)) throw std::invalid_argument("halo larger than INT_MAX bytes");
  return static_cast<int>(bytes);
}

}  // namespace

const char* to_string(HaloMethod method) {
  switch (method) {
    case HaloMethod::Naive:
      return "naive";
    case HaloMethod::Cartesian:
      return "cartesian";
    case HaloMethod::DistGraph:
      return "dist_graph";
    case HaloMethod::Neighborhood:
      return "neighborhood";
    case HaloMethod::Hierarchical:
      return "hierarchical";
  }
  return "unknown";
}

std::optional<HaloMethod> parse_halo_method(const std::string& name) {
  for (HaloMethod m : {HaloMethod::Naive, HaloMethod::Cartesian, HaloMethod::DistGraph, HaloMethod::Neighborhood,
                       HaloMethod::Hierarchical}) {
    if (name == to_string(m)) return m;
  }
  return std::nullopt;
}

HaloExchange::HaloExchange(MPI_Comm comm, const HaloExchangeConfig& config) : config_(config) {
  int ranks = 0;
  int rank = 0;
  MPI_Comm_size(comm, &ranks);
  MPI_Comm_rank(comm, &rank);
  const int halo = checked_int(config.halo_bytes);
  grid_ = Grid2D(resolve_dims(config.dims, ranks));
  config_.dims = grid_.dims();
  MPI_Comm_dup(comm, &world_);

  // Node of every input rank, named by its lowest rank.
  std::vector<int> node_of_rank;
  if (config.ranks_per_node > 0) {
    node_of_rank = simulated_node_layout(ranks, config.ranks_per_node);
    MPI_Comm_split(world_, node_of_rank[rank], rank, &node_comm_);
  } else {
    MPI_Comm_split_type(world_, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &node_comm_);
    int leader = rank;
    MPI_Allreduce(&rank, &leader, 1, MPI_INT, MPI_MIN, node_comm_);
    node_of_rank.resize(static_cast<std::size_t>(ranks));
    MPI_Allgather(&leader, 1, MPI_INT, node_of_rank.data(), 1, MPI_INT, world_);
  }
  nodes_ = static_cast<int>(std::set<int>(node_of_rank.begin(), node_of_rank.end()).size());

  const std::array<int, 2> periods{1, 1};
  const int reorder = config.reorder ? 1 : 0;
  switch (config.method) {
    case HaloMethod::Naive:
    case HaloMethod::Hierarchical:
      position_comm_ = world_;
      position_ = rank;
      for (int k = 0; k < kDirections; ++k) neighbours_[k] = grid_.neighbour(rank, k);
      break;
    case HaloMethod::Cartesian:
    case HaloMethod::Neighborhood: {
      MPI_Cart_create(world_, 2, grid_.dims().data(), periods.data(), reorder, &position_comm_);
      MPI_Comm_rank(position_comm_, &position_);
      for (int dim = 0; dim < 2; ++dim) {
        MPI_Cart_shift(position_comm_, dim, 1, &neighbours_[2 * dim], &neighbours_[2 * dim + 1]);
      }
      break;
    }
    case HaloMethod::DistGraph: {
      // Destinations are listed in the opposite direction order to the sources: when one peer is
      // both the -x and +x neighbour (two ranks in a dimension), the k-th message it receives from
      // us in MPI_Neighbor_alltoallv is then the one it files under the k-th source entry.
      std::array<int, kDirections> sources{};
      std::array<int, kDirections> destinations{};
      std::array<int, kDirections> weights{};
      for (int k = 0; k < kDirections; ++k) {
        sources[k] = grid_.neighbour(rank, k);
        destinations[k] = grid_.neighbour(rank, opposite(k));
        weights[k] = std::max(halo, 1);  // bytes per exchange: what a topology mapper should minimise
      }
      MPI_Dist_graph_create_adjacent(world_, kDirections, sources.data(), weights.data(), kDirections,
                                     destinations.data(), weights.data(), MPI_INFO_NULL, reorder, &position_comm_);
      MPI_Comm_rank(position_comm_, &position_);
      std::array<int, kDirections> got_sources{};
      std::array<int, kDirections> got_destinations{};
      std::array<int, kDirections> got_weights_in{};
      std::array<int, kDirections> got_weights_out{};
      MPI_Dist_graph_neighbors(position_comm_, kDirections, got_sources.data(), got_weights_in.data(), kDirections,
                               got_destinations.data(), got_weights_out.data());
      for (int k = 0; k < kDirections; ++k) {
        neighbours_[k] = got_sources[k];
        if (got_sources[k] != grid_.neighbour(position_, k) ||
            got_destinations[k] != grid_.neighbour(position_, opposite(k))) {
          throw std::runtime_error(fmt::format(
              "MPI_Dist_graph_neighbors on rank {} does not describe grid position {}: the MPI library's reordering "
              "does not keep the adjacency order this exchange relies on",
              position_, position_));
        }
      }
      break;
    }
  }
  if (config.method == HaloMethod::Cartesian || config.method == HaloMethod::Neighborhood) {
    for (int k = 0; k < kDirections; ++k) {
      if (neighbours_[k] != grid_.neighbour(position_, k)) {
        throw std::logic_error("MPI_Cart_shift disagrees with row-major grid positions");
      }
    }
  }
  const int moved = position_ != rank ? 1 : 0;
  MPI_Allreduce(&moved, &reordered_ranks_, 1, MPI_INT, MPI_SUM, world_);

  // Node of every grid position under this method's placement, for the message counts.
  std::vector<int> node_of_position(static_cast<std::size_t>(ranks));
  MPI_Allgather(&node_of_rank[rank], 1, MPI_INT, node_of_position.data(), 1, MPI_INT, position_comm_);
  const std::int64_t direct_inter = direct_inter_node_messages(grid_, node_of_position);
  inter_node_bytes_ = direct_inter * static_cast<std::int64_t>(config.halo_bytes);
  if (config.method != HaloMethod::Hierarchical) {
    messages_ = std::int64_t{kDirections} * ranks;
    inter_node_messages_ = direct_inter;
    requests_.resize(2 * kDirections);
    return;
  }

  plan_ = HierarchicalPlan::build(grid_, node_of_rank, rank);
  inter_node_messages_ = HierarchicalPlan::inter_node_messages(grid_, node_of_rank);
  std::int64_t local_messages = static_cast<std::int64_t>(plan_.intra_directions.size());
  if (plan_.is_leader()) local_messages += static_cast<std::int64_t>(plan_.outgoing.size());
  if (!plan_.is_leader() && !plan_.inter_send_directions.empty()) local_messages += 2;  // gather + scatter
  MPI_Allreduce(&local_messages, &messages_, 1, MPI_INT64_T, MPI_SUM, world_);

  const std::size_t h = config.halo_bytes;
  gather_send_.resize(plan_.inter_send_directions.size() * h);
  scatter_recv_.resize(plan_.inter_recv_directions.size() * h);
  if (plan_.is_leader()) {
    gather_recv_.resize(
        static_cast<std::size_t>(plan_.gather_displs_blocks.back() + plan_.gather_counts_blocks.back()) * h);
    scatter_send_.resize(
        static_cast<std::size_t>(plan_.scatter_displs_blocks.back() + plan_.scatter_counts_blocks.back()) * h);
    for (const auto& bundle : plan_.outgoing) bundles_out_.emplace_back(bundle.blocks.size() * h);
    for (const auto& bundle : plan_.incoming) bundles_in_.emplace_back(bundle.blocks.size() * h);
  }
  // Gatherv/Scatterv take int byte counts; convert the block plan once.
  for (auto* blocks : {&plan_.gather_counts_blocks, &plan_.gather_displs_blocks, &plan_.scatter_counts_blocks,
                       &plan_.scatter_displs_blocks}) {
    for (int& b : *blocks) b = checked_int(static_cast<std::size_t>(b) * h);
  }
  requests_.resize(2 * kDirections + plan_.outgoing.size() + plan_.incoming.size());
}

HaloExchange::~HaloExchange() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (finalized) return;
  if (position_comm_ != MPI_COMM_NULL && position_comm_ != world_) MPI_Comm_free(&position_comm_);
  if (node_comm_ != MPI_COMM_NULL) MPI_Comm_free(&node_comm_);
  if (world_ != MPI_COMM_NULL) MPI_Comm_free(&world_);
}

void HaloExchange::exchange(const void* send, void* recv) {
  const auto* send_bytes = static_cast<const unsigned char*>(send);
  auto* recv_bytes = static_cast<unsigned char*>(recv);
  const int h = static_cast<int>(config_.halo_bytes);
  switch (config_.method) {
    case HaloMethod::Naive:
    case HaloMethod::Cartesian:
      exchange_point_to_point(send_bytes, recv_bytes);
      break;
    case HaloMethod::Neighborhood:
      MPI_Neighbor_alltoall(send_bytes, h, MPI_BYTE, recv_bytes, h, MPI_BYTE, position_comm_);
      break;
    case HaloMethod::DistGraph: {
      const std::array<int, kDirections> counts{h, h, h, h};
      std::array<int, kDirections> send_displs{};
      std::array<int, kDirections> recv_displs{};
      for (int k = 0; k < kDirections; ++k) {
        send_displs[k] = opposite(k) * h;  // destination k is the neighbour in direction opposite(k)
        recv_displs[k] = k * h;
      }
      MPI_Neighbor_alltoallv(send_bytes, counts.data(), send_displs.data(), MPI_BYTE, recv_bytes, counts.data(),
                             recv_displs.data(), MPI_BYTE, position_comm_);
      break;
    }
    case HaloMethod::Hierarchical:
      exchange_hierarchical(send_bytes, recv_bytes);
      break;
  }
}

void HaloExchange::exchange_point_to_point(const unsigned char* send, unsigned char* recv) {
  const int h = static_cast<int>(config_.halo_bytes);
  for (int k = 0; k < kDirections; ++k) {
    MPI_Irecv(recv + k * h, h, MPI_BYTE, neighbours_[k], opposite(k), position_comm_, &requests_[k]);
  }
  for (int k = 0; k < kDirections; ++k) {
    MPI_Isend(send + k * h, h, MPI_BYTE, neighbours_[k], k, position_comm_, &requests_[kDirections + k]);
  }
  MPI_Waitall(2 * kDirections, requests_.data(), MPI_STATUSES_IGNORE);
}

void HaloExchange::exchange_hierarchical(const unsigned char* send, unsigned char* recv) {
  const std::size_t h = config_.halo_bytes;
  const int hi = static_cast<int>(h);
  int direct = 0;
  for (int k : plan_.intra_directions) {
    MPI_Irecv(recv + k * h, hi, MPI_BYTE, neighbours_[k], opposite(k), world_, &requests_[direct++]);
  }
  for (int k : plan_.intra_directions) {
    MPI_Isend(send + k * h, hi, MPI_BYTE, neighbours_[k], k, world_, &requests_[direct++]);
  }
  if (plan_.node_has_inter_node_edges) {
    for (std::size_t j = 0; j < plan_.inter_send_directions.size(); ++j) {
      std::memcpy(gather_send_.data() + j * h, send + plan_.inter_send_directions[j] * h, h);
    }
    const bool leader = plan_.is_leader();
    MPI_Gatherv(gather_send_.data(), static_cast<int>(gather_send_.size()), MPI_BYTE, gather_recv_.data(),
                plan_.gather_counts_blocks.data(), plan_.gather_displs_blocks.data(), MPI_BYTE, 0, node_comm_);
    if (leader) {
      MPI_Request* bundle_requests = requests_.data() + direct;
      int pending = 0;
      for (std::size_t i = 0; i < plan_.incoming.size(); ++i) {
        MPI_Irecv(bundles_in_[i].data(), static_cast<int>(bundles_in_[i].size()), MPI_BYTE,
                  plan_.incoming[i].peer_leader, kBundleTag, world_, &bundle_requests[pending++]);
      }
      for (std::size_t i = 0; i < plan_.outgoing.size(); ++i) {
        unsigned char* out = bundles_out_[i].data();
        for (int block : plan_.outgoing[i].blocks) {
          std::memcpy(out, gather_recv_.data() + static_cast<std::size_t>(block) * h, h);
          out += h;
        }
        MPI_Isend(bundles_out_[i].data(), static_cast<int>(bundles_out_[i].size()), MPI_BYTE,
                  plan_.outgoing[i].peer_leader, kBundleTag, world_, &bundle_requests[pending++]);
      }
      MPI_Waitall(pending, bundle_requests, MPI_STATUSES_IGNORE);
      for (std::size_t i = 0; i < plan_.incoming.size(); ++i) {
        const unsigned char* in = bundles_in_[i].data();
        for (int block : plan_.incoming[i].blocks) {
          std::memcpy(scatter_send_.data() + static_cast<std::size_t>(block) * h, in, h);
          in += h;
        }
      }
    }
    MPI_Scatterv(scatter_send_.data(), plan_.scatter_counts_blocks.data(), plan_.scatter_displs_blocks.data(), MPI_BYTE,
                 scatter_recv_.data(), static_cast<int>(scatter_recv_.size()), MPI_BYTE, 0, node_comm_);
    for (std::size_t j = 0; j < plan_.inter_recv_directions.size(); ++j) {
      std::memcpy(recv + plan_.inter_recv_directions[j] * h, scatter_recv_.data() + j * h, h);
    }
  }
  MPI_Waitall(direct, requests_.data(), MPI_STATUSES_IGNORE);
}

}  // namespace commtune::kernels::topology
