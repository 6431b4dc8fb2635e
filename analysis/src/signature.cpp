// The workload signature from a profile (and its trace): per call site what it communicates, with
// whom, how often and how long the program computes between calls; POP efficiencies for the run
// and, when traced, per region.
#include "commtune/analysis/signature.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

namespace commtune::analysis {
namespace {

constexpr std::pair<Pattern, const char*> kPatternNames[] = {
    {Pattern::PointToPoint, "point_to_point"},
    {Pattern::NeighbourExchange, "neighbour_exchange"},
    {Pattern::Collective, "collective"},
    {Pattern::Completion, "completion"},
    {Pattern::Other, "other"},
};

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  const std::size_t middle = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + long(middle), values.end());
  const double upper = values[middle];
  if (values.size() % 2 == 1) return upper;
  return (upper + *std::max_element(values.begin(), values.begin() + long(middle))) / 2;
}

std::string location_of(const profile::CallSite& site) {
  if (site.frames.empty()) return "(no stack)";
  const profile::Frame& frame = site.location();
  if (frame.debug_info && !frame.file.empty())
    return std::filesystem::path(frame.file).filename().string() + ":" + std::to_string(frame.line);
  char offset[32];
  std::snprintf(offset, sizeof offset, "+0x%llx", static_cast<unsigned long long>(frame.offset));
  return std::filesystem::path(frame.module).filename().string() + offset;
}

// Messages in a site's size bins, sent and received (each message is in one list from the site's
// own view: a send's message in `sent`, a receive's in `received`, a sendrecv's one in each).
std::uint64_t bin_messages(const profile::MessageSizes& sizes) {
  std::uint64_t total = 0;
  for (const auto& bin : sizes.sent) total += bin.count;
  for (const auto& bin : sizes.received) total += bin.count;
  return total;
}

// The lower bound of the bin holding the median message.
std::uint64_t bin_median_bytes(const profile::MessageSizes& sizes) {
  std::map<std::uint64_t, std::uint64_t> by_size;
  for (const auto& bin : sizes.sent) by_size[bin.min_bytes] += bin.count;
  for (const auto& bin : sizes.received) by_size[bin.min_bytes] += bin.count;
  const std::uint64_t total = bin_messages(sizes);
  if (total == 0) return 0;
  std::uint64_t seen = 0;
  for (const auto& [min_bytes, count] : by_size) {
    seen += count;
    if (2 * seen >= total) return min_bytes;
  }
  return by_size.rbegin()->first;
}

Pattern pattern_of_category(const std::string& category) {
  if (category == "p2p") return Pattern::PointToPoint;
  if (category == "collective") return Pattern::Collective;
  if (category == "completion") return Pattern::Completion;
  return Pattern::Other;
}

// Functions that send and receive in one call: a site calling them exchanges with its peers.
bool is_exchange_function(const std::string& function) {
  return function == "MPI_Sendrecv" || function == "MPI_Sendrecv_replace";
}

// ---- from the trace ------------------------------------------------------------------------------

// What the trace says about one profile call site.
struct TraceFacts {
  std::map<int, PeerTraffic> peers;               // by peer
  std::map<int, std::set<int>> peers_per_rank;    // rank -> its peers at this site
  std::vector<double> median_gap_per_location_s;  // one per rank and thread that called it
};

