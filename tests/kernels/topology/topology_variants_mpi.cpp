// Runs every variant of the "topology" kernel under mpirun for several configurations and checks
// that each one delivers exactly the baseline's halos (same checksum, every block verified), plus
// the HaloExchange component's own promises (reorder report, rejected grids).
#include <mpi.h>

#include <cstdio>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>

#include "commtune/kernels/kernel.hpp"
#include "commtune/kernels/topology/halo_exchange.hpp"
#include "support/mpi_check.hpp"

using namespace commtune::kernels;
using test::check;
using test::rank;
using test::ranks;

namespace {

// The topology checks of one variant's result, on top of run_all_variants' own.
void check_topology(const KernelResult& result, const std::string& label, const std::string& variant) {
  check(result.metrics.at("wrong_halo_blocks") == 0, label + variant + ": " + result.notes.at("delivery"));
  check(result.checksum.size() == 16, label + variant + ": checksum is 16 hex digits");
  check(!result.notes.at("reordered").empty(), label + variant + ": reorder note present");
  if (rank == 0) {
    std::printf("%-45s %-13s checksum %s  median %.1f us  reordered: %s\n", label.c_str(), variant.c_str(),
                result.checksum.c_str(), result.metrics.at("median_exchange_us"),
                result.notes.at("reordered").c_str());
  }
}

void run_all_variants(Kernel& kernel, std::map<std::string, std::string> overrides) {
  test::run_all_variants(kernel, std::move(overrides), check_topology);
}

}  // namespace

int main(int argc, char** argv) {
  test::init(argc, argv);
  Kernel* kernel = &test::registered_kernel("topology");
  const std::string rpn_half = std::to_string(ranks >= 2 ? ranks / 2 : 1);
  run_all_variants(*kernel, {});
  run_all_variants(*kernel, {{"halo_bytes", "0"}});
  run_all_variants(*kernel, {{"halo_bytes", "3000"}, {"reorder", "false"}, {"ranks_per_node", "1"}});
  run_all_variants(*kernel, {{"halo_bytes", "64K"}, {"ranks_per_node", rpn_half}});
  run_all_variants(*kernel, {{"dims_x", "1"}, {"halo_bytes", "100"}, {"ranks_per_node", rpn_half}});
  run_all_variants(*kernel, {{"dims_x", std::to_string(ranks)}, {"dims_y", "1"}, {"ranks_per_node", "3"}});

  // Node-aware accounting: with one rank per simulated node every halo between distinct ranks
  // crosses nodes; with all ranks on one node none does.
  {
    topology::HaloExchange one_per_node(
        MPI_COMM_WORLD, {.method = topology::HaloMethod::Hierarchical, .halo_bytes = 8, .ranks_per_node = 1});
    check(one_per_node.nodes() == ranks, "ranks_per_node=1 makes one node per rank");
    topology::HaloExchange one_node(
        MPI_COMM_WORLD, {.method = topology::HaloMethod::Hierarchical, .halo_bytes = 8, .ranks_per_node = ranks});
    check(one_node.nodes() == 1 && one_node.inter_node_messages_per_exchange() == 0,
          "ranks_per_node=ranks makes one node without inter-node messages");
    topology::HaloExchange real(MPI_COMM_WORLD, {.method = topology::HaloMethod::Naive, .halo_bytes = 8});
    check(real.nodes() == 1, "all ranks of this test share one machine (MPI_COMM_TYPE_SHARED)");
  }
  // A grid that does not fit the ranks is rejected identically on every rank.
  bool rejected = false;
  try {
    topology::HaloExchange bad(MPI_COMM_WORLD, {.dims = {ranks + 1, 1}, .halo_bytes = 8});
  } catch (const std::invalid_argument&) {
    rejected = true;
  }
  check(rejected, "a grid that does not fit the ranks is rejected");

  return test::finish();
}
