// The "topology" kernel (declared in declaration.cpp): a periodic 2-D halo exchange timed with each HaloExchange
// method. The baseline ("naive") computes neighbours from world ranks; the others let MPI know the communication graph
// (and possibly renumber ranks) or route inter-node halos through node leaders.
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "commtune/kernels/builtin.hpp"
#include "commtune/kernels/measure.hpp"
#include "commtune/kernels/topology/halo_exchange.hpp"

namespace commtune::kernels {
namespace {

using topology::HaloExchange;
using topology::HaloExchangeConfig;
using topology::HaloMethod;
using topology::kDirections;

// Seed of the halo that grid position `position` sends in `direction`: receivers can predict it.
std::uint64_t halo_seed(int position, int direction) {
  return 0x70b0'0000ULL + static_cast<std::uint64_t>(position) * kDirections + static_cast<std::uint64_t>(direction);
}

std::string mpi_library_name() {
  char version[MPI_MAX_LIBRARY_VERSION_STRING] = {};
  int length = 0;
  MPI_Get_library_version(version, &length);
  std::string text(version, static_cast<std::size_t>(std::max(length, 0)));
  const auto end = text.find_first_of(",\n");
  return text.substr(0, end);
}

}  // namespace

KernelResult run_topology(const ParamSet& params, const RunOptions& options, MPI_Comm comm) {
  HaloExchangeConfig config;
  config.method = *topology::parse_halo_method(params.choice("variant"));
  config.dims = {static_cast<int>(params.integer("dims_x")), static_cast<int>(params.integer("dims_y"))};
  config.halo_bytes = static_cast<std::size_t>(params.integer("halo_bytes"));
  config.reorder = params.boolean("reorder");
  config.ranks_per_node = static_cast<int>(params.integer("ranks_per_node"));
  HaloExchange halo(comm, config);
  const std::size_t h = config.halo_bytes;

  std::vector<unsigned char> send(kDirections * h);
  std::vector<unsigned char> recv(kDirections * h, 0);
  for (int k = 0; k < kDirections; ++k) fill_pattern(send.data() + k * h, h, halo_seed(halo.position(), k));

  KernelResult result;
  result.iteration_times_s = time_iterations(comm, options, [&] { halo.exchange(send.data(), recv.data()); });

  // Every received block must be the pattern its grid neighbour sent in the opposite direction.
  int wrong_blocks = 0;
  std::vector<unsigned char> expected(h);
  for (int k = 0; k < kDirections; ++k) {
    const int from = halo.grid().neighbour(halo.position(), k);
    fill_pattern(expected.data(), h, halo_seed(from, topology::opposite(k)));
    if (h > 0 && std::memcmp(expected.data(), recv.data() + k * h, h) != 0) ++wrong_blocks;
  }
  int wrong_total = 0;
  MPI_Allreduce(&wrong_blocks, &wrong_total, 1, MPI_INT, MPI_SUM, comm);

  // Digest per grid position, combined in position order: the same whichever process holds it.
  Checksum digest;
  digest.add_u64(static_cast<std::uint64_t>(halo.position()));
  digest.add(recv.data(), recv.size());
  result.checksum = combine_checksums(digest.value(), halo.position_comm());

  int ranks = 1;
  MPI_Comm_size(comm, &ranks);
  const Summary summary = summarize(result.iteration_times_s);
  const auto& dims = halo.grid().dims();
  result.metrics = {
      {"median_exchange_us", summary.median * 1e6},
      {"min_exchange_us", summary.min * 1e6},
      {"halo_bytes", static_cast<double>(h)},
      {"bytes_per_rank_per_exchange", static_cast<double>(kDirections * h)},
      {"grid_dims_x", dims[0]},
      {"grid_dims_y", dims[1]},
      {"nodes", halo.nodes()},
      {"reordered_ranks", halo.reordered_ranks()},
      {"messages_per_exchange", static_cast<double>(halo.messages_per_exchange())},
      {"inter_node_messages_per_exchange", static_cast<double>(halo.inter_node_messages_per_exchange())},
      {"inter_node_bytes_per_exchange", static_cast<double>(halo.inter_node_bytes_per_exchange())},
      {"wrong_halo_blocks", wrong_total},
  };
  if (summary.median > 0) {
    result.metrics["exchange_bandwidth_bytes_per_s"] = double(ranks) * kDirections * double(h) / summary.median;
  }

  const bool creates_topology = config.method == HaloMethod::Cartesian || config.method == HaloMethod::DistGraph ||
                                config.method == HaloMethod::Neighborhood;
  if (!creates_topology) {
    result.notes["reordered"] = "not applicable: this method keeps world ranks";
  } else if (!config.reorder) {
    result.notes["reordered"] = "no (reorder=false)";
  } else if (halo.reordered_ranks() == 0) {
    result.notes["reordered"] = "no: the MPI library kept every rank although reorder=true";
  } else {
    result.notes["reordered"] = fmt::format("yes: {} of {} ranks got a new number", halo.reordered_ranks(), ranks);
  }
  result.notes["grid"] = fmt::format("{}x{} periodic", dims[0], dims[1]);
  result.notes["node_grouping"] = config.ranks_per_node > 0
                                      ? fmt::format("simulated: {} consecutive ranks per node", config.ranks_per_node)
                                      : std::string("MPI_COMM_TYPE_SHARED split (real nodes)");
  result.notes["mpi_library"] = mpi_library_name();
  if (wrong_total != 0) {
    result.notes["delivery"] = fmt::format("{} halo blocks differ from what the neighbour sent", wrong_total);
  } else {
    result.notes["delivery"] = "every halo block verified against its sender's pattern";
  }
  return result;
}

}  // namespace commtune::kernels