// Trace sites (index) -> profile call site id, joined on the innermost frame's module and offset
// and the function. A trace site that matches several profile sites (same frame, other regions or
// deeper frames) goes to the one with most time, and is said in the notes.
std::vector<int> join_sites(const profile::Profile& profile, const trace::Trace& trace,
                            std::vector<std::string>& notes) {
  std::map<std::tuple<std::string, std::uint64_t, std::string>, std::vector<int>> by_frame;
  for (const auto& site : profile.callsites) {
    if (site.frames.empty()) continue;
    const profile::Frame& frame = site.location();
    by_frame[{std::filesystem::path(frame.module).filename().string(), frame.offset, site.function}].push_back(site.id);
  }
  // A trace call names its function; a trace site only its frame: one join per (site, function).
  std::vector<int> site_of(trace.sites.size() * std::max<std::size_t>(trace.functions.size(), 1), 0);
  int ambiguous = 0;
  for (std::size_t s = 0; s < trace.sites.size(); ++s) {
    const std::string module = std::filesystem::path(trace.sites[s].module).filename().string();
    for (std::size_t f = 0; f < trace.functions.size(); ++f) {
      auto found = by_frame.find({module, trace.sites[s].offset, trace.functions[f].name});
      if (found == by_frame.end()) continue;
      if (found->second.size() > 1) ++ambiguous;
      site_of[s * trace.functions.size() + f] = found->second.front();  // ids are most time first
    }
  }
  if (ambiguous > 0)
    notes.push_back(std::to_string(ambiguous) +
                    " trace call site(s) match several profile call sites (same innermost frame in other regions "
                    "or stacks): their peers and gaps are given to the one with most time");
  return site_of;
}

std::map<int, TraceFacts> trace_facts(const trace::Trace& trace, const std::vector<int>& site_of) {
  const std::size_t functions = trace.functions.size();
  std::map<int, TraceFacts> facts;
  for (const auto& location : trace.locations) {
    std::map<int, std::vector<const trace::Call*>> calls_by_site;
    for (const auto& call : location.calls) {
      if (call.site >= trace.sites.size() || call.function >= functions) continue;  // kNone included
      const int id = site_of[std::size_t(call.site) * functions + call.function];
      if (id == 0) continue;
      calls_by_site[id].push_back(&call);
      if (trace.functions[call.function].category == trace::Category::P2p && call.peer >= 0) {
        TraceFacts& site = facts[id];
        PeerTraffic& peer = site.peers[call.peer];
        peer.peer = call.peer;
        peer.messages += 1;
        peer.bytes += call.bytes_sent + call.bytes_received;
        site.peers_per_rank[location.rank].insert(call.peer);
      }
    }
    for (const auto& [id, calls] : calls_by_site) {
      std::vector<double> gaps_s;
      for (std::size_t i = 1; i < calls.size(); ++i)
        if (calls[i]->start_ns >= calls[i - 1]->end_ns)
          gaps_s.push_back(double(calls[i]->start_ns - calls[i - 1]->end_ns) * 1e-9);
      if (!gaps_s.empty()) facts[id].median_gap_per_location_s.push_back(median(gaps_s));
    }
  }
  return facts;
}

void apply_trace_facts(SiteSignature& site, const TraceFacts& facts) {
  for (const auto& [peer, traffic] : facts.peers) site.peers.push_back(traffic);
  site.peers_from_trace = !site.peers.empty();
  std::vector<double> counts;
  for (const auto& [rank, peers] : facts.peers_per_rank) counts.push_back(double(peers.size()));
  site.distinct_peers = int(std::lround(median(counts)));
  if (!facts.median_gap_per_location_s.empty()) {
    site.compute_between_calls_s = median(facts.median_gap_per_location_s);
    site.compute_from_trace = true;
  }
}

// ---- from the communication matrix ---------------------------------------------------------------

// Each rank's partners (sent to or received from) in the matrix; empty when no pair communicated.
std::map<int, std::set<int>> partners(const profile::CommMatrix& matrix) {
  std::map<int, std::set<int>> out;
  for (const auto& pair : matrix.pairs) {
    if (pair.messages == 0 || pair.sender == pair.receiver) continue;
    out[pair.sender].insert(pair.receiver);
    out[pair.receiver].insert(pair.sender);
  }
  return out;
}

// The ranks whose per-rank totals show calls of `function` (per function, not per site: the profile
// does not say which ranks called a site).
std::set<int> ranks_calling(const profile::Profile& profile, const std::string& function) {
  std::set<int> out;
  for (const auto& rank : profile.per_rank)
    for (const auto& totals : rank.functions)
      if (totals.name == function && totals.calls > 0) out.insert(rank.rank);
  return out;
}

