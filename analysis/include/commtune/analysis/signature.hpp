// The workload signature: what a run's communication looks like, per call site and overall,
// derived from its profile (and its trace, when it was traced). Facts measured, in the units their
// names say; the judgements made from them live in recommend.hpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "profile/model.hpp"
#include "trace/model.hpp"

namespace commtune::analysis {

// How a call site communicates.
enum class Pattern {
  PointToPoint,       // messages to one or a few peers
  NeighbourExchange,  // the same message sizes to and from a fixed set of peers (halo)
  Collective,
  Completion,  // MPI_Wait*/MPI_Test*: where requests of other sites complete
  Other,
};
std::string to_string(Pattern pattern);  // "point_to_point", "neighbour_exchange", ...

// One peer of a call site with what went to it (world ranks; from the trace, or from the
// communication matrix when the site's peers cannot be told apart without one).
struct PeerTraffic {
  int peer = 0;
  std::uint64_t messages = 0;
  std::uint64_t bytes = 0;
};

struct SiteSignature {
  int callsite_id = 0;  // profile.json callsites[].id
  std::string function;
  std::string location;  // "solver.c:212", or module+offset without debug information
  std::string region;
  Pattern pattern = Pattern::Other;
  std::uint64_t calls = 0;                 // over all ranks
  double calls_per_rank = 0;               // mean over the ranks that called it
  double time_s = 0;                       // over all ranks
  double time_per_rank_max_s = 0;          // the most one rank spent here
  double fraction_of_run = 0;              // time_per_rank_max_s / wall time
  double mean_message_bytes = 0;           // bytes per call, sent and received counted once
  std::uint64_t median_message_bytes = 0;  // from the size bins (bin lower bound)
  double messages_per_s = 0;               // per rank, while the program ran
  double rate_bytes_per_s = 0;             // per rank
  std::vector<PeerTraffic> peers;          // most bytes first; empty when unknown
  bool peers_from_trace = false;
  int distinct_peers = 0;  // per rank, typical (median); 0 when unknown
  // Compute between consecutive calls of this site on one rank (from the trace: median gap; from
  // the profile: application time / calls, an estimate).
  double compute_between_calls_s = 0;
  bool compute_from_trace = false;
  std::optional<profile::WaitState> wait;  // late sender / late receiver / at a collective
  double imbalance_cv = 0;                 // of the per-rank time at this site
  std::optional<profile::RequestLifetimes> requests;
  std::optional<profile::Compressibility> compressibility;
};

// POP efficiencies (../shared/TUNING-FACTS.md): useful time = time outside MPI per rank, T = run
// time. Serialisation and transfer split communication efficiency through an ideal-network run time
// estimated as T minus the MPI time not spent waiting (the transfers an ideal network would make
// instantaneous; waiting for late partners stays): labelled as estimates.
struct PopMetrics {
  std::string scope;  // "run", or a region's name
  double load_balance = 0;
  double communication_efficiency = 0;
  double parallel_efficiency = 0;
  std::optional<double> serialisation_estimate;
  std::optional<double> transfer_estimate;
  std::string method;  // how they were computed, e.g. "profile: useful = app time per rank"
};

struct WorkloadSignature {
  int ranks = 0;
  int nodes = 0;
  double wall_time_s = 0;
  double mpi_fraction = 0;
  double communication_fraction = 0;
  PopMetrics run;
  std::vector<PopMetrics> regions;
  std::vector<SiteSignature> sites;  // most time first
  profile::CommMatrix comm_graph;
  bool traced = false;
  std::vector<std::string> notes;  // what could not be derived and why
};

// Derives the signature from a profile, and from its trace when one is given (peers per site,
// compute between calls, per-region POP metrics). Never throws for a profile read_profile accepted.
WorkloadSignature characterise(const profile::Profile& profile, const trace::Trace* trace = nullptr);

}  // namespace commtune::analysis
