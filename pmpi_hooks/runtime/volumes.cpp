#include "runtime/volumes.hpp"

namespace commtune::pmpi {

int group_size(MPI_Comm comm) noexcept {
  int inter = 0, size = 0;
  PMPI_Comm_test_inter(comm, &inter);
  if (inter) {
    PMPI_Comm_remote_size(comm, &size);
  } else {
    PMPI_Comm_size(comm, &size);
  }
  return size;
}

RootedRole rooted_role(int root, MPI_Comm comm) noexcept {
  int inter = 0;
  PMPI_Comm_test_inter(comm, &inter);
  if (inter) {
    if (root == MPI_ROOT) return RootedRole::Root;
    return root == MPI_PROC_NULL ? RootedRole::None : RootedRole::NonRoot;
  }
  int rank = 0;
  PMPI_Comm_rank(comm, &rank);
  return rank == root ? RootedRole::Root : RootedRole::NonRoot;
}

NeighborCounts neighbor_counts(MPI_Comm comm) noexcept {
  NeighborCounts counts;
  int topology = MPI_UNDEFINED;
  PMPI_Topo_test(comm, &topology);
  if (topology == MPI_CART) {
    int dims = 0;
    PMPI_Cartdim_get(comm, &dims);
    counts.in = counts.out = 2 * dims;
  } else if (topology == MPI_GRAPH) {
    int rank = 0;
    PMPI_Comm_rank(comm, &rank);
    PMPI_Graph_neighbors_count(comm, rank, &counts.in);
    counts.out = counts.in;
  } else if (topology == MPI_DIST_GRAPH) {
    int weighted = 0;
    PMPI_Dist_graph_neighbors_count(comm, &counts.in, &counts.out, &weighted);
  }
  return counts;
}

std::int64_t received_bytes(const MPI_Status* status) noexcept {
  if (!status || status == MPI_STATUS_IGNORE || status->MPI_SOURCE == MPI_PROC_NULL) return 0;
  MPI_Count bytes = 0;
  PMPI_Get_elements_x(status, MPI_BYTE, &bytes);
  return bytes == MPI_UNDEFINED ? 0 : std::int64_t(bytes);
}

}  // namespace commtune::pmpi