// When every rank has one partner, a p2p site's messages can only go to (or come from) it: the
// matrix pairs of the ranks that called the site's function, from the sender's side for a function
// that sends and the receiver's for one that only receives, share the site's bytes and messages in
// the matrix's proportions.
void apply_matrix_peers(SiteSignature& site, const profile::CallSite& profile_site, const profile::Profile& profile,
                        const std::map<int, std::set<int>>& partner_sets) {
  if (partner_sets.empty()) return;
  for (const auto& [rank, set] : partner_sets)
    if (set.size() != 1) return;
  const std::set<int> callers = ranks_calling(profile, profile_site.function);
  const bool sends = profile_site.bytes_sent > 0 || profile_site.function.find("send") != std::string::npos ||
                     profile_site.function.find("Send") != std::string::npos;
  std::vector<std::pair<int, const profile::Traffic*>> used;  // peer, pair
  std::uint64_t used_bytes = 0, used_messages = 0;
  for (const auto& pair : profile.comm_matrix.pairs) {
    if (pair.sender == pair.receiver) continue;
    const int caller = sends ? pair.sender : pair.receiver;
    if (callers.count(caller) == 0) continue;
    used.emplace_back(sends ? pair.receiver : pair.sender, &pair);
    used_bytes += pair.bytes;
    used_messages += pair.messages;
  }
  if (used.empty()) return;
  const double site_bytes = double(profile_site.bytes_sent + profile_site.bytes_received);
  const double site_messages = double(bin_messages(profile_site.sizes));
  std::map<int, PeerTraffic> by_peer;
  for (const auto& [peer_rank, pair] : used) {
    PeerTraffic& peer = by_peer[peer_rank];
    peer.peer = peer_rank;
    if (used_bytes > 0)
      peer.bytes += std::uint64_t(std::llround(site_bytes * double(pair->bytes) / double(used_bytes)));
    if (used_messages > 0)
      peer.messages += std::uint64_t(std::llround(site_messages * double(pair->messages) / double(used_messages)));
  }
  for (const auto& [peer, traffic] : by_peer) site.peers.push_back(traffic);
  site.peers_from_trace = false;
  site.distinct_peers = 1;
}

// ---- POP -----------------------------------------------------------------------------------------

// Load balance and communication efficiency from per-rank useful times and the run time T; the
// serialisation / transfer split through an ideal-network time T_ideal = T - (MPI time not spent
// waiting), clamped to [max useful, T] (an estimate: no replay).
PopMetrics pop_from(const std::string& scope, const std::vector<double>& useful_s, double run_s,
                    std::optional<double> non_waiting_mpi_s, const std::string& method) {
  PopMetrics pop;
  pop.scope = scope;
  pop.method = method;
  if (useful_s.empty() || run_s <= 0) return pop;
  double sum = 0, max_useful = 0;
  for (double value : useful_s) {
    sum += value;
    max_useful = std::max(max_useful, value);
  }
  const double mean = sum / double(useful_s.size());
  pop.load_balance = max_useful > 0 ? mean / max_useful : 1;
  pop.communication_efficiency = std::min(1.0, max_useful / run_s);
  pop.parallel_efficiency = pop.load_balance * pop.communication_efficiency;
  if (non_waiting_mpi_s) {
    const double ideal_s = std::clamp(run_s - *non_waiting_mpi_s, std::min(max_useful, run_s), run_s);
    if (ideal_s > 0) {
      pop.serialisation_estimate = std::min(1.0, max_useful / ideal_s);
      pop.transfer_estimate = ideal_s / run_s;
    }
  }
  return pop;
}

