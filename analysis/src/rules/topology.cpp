// Topology-aware placement: heavy pairs split across nodes. The communication matrix is
// partitioned into the described nodes (placement.hpp); the cut in inter-node bytes and messages
// before and after is turned into seconds with the intra- and inter-node link models, and the
// mapping is written as an Open MPI rankfile and an MPICH machine file. A Cartesian or graph
// communicator with reorder does not move ranks in Open MPI 4.1 or MPICH 4.0 (measured by the
// topology kernel), so the launcher must apply the mapping.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

#include "../runtime/site_reference.hpp"
#include "commtune/analysis/placement.hpp"
#include "commtune/analysis/recommend.hpp"
#include "p2p_common.hpp"

namespace commtune::analysis {
namespace {

struct Placement {
  Mapping mapping;
  std::vector<std::string> hosts;
  std::string how;  // where the current mapping comes from
  bool placeholder_hosts = false;
};

// Where the ranks ran: their hosts when the profile ran on as many nodes as the models describe,
// else the description's placement (block by default, as launchers do, or cyclic).
Placement current_placement(const profile::Profile& profile, const HardwareModels& models, int ranks) {
  Placement out;
  const std::vector<std::string> hosts = profile.hosts();
  if (profile.node_count() == models.nodes && int(hosts.size()) == ranks) {
    for (const auto& host : hosts) {
      auto found = std::find(out.hosts.begin(), out.hosts.end(), host);
      if (found == out.hosts.end()) found = out.hosts.insert(out.hosts.end(), host);
      out.mapping.push_back(int(found - out.hosts.begin()));
    }
    out.how = "the hosts the ranks ran on (profile.json per_rank)";
    return out;
  }
  const int even_share = (ranks + models.nodes - 1) / models.nodes;
  const int per_node = models.cores_per_node > 0 ? std::max(models.cores_per_node, even_share) : even_share;
  if (models.placement == "cyclic") {
    out.mapping = round_robin_mapping(ranks, models.nodes);
    out.how = "the description's placement: cyclic (rank r on node r mod nodes)";
  } else {
    out.mapping = block_mapping(ranks, per_node);
    out.how = fmt::format("the description's placement: block ({} ranks per node)", per_node);
  }
  if (int(models.hosts.size()) == models.nodes) {
    out.hosts = models.hosts;
  } else {
    for (int node = 0; node < models.nodes; ++node) out.hosts.push_back(fmt::format("node{}", node));
    out.placeholder_hosts = true;
  }
  return out;
}

// Each rank's time sending its messages over the links `mapping` puts them on; the slowest rank's.
double slowest_rank_link_time_s(const profile::CommMatrix& matrix, const Mapping& mapping, const LinkModel& intra,
                                const LinkModel& inter) {
  std::map<int, double> per_rank;
  for (const auto& pair : matrix.pairs) {
    if (pair.messages == 0 || std::size_t(pair.sender) >= mapping.size() ||
        std::size_t(pair.receiver) >= mapping.size())
      continue;
    const LinkModel& link = mapping[std::size_t(pair.sender)] == mapping[std::size_t(pair.receiver)] ? intra : inter;
    per_rank[pair.sender] += double(pair.messages) * link.seconds(pair.bytes / pair.messages);
  }
  double slowest = 0;
  for (const auto& [rank, seconds] : per_rank) slowest = std::max(slowest, seconds);
  return slowest;
}

std::string mapping_text(const Mapping& mapping) {
  std::string out;
  for (std::size_t rank = 0; rank < mapping.size(); ++rank)
    out += fmt::format("{}{}:{}", rank ? " " : "", rank, mapping[rank]);
  return out;
}

void write_text(const std::filesystem::path& file, const std::string& text) {
  std::filesystem::create_directories(file.parent_path());
  std::ofstream out(file);
  out << text;
  if (!out.flush()) throw std::runtime_error(file.string() + ": cannot write");
}

// How to apply the mapping: files, launcher options, and what a communicator would (not) do.
void describe_application(const AnalysisInput& input, const Placement& placement, const Mapping& best,
                          Recommendation& out) {
  const std::filesystem::path rankfile = input.files_dir / "placement.rankfile";
  const std::filesystem::path machinefile = input.files_dir / "placement.hydra-hosts";
  write_text(rankfile, rankfile_text(best, placement.hosts));
  write_text(machinefile, hydra_machinefile_text(best, placement.hosts));
  out.apply.files = {rankfile.string(), machinefile.string()};
  out.apply.launcher_args = {"--rankfile " + rankfile.string()};
  if (best == round_robin_mapping(int(best.size()), input.models.nodes))
    out.apply.launcher_args.push_back("--map-by node");
  out.apply.launcher_args.push_back("-f " + machinefile.string() + " (MPICH Hydra)");
  out.apply.summary = fmt::format(
      "Start the ranks with this mapping: Open MPI `mpirun --rankfile {}`, MPICH `mpirun.mpich -f {}`"
      " (Hydra places ranks in the file's line order).{}",
      rankfile.filename().string(), machinefile.filename().string(),
      placement.placeholder_hosts ? " The host names node0.. are placeholders: the hardware description names no "
                                    "hosts; replace them with your nodes' names."
                                  : "");
  out.parameters["mapping"] = mapping_text(best);
  out.parameters["communicator"] =
      "not enough: MPI_Cart_create / MPI_Dist_graph_create_adjacent with reorder=1 keep the ranks where they are "
      "in Open MPI 4.1 and MPICH 4.0; apply the mapping with the launcher";
}

Recommendation make_recommendation(const AnalysisInput& input, const Placement& placement, const Mapping& best) {
  const profile::CommMatrix& matrix = input.profile.comm_matrix;
  const Cut before = inter_node_cut(matrix, placement.mapping);
  const Cut after = inter_node_cut(matrix, best);
  Recommendation out;
  out.technique = Technique::Topology;
  double bound_s = 0;
  for (const auto& site : input.profile.callsites) {
    if (site.category != "p2p") continue;
    out.callsites.push_back(site_reference(site));
    bound_s += site.time_per_rank.max;
  }
  out.evidence = {
      {"inter-node bytes, current mapping", double(before.bytes), "bytes",
       "profile.json comm_matrix; " + placement.how},
      {"inter-node bytes, proposed mapping", double(after.bytes), "bytes", "profile.json comm_matrix"},
      {"inter-node messages, current mapping", double(before.messages), "messages", "profile.json comm_matrix"},
      {"inter-node messages, proposed mapping", double(after.messages), "messages", "profile.json comm_matrix"},
      {"nodes", double(input.models.nodes), "nodes", input.models.source},
  };
  out.parameters = {{"inter_node_bytes_before", std::to_string(before.bytes)},
                    {"inter_node_bytes_after", std::to_string(after.bytes)},
                    {"inter_node_messages_before", std::to_string(before.messages)},
                    {"inter_node_messages_after", std::to_string(after.messages)}};
  const auto& intra = input.models.intra_node;
  const auto& inter = input.models.inter_node;
  if (intra && inter) {
    const double before_s = slowest_rank_link_time_s(matrix, placement.mapping, *intra, *inter);
    const double after_s = slowest_rank_link_time_s(matrix, best, *intra, *inter);
    const double predicted = before_s - after_s;
    const double uncertainty = std::max(rules::model_error_95(intra->quality), rules::model_error_95(inter->quality));
    out.evidence.push_back({"slowest rank's time on links, current mapping (link models)", before_s, "s",
                            inter->source + "; " + intra->source});
    out.evidence.push_back({"slowest rank's time on links, proposed mapping (link models)", after_s, "s",
                            inter->source + "; " + intra->source});
    out.evidence.push_back({"95 % relative error of the link models (held-out error; a description: 0.25)", uncertainty,
                            "ratio", inter->source});
    out.gain = bounded_gain(bound_s, predicted, predicted * (1 - uncertainty), predicted * (1 + uncertainty),
                            input.profile.wall_time_s);
  } else {
    out.gain = bounded_gain(bound_s, 0, 0, 0, input.profile.wall_time_s);
    out.parameters["note"] = "no intra- and inter-node link models: the cut is not turned into seconds";
  }
  const double cut_fraction = before.bytes ? 1.0 - double(after.bytes) / double(before.bytes) : 0;
  out.title = out.gain.significant
                  ? fmt::format("Place heavy pairs on one node: {:.0f} % fewer inter-node bytes", cut_fraction * 100)
                  : fmt::format(
                        "A mapping with {:.0f} % fewer inter-node bytes exists, but no significant gain - keep "
                        "as is",
                        cut_fraction * 100);
  describe_application(input, placement, best, out);
  return out;
}

}  // namespace

std::vector<Recommendation> recommend_topology(const AnalysisInput& input) {
  const HardwareModels& models = input.models;
  const profile::CommMatrix& matrix = input.profile.comm_matrix;
  const int ranks = input.profile.ranks;
  // On one node there is nothing to cut.
  if (models.nodes <= 1 || ranks < 2 || matrix.pairs.empty()) return {};
  const Placement placement = current_placement(input.profile, models, ranks);
  // The proposal keeps as many ranks per node as the current mapping puts on its fullest node.
  std::map<int, int> load;
  int capacity = 0;
  for (int node : placement.mapping) capacity = std::max(capacity, ++load[node]);
  const Mapping best = partition_ranks(matrix, models.nodes, capacity, placement.mapping);
  if (inter_node_cut(matrix, best).bytes >= inter_node_cut(matrix, placement.mapping).bytes) return {};
  return {make_recommendation(input, placement, best)};
}

}  // namespace commtune::analysis
