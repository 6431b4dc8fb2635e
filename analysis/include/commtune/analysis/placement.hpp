// Rank placement for topology-aware advice: the inter-node cut of a mapping of ranks to nodes, a
// better mapping found by graph partitioning (greedy growth, then Kernighan-Lin swaps), and the
// launcher files that apply it (an Open MPI rankfile, an MPICH Hydra machine file).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "profile/model.hpp"

namespace commtune::analysis {

// node_of_rank[r]: the node (0-based) rank r runs on.
using Mapping = std::vector<int>;

// What a mapping sends between nodes (both directions counted, as the senders counted them).
struct Cut {
  std::uint64_t bytes = 0;
  std::uint64_t messages = 0;
};
Cut inter_node_cut(const profile::CommMatrix& matrix, const Mapping& node_of_rank);

// The launcher's default: ranks fill a node's `ranks_per_node` slots before the next (Open MPI's
// --map-by slot, Hydra's default).
Mapping block_mapping(int ranks, int ranks_per_node);
// Rank r on node r % nodes (Open MPI --map-by node).
Mapping round_robin_mapping(int ranks, int nodes);

// A mapping of the matrix's ranks onto `nodes` nodes of at most `capacity` ranks each that keeps
// heavy pairs (by bytes) on one node: greedy growth of one node at a time from its heaviest
// unplaced rank, then Kernighan-Lin passes of pair swaps between nodes (each pass keeps its best
// prefix) until a pass gains nothing; nodes numbered in the order of their lowest rank. Never returns a mapping with a
// larger cut than `start`, which it also tries to improve. Throws std::invalid_argument when the ranks do not fit.
Mapping partition_ranks(const profile::CommMatrix& matrix, int nodes, int capacity, const Mapping& start);

// Open MPI rankfile lines, `rank N=HOST slot=S` (S numbers the ranks of one host from 0), with a
// comment header. hosts[n] names node n.
std::string rankfile_text(const Mapping& node_of_rank, const std::vector<std::string>& hosts);
// MPICH Hydra machine file (`mpirun.mpich -f FILE`): one `HOST:1` line per rank in rank order,
// which Hydra fills in order.
std::string hydra_machinefile_text(const Mapping& node_of_rank, const std::vector<std::string>& hosts);

}  // namespace commtune::analysis