// The run: useful = each rank's application time (wall time minus MPI time); T = the longest rank's
// application plus communication time, so that MPI_Init and MPI_Finalize count on neither side.
PopMetrics run_pop(const profile::Profile& profile) {
  std::vector<double> useful_s;
  double run_s = 0, communication_s = 0;
  for (const auto& rank : profile.per_rank) {
    useful_s.push_back(rank.app_time_s);
    run_s = std::max(run_s, rank.app_time_s + rank.communication_s);
    communication_s += rank.communication_s;
  }
  if (profile.per_rank.empty()) return pop_from("run", {}, 0, std::nullopt, "profile: no ranks reported");
  const double ranks = double(profile.per_rank.size());
  const auto& waits = profile.wait_states;
  const double waiting_per_rank_s = (waits.late_sender_s + waits.late_receiver_s + waits.wait_at_collective_s) / ranks;
  const double non_waiting_s = std::max(0.0, communication_s / ranks - waiting_per_rank_s);
  return pop_from("run", useful_s, run_s, non_waiting_s,
                  "profile: useful = wall time - MPI time per rank; T = max(useful + communication) (MPI_Init/"
                  "Finalize excluded); serialisation/transfer: estimates through T_ideal = T - mean MPI time not "
                  "spent waiting (wait_states)");
}

// Per named region from the trace: on each rank the region spans from the first to the last MPI call
// of its sites; useful = span - MPI time inside the span.
std::vector<PopMetrics> region_pop(const profile::Profile& profile, const trace::Trace& trace,
                                   const std::vector<int>& site_of) {
  std::map<std::string, std::map<int, std::pair<std::uint64_t, std::uint64_t>>>
      spans;  // region -> rank -> [first, last]
  const std::size_t functions = trace.functions.size();
  for (const auto& location : trace.locations)
    for (const auto& call : location.calls) {
      if (call.site >= trace.sites.size() || call.function >= functions) continue;  // kNone included
      const int id = site_of[std::size_t(call.site) * functions + call.function];
      const profile::CallSite* site = id ? profile.callsite(id) : nullptr;
      if (site == nullptr || site->region.empty()) continue;
      auto [it, fresh] = spans[site->region].try_emplace(location.rank, call.start_ns, call.end_ns);
      if (!fresh) {
        it->second.first = std::min(it->second.first, call.start_ns);
        it->second.second = std::max(it->second.second, call.end_ns);
      }
    }
  std::vector<PopMetrics> out;
  for (const auto& [region, ranks] : spans) {
    std::vector<double> useful_s;
    double run_s = 0;
    for (const auto& [rank, span] : ranks) {
      std::uint64_t mpi_ns = 0;
      for (const auto& location : trace.locations) {
        if (location.rank != rank) continue;
        for (const auto& call : location.calls)
          if (call.start_ns >= span.first && call.end_ns <= span.second) mpi_ns += call.end_ns - call.start_ns;
      }
      const double span_s = double(span.second - span.first) * 1e-9;
      useful_s.push_back(std::max(0.0, span_s - double(mpi_ns) * 1e-9));
      run_s = std::max(run_s, span_s);
    }
    out.push_back(pop_from(region, useful_s, run_s, std::nullopt,
                           "trace: region = first to last MPI call of its sites per rank; useful = span - MPI time"));
  }
  return out;
}

SiteSignature site_signature(const profile::Profile& profile, const profile::CallSite& site, double mean_app_s) {
  SiteSignature out;
  out.callsite_id = site.id;
  out.function = site.function;
  out.location = location_of(site);
  out.region = site.region;
  out.pattern = pattern_of_category(site.category);
  if (out.pattern == Pattern::PointToPoint && is_exchange_function(site.function))
    out.pattern = Pattern::NeighbourExchange;
  out.calls = site.calls;
  const int ranks = std::max(site.ranks, 1);
  out.calls_per_rank = double(site.calls) / ranks;
  out.time_s = site.time_s;
  out.time_per_rank_max_s = site.time_per_rank.max > 0 ? site.time_per_rank.max : site.time_s / ranks;
  const double wall_s = profile.wall_time_s;
  out.fraction_of_run = wall_s > 0 ? out.time_per_rank_max_s / wall_s : 0;
  const std::uint64_t messages = bin_messages(site.sizes);
  const double bytes = double(site.bytes_sent + site.bytes_received);
  out.mean_message_bytes = messages > 0 ? bytes / double(messages) : 0;
  out.median_message_bytes = bin_median_bytes(site.sizes);
  if (wall_s > 0) {
    out.messages_per_s = double(messages) / ranks / wall_s;
    out.rate_bytes_per_s = bytes / ranks / wall_s;
  }
  // Without a trace: the rank's application time spread evenly between its calls here.
  out.compute_between_calls_s = out.calls_per_rank > 0 ? mean_app_s / out.calls_per_rank : 0;
  out.wait = site.wait;
  out.imbalance_cv = site.time_per_rank.cv;
  out.requests = site.requests;
  out.compressibility = site.compressibility;
  return out;
}

