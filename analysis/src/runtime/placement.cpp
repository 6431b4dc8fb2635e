// Rank placement: the cut of a mapping, the partitioner and the launcher files (placement.hpp).
#include "commtune/analysis/placement.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

namespace commtune::analysis {
namespace {

// Symmetric weights (bytes both ways) between ranks, dense: the partitioner's graph. Dense is fine
// for the rank counts a rankfile is written for (the profile's dense matrix stops at 256 ranks).
using Weights = std::vector<std::vector<double>>;

Weights symmetric_weights(const profile::CommMatrix& matrix, int ranks) {
  Weights weights(std::size_t(ranks), std::vector<double>(std::size_t(ranks), 0.0));
  for (const auto& pair : matrix.pairs) {
    if (pair.sender == pair.receiver || pair.sender < 0 || pair.receiver < 0 || pair.sender >= ranks ||
        pair.receiver >= ranks)
      continue;
    weights[std::size_t(pair.sender)][std::size_t(pair.receiver)] += double(pair.bytes);
    weights[std::size_t(pair.receiver)][std::size_t(pair.sender)] += double(pair.bytes);
  }
  return weights;
}

double cut_weight(const Weights& weights, const Mapping& node_of_rank) {
  double cut = 0;
  for (std::size_t a = 0; a < weights.size(); ++a)
    for (std::size_t b = a + 1; b < weights.size(); ++b)
      if (node_of_rank[a] != node_of_rank[b]) cut += weights[a][b];
  return cut;
}

// Grows one node at a time: its seed is the unplaced rank with the most traffic, then the unplaced
// rank most connected to the ranks already on the node, until the node holds its share.
Mapping greedy_mapping(const Weights& weights, int nodes, int capacity) {
  const int ranks = int(weights.size());
  Mapping mapping(std::size_t(ranks), -1);
  std::vector<double> total(std::size_t(ranks), 0.0);
  for (int a = 0; a < ranks; ++a)
    for (int b = 0; b < ranks; ++b) total[std::size_t(a)] += weights[std::size_t(a)][std::size_t(b)];
  int placed = 0;
  for (int node = 0; node < nodes && placed < ranks; ++node) {
    const int remaining_nodes = nodes - node;
    const int share = std::min(capacity, (ranks - placed + remaining_nodes - 1) / remaining_nodes);
    std::vector<double> connection(std::size_t(ranks), 0.0);
    for (int taken = 0; taken < share; ++taken) {
      int best = -1;
      for (int r = 0; r < ranks; ++r) {
        if (mapping[std::size_t(r)] >= 0) continue;
        const auto score = [&](int x) { return taken == 0 ? total[std::size_t(x)] : connection[std::size_t(x)]; };
        if (best < 0 || score(r) > score(best)) best = r;
      }
      mapping[std::size_t(best)] = node;
      ++placed;
      for (int r = 0; r < ranks; ++r) connection[std::size_t(r)] += weights[std::size_t(best)][std::size_t(r)];
    }
  }
  return mapping;
}

// One Kernighan-Lin pass over all nodes: swap the unlocked pair (on different nodes) with the
// largest gain, lock both, repeat; then keep the prefix of swaps with the largest total gain.
// `to_node[r][n]` is rank r's traffic to the ranks on node n. Returns the gain kept.
double kernighan_lin_pass(const Weights& weights, Mapping& mapping, int nodes) {
  const int ranks = int(weights.size());
  std::vector<std::vector<double>> to_node(std::size_t(ranks), std::vector<double>(std::size_t(nodes), 0.0));
  for (int a = 0; a < ranks; ++a)
    for (int b = 0; b < ranks; ++b)
      to_node[std::size_t(a)][std::size_t(mapping[std::size_t(b)])] += weights[std::size_t(a)][std::size_t(b)];
  std::vector<bool> locked(std::size_t(ranks), false);
  std::vector<std::pair<int, int>> swaps;
  double running = 0, best_total = 0;
  std::size_t best_prefix = 0;
  for (int step = 0; step < ranks / 2; ++step) {
    double best_gain = 0;
    int best_a = -1, best_b = -1;
    for (int a = 0; a < ranks; ++a) {
      if (locked[std::size_t(a)]) continue;
      const int node_a = mapping[std::size_t(a)];
      for (int b = a + 1; b < ranks; ++b) {
        const int node_b = mapping[std::size_t(b)];
        if (locked[std::size_t(b)] || node_b == node_a) continue;
        const auto& ta = to_node[std::size_t(a)];
        const auto& tb = to_node[std::size_t(b)];
        const double gain = (ta[std::size_t(node_b)] - ta[std::size_t(node_a)]) +
                            (tb[std::size_t(node_a)] - tb[std::size_t(node_b)]) -
                            2 * weights[std::size_t(a)][std::size_t(b)];
        if (best_a < 0 || gain > best_gain) {
          best_gain = gain;
          best_a = a;
          best_b = b;
        }
      }
    }
    if (best_a < 0) break;
    const int node_a = mapping[std::size_t(best_a)];
    const int node_b = mapping[std::size_t(best_b)];
    for (int r = 0; r < ranks; ++r) {
      auto& t = to_node[std::size_t(r)];
      t[std::size_t(node_a)] +=
          weights[std::size_t(r)][std::size_t(best_b)] - weights[std::size_t(r)][std::size_t(best_a)];
      t[std::size_t(node_b)] +=
          weights[std::size_t(r)][std::size_t(best_a)] - weights[std::size_t(r)][std::size_t(best_b)];
    }
    std::swap(mapping[std::size_t(best_a)], mapping[std::size_t(best_b)]);
    locked[std::size_t(best_a)] = locked[std::size_t(best_b)] = true;
    swaps.emplace_back(best_a, best_b);
    running += best_gain;
    if (running > best_total + 1e-9) {
      best_total = running;
      best_prefix = swaps.size();
    }
  }
  for (std::size_t i = swaps.size(); i > best_prefix; --i)
    std::swap(mapping[std::size_t(swaps[i - 1].first)], mapping[std::size_t(swaps[i - 1].second)]);
  return best_total;
}

Mapping refine(const Weights& weights, Mapping mapping, int nodes) {
  // Each pass is O(ranks^3); the cap keeps large jobs to a few seconds.
  const int max_passes = weights.size() > 512 ? 1 : 20;
  for (int pass = 0; pass < max_passes; ++pass)
    if (kernighan_lin_pass(weights, mapping, nodes) <= 0) break;
  return mapping;
}

void check_fits(int ranks, int nodes, int capacity, const Mapping& start) {
  if (nodes < 1 || capacity < 1 || std::int64_t(nodes) * capacity < ranks)
    throw std::invalid_argument(fmt::format("{} ranks do not fit on {} nodes of {} ranks", ranks, nodes, capacity));
  if (int(start.size()) != ranks) throw std::invalid_argument("the start mapping does not cover every rank");
  std::vector<int> load(std::size_t(nodes), 0);
  for (int node : start) {
    if (node < 0 || node >= nodes) throw std::invalid_argument(fmt::format("the start mapping uses node {}", node));
    if (++load[std::size_t(node)] > capacity)
      throw std::invalid_argument(fmt::format("the start mapping puts more than {} ranks on node {}", capacity, node));
  }
}

// Nodes are alike: number them in the order of their lowest rank, so that rank 0 is on node 0 and
// a mapping reads the same whichever labels the search ended with.
Mapping canonical_labels(const Mapping& mapping, int nodes) {
  std::vector<int> label(std::size_t(nodes), -1);
  int next = 0;
  Mapping out(mapping.size());
  for (std::size_t rank = 0; rank < mapping.size(); ++rank) {
    int& assigned = label[std::size_t(mapping[rank])];
    if (assigned < 0) assigned = next++;
    out[rank] = assigned;
  }
  return out;
}

}  // namespace

Cut inter_node_cut(const profile::CommMatrix& matrix, const Mapping& node_of_rank) {
  Cut cut;
  for (const auto& pair : matrix.pairs) {
    if (pair.sender < 0 || pair.receiver < 0 || std::size_t(pair.sender) >= node_of_rank.size() ||
        std::size_t(pair.receiver) >= node_of_rank.size())
      continue;
    if (node_of_rank[std::size_t(pair.sender)] == node_of_rank[std::size_t(pair.receiver)]) continue;
    cut.bytes += pair.bytes;
    cut.messages += pair.messages;
  }
  return cut;
}

Mapping block_mapping(int ranks, int ranks_per_node) {
  Mapping mapping(std::size_t(std::max(ranks, 0)));
  for (int r = 0; r < ranks; ++r) mapping[std::size_t(r)] = r / std::max(ranks_per_node, 1);
  return mapping;
}

Mapping round_robin_mapping(int ranks, int nodes) {
  Mapping mapping(std::size_t(std::max(ranks, 0)));
  for (int r = 0; r < ranks; ++r) mapping[std::size_t(r)] = r % std::max(nodes, 1);
  return mapping;
}

Mapping partition_ranks(const profile::CommMatrix& matrix, int nodes, int capacity, const Mapping& start) {
  const int ranks = int(start.size());
  check_fits(ranks, nodes, capacity, start);
  const Weights weights = symmetric_weights(matrix, ranks);
  Mapping from_greedy = refine(weights, greedy_mapping(weights, nodes, capacity), nodes);
  Mapping from_start = refine(weights, start, nodes);
  return canonical_labels(cut_weight(weights, from_greedy) < cut_weight(weights, from_start) ? from_greedy : from_start,
                          nodes);
}

std::string rankfile_text(const Mapping& node_of_rank, const std::vector<std::string>& hosts) {
  std::string out =
      "# commtune.ompi_rankfile/1: Open MPI rankfile written by commtune analyze: mpirun --rankfile THIS_FILE -np " +
      std::to_string(node_of_rank.size()) + " ...\n";
  std::vector<int> next_slot(hosts.size(), 0);
  for (std::size_t rank = 0; rank < node_of_rank.size(); ++rank) {
    const auto node = std::size_t(node_of_rank[rank]);
    out += fmt::format("rank {}={} slot={}\n", rank, hosts.at(node), next_slot.at(node)++);
  }
  return out;
}

std::string hydra_machinefile_text(const Mapping& node_of_rank, const std::vector<std::string>& hosts) {
  std::string out =
      "# commtune.hydra_machinefile/1: MPICH Hydra machine file written by commtune analyze: mpirun.mpich -f THIS_FILE "
      "-np " +
      std::to_string(node_of_rank.size()) + " ... (one line per rank, in rank order)\n";
  for (int node : node_of_rank) out += hosts.at(std::size_t(node)) + ":1\n";
  return out;
}

}  // namespace commtune::analysis