// A p2p site whose every rank exchanges with two or more peers, the same bytes with each (within a
// factor of two), is a neighbour (halo) exchange.
void classify_exchange(SiteSignature& site) {
  if (site.pattern != Pattern::PointToPoint || site.distinct_peers < 2 || site.peers.empty()) return;
  std::uint64_t low = site.peers.front().bytes, high = low;
  for (const auto& peer : site.peers) {
    low = std::min(low, peer.bytes);
    high = std::max(high, peer.bytes);
  }
  if (high <= 2 * low) site.pattern = Pattern::NeighbourExchange;
}

}  // namespace

std::string to_string(Pattern pattern) {
  for (const auto& [value, name] : kPatternNames)
    if (value == pattern) return name;
  return "other";
}

WorkloadSignature characterise(const profile::Profile& profile, const trace::Trace* trace) {
  WorkloadSignature out;
  out.ranks = profile.ranks;
  out.nodes = std::max(profile.node_count(), 1);
  out.wall_time_s = profile.wall_time_s;
  out.mpi_fraction = profile.mpi_time_fraction;
  out.communication_fraction = profile.communication_fraction;
  out.comm_graph = profile.comm_matrix;
  out.traced = trace != nullptr;
  out.run = run_pop(profile);

  double mean_app_s = 0;
  for (const auto& rank : profile.per_rank) mean_app_s += rank.app_time_s;
  if (!profile.per_rank.empty()) mean_app_s /= double(profile.per_rank.size());

  std::map<int, TraceFacts> facts;
  std::vector<int> site_of;
  if (trace != nullptr) {
    site_of = join_sites(profile, *trace, out.notes);
    facts = trace_facts(*trace, site_of);
  }
  const auto partner_sets = partners(profile.comm_matrix);
  bool matrix_peers_used = false;
  for (const auto& site : profile.callsites) {
    SiteSignature signature = site_signature(profile, site, mean_app_s);
    if (auto found = facts.find(site.id); found != facts.end()) apply_trace_facts(signature, found->second);
    if (signature.peers.empty() && site.category == "p2p" && (site.bytes_sent + site.bytes_received) > 0) {
      apply_matrix_peers(signature, site, profile, partner_sets);
      matrix_peers_used |= !signature.peers.empty();
    }
    std::sort(signature.peers.begin(), signature.peers.end(),
              [](const PeerTraffic& a, const PeerTraffic& b) { return a.bytes > b.bytes; });
    classify_exchange(signature);
    out.sites.push_back(std::move(signature));
  }
  std::stable_sort(out.sites.begin(), out.sites.end(),
                   [](const SiteSignature& a, const SiteSignature& b) { return a.time_s > b.time_s; });

  const bool named_regions = std::any_of(profile.regions.begin(), profile.regions.end(),
                                         [](const profile::Region& region) { return !region.name.empty(); });
  if (trace != nullptr) {
    out.regions = region_pop(profile, *trace, site_of);
  } else {
    out.notes.push_back(
        "compute between calls is an estimate (application time per rank / calls per rank): the run was not traced");
    out.notes.push_back(
        "peers per call site are known only from a trace; without one only where each rank has a single partner");
    if (named_regions)
      out.notes.push_back(
          "POP metrics per region need a trace (the profile records MPI time per region, not the region's "
          "duration): run with --trace");
  }
  if (matrix_peers_used)
    out.notes.push_back(
        "peers of some point-to-point sites come from the communication matrix (each rank has one partner), "
        "not from a trace");
  if (!profile.complete)
    out.notes.push_back("the profile is partial (" + profile.partial_reason + "): figures cover the ranks reported");
  return out;
}

}  // namespace commtune::analysis
