// Checks the workload signature (analysis/signature.hpp) of a real run against the numbers of its
// own profile: per call site the calls, time, sizes and rates agree with profile.json's call site,
// the mean message size lies within the site's size bins, the pattern agrees with the category,
// the peers agree with the communication matrix, and the POP load balance agrees with the
// profile's own imbalance section. With --trace the trace is read and joined too.
//
// usage: analysis_check_signature OUT [--trace] [--expect-site FUNCTION:MEAN_BYTES:PEER]...
//        analysis_check_signature OUT --recommendations
//   --expect-site: a site of FUNCTION whose mean message is MEAN_BYTES with PEER its first peer
//   (PEER -1: peers need not be known).
//   --recommendations: after `commtune analyze OUT`: OUT/recommendations.yaml reads back, describes
//   this run, and every gain is bounded by its sites' time, its interval holds it, and the order and
//   significance follow the rules (recommend.hpp).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "commtune/analysis/recommend.hpp"
#include "commtune/analysis/recommendations.hpp"
#include "commtune/analysis/signature.hpp"
#include "commtune/pmpi/run_directory.hpp"
#include "profile/reader.hpp"
#include "trace/reader.hpp"

namespace {

namespace analysis = commtune::analysis;
namespace profile = commtune::profile;

int g_problems = 0;
int g_checks = 0;

void expect(bool ok, const std::string& what) {
  ++g_checks;
  if (ok) return;
  ++g_problems;
  std::printf("FAILED: %s\n", what.c_str());
}

bool close(double a, double b, double relative = 1e-9) {
  return std::abs(a - b) <= relative * std::max({std::abs(a), std::abs(b), 1e-300});
}

std::string name(const analysis::SiteSignature& site) {
  return "site " + std::to_string(site.callsite_id) + " " + site.function;
}

// Messages in the bins and the range of sizes they hold.
struct BinFacts {
  std::uint64_t messages = 0;
  std::uint64_t low = UINT64_MAX;
  std::uint64_t high = 0;  // upper bound of the highest bin with messages (UINT64_MAX: open)
};

BinFacts bin_facts(const profile::MessageSizes& sizes) {
  BinFacts out;
  for (const auto* list : {&sizes.sent, &sizes.received})
    for (const auto& bin : *list) {
      if (bin.count == 0) continue;
      out.messages += bin.count;
      out.low = std::min(out.low, bin.min_bytes);
      out.high = std::max(out.high, bin.max_bytes.value_or(UINT64_MAX));
    }
  return out;
}

void check_site(const profile::Profile& run, const analysis::SiteSignature& site) {
  const profile::CallSite* source = run.callsite(site.callsite_id);
  expect(source != nullptr, name(site) + ": in the profile");
  if (source == nullptr) return;
  expect(site.function == source->function, name(site) + ": function");
  expect(site.calls == source->calls, name(site) + ": calls");
  expect(close(site.time_s, source->time_s), name(site) + ": time_s");
  expect(close(site.calls_per_rank, double(source->calls) / std::max(source->ranks, 1)),
         name(site) + ": calls per rank");
  expect(site.time_per_rank_max_s <= site.time_s * (1 + 1e-9), name(site) + ": slowest rank's time <= total time");
  expect(site.fraction_of_run >= 0 && site.fraction_of_run <= 1.0 + 1e-9, name(site) + ": fraction of run in [0, 1]");
  expect(close(site.imbalance_cv, source->time_per_rank.cv), name(site) + ": imbalance cv");
  const BinFacts bins = bin_facts(source->sizes);
  const double bytes = double(source->bytes_sent + source->bytes_received);
  if (bins.messages > 0) {
    expect(close(site.mean_message_bytes * double(bins.messages), bytes, 1e-6),
           name(site) + ": mean x messages = bytes");
    expect(site.mean_message_bytes >= double(bins.low) && site.mean_message_bytes <= double(bins.high),
           name(site) + ": mean message within its bins");
    expect(site.median_message_bytes >= bins.low && site.median_message_bytes <= bins.high,
           name(site) + ": median within its bins");
    expect(close(site.messages_per_s * run.wall_time_s * std::max(source->ranks, 1), double(bins.messages), 1e-6),
           name(site) + ": message rate x wall time x ranks = messages");
  }
  const std::string& category = source->category;
  const bool p2p_pattern =
      site.pattern == analysis::Pattern::PointToPoint || site.pattern == analysis::Pattern::NeighbourExchange;
  expect((category == "p2p") == p2p_pattern,
         name(site) + ": pattern " + analysis::to_string(site.pattern) + " agrees with category " + category);
  expect((category == "collective") == (site.pattern == analysis::Pattern::Collective), name(site) + ": collective");
  expect(site.compute_between_calls_s >= 0, name(site) + ": compute between calls >= 0");
  // Every peer is a rank that this site's messages could go to or come from: a pair in the matrix.
  std::set<int> matrix_ranks;
  for (const auto& pair : run.comm_matrix.pairs) {
    matrix_ranks.insert(pair.sender);
    matrix_ranks.insert(pair.receiver);
  }
  std::uint64_t peer_messages = 0;
  for (const auto& peer : site.peers) {
    expect(matrix_ranks.count(peer.peer) == 1, name(site) + ": peer " + std::to_string(peer.peer) + " in the matrix");
    peer_messages += peer.messages;
  }
  if (site.peers_from_trace) expect(peer_messages <= site.calls, name(site) + ": traced peer messages <= calls");
  for (std::size_t i = 1; i < site.peers.size(); ++i)
    expect(site.peers[i - 1].bytes >= site.peers[i].bytes, name(site) + ": peers by bytes");
  expect(site.wait.has_value() == source->wait.has_value(), name(site) + ": wait state");
  expect(site.compressibility.has_value() == source->compressibility.has_value(), name(site) + ": compressibility");
}

void check_pop(const profile::Profile& run, const analysis::PopMetrics& pop) {
  const auto& app = run.imbalance.app_time;
  if (app.max > 0)
    expect(close(pop.load_balance, app.mean / app.max, 1e-3),
           "POP load balance = profile app_time mean / max (" + std::to_string(pop.load_balance) + ")");
  expect(pop.communication_efficiency > 0 && pop.communication_efficiency <= 1,
         "POP communication efficiency in (0, 1]");
  expect(close(pop.parallel_efficiency, pop.load_balance * pop.communication_efficiency),
         "POP parallel = load balance x communication");
  expect(pop.serialisation_estimate && pop.transfer_estimate, "POP serialisation and transfer estimates");
  if (pop.serialisation_estimate && pop.transfer_estimate)
    expect(close(*pop.serialisation_estimate * *pop.transfer_estimate, pop.communication_efficiency, 1e-9),
           "POP serialisation x transfer = communication efficiency");
}

// Named regions: POP metrics per region from a trace (each region whose sites the trace saw), a
// note without one.
void check_regions(const profile::Profile& run, const analysis::WorkloadSignature& signature) {
  std::set<std::string> named;
  for (const auto& region : run.regions)
    if (!region.name.empty() && region.calls > 0) named.insert(region.name);
  if (named.empty()) return;
  if (!signature.traced) {
    const bool noted = std::any_of(signature.notes.begin(), signature.notes.end(), [](const std::string& note) {
      return note.find("per region") != std::string::npos;
    });
    expect(noted, "untraced: a note says per-region POP metrics need a trace");
    return;
  }
  for (const auto& name : named) {
    const auto found = std::find_if(signature.regions.begin(), signature.regions.end(),
                                    [&](const analysis::PopMetrics& pop) { return pop.scope == name; });
    expect(found != signature.regions.end(), "POP metrics of region " + name);
    if (found == signature.regions.end()) continue;
    expect(found->load_balance > 0 && found->load_balance <= 1, "region " + name + ": load balance in (0, 1]");
    expect(found->communication_efficiency >= 0 && found->communication_efficiency <= 1,
           "region " + name + ": communication efficiency in [0, 1]");
    expect(close(found->parallel_efficiency, found->load_balance * found->communication_efficiency),
           "region " + name + ": parallel = load balance x communication");
  }
}

struct ExpectedSite {
  std::string function;
  double mean_bytes = 0;
  int peer = -1;
};

void check_expected(const analysis::WorkloadSignature& signature, const ExpectedSite& expected) {
  bool found = false;
  for (const auto& site : signature.sites) {
    if (site.function != expected.function || !close(site.mean_message_bytes, expected.mean_bytes, 1e-6)) continue;
    found = true;
    if (expected.peer >= 0)
      expect(!site.peers.empty() && site.peers.front().peer == expected.peer,
             name(site) + ": first peer " + std::to_string(expected.peer));
  }
  expect(found, "a site " + expected.function + " with mean message " + std::to_string(expected.mean_bytes) + " bytes");
}

void check_recommendations(const profile::Profile& run, const std::filesystem::path& dir) {
  const analysis::Recommendations read =
      analysis::read_recommendations(commtune::run_directory::recommendations_path(dir));
  expect(read.ranks == run.ranks, "recommendations.yaml: ranks");
  expect(close(read.wall_time_s, run.wall_time_s, 1e-5), "recommendations.yaml: wall time");
  expect(read.command == run.command, "recommendations.yaml: command");
  for (std::size_t i = 0; i < read.recommendations.size(); ++i) {
    const analysis::Recommendation& r = read.recommendations[i];
    const std::string what = "recommendation " + std::to_string(r.rank) + " (" + analysis::to_string(r.technique) + ")";
    expect(r.rank == int(i + 1), what + ": numbered in order");
    double sites_s = 0;
    for (const auto& site : r.callsites) {
      expect(run.callsite(site.callsite_id) != nullptr, what + ": call site " + std::to_string(site.callsite_id));
      sites_s += site.time_s;
    }
    expect(r.gain.bound_s <= sites_s * (1 + 1e-5) + 1e-9, what + ": bound <= time at its sites");
    expect(r.gain.seconds <= r.gain.bound_s + 1e-9 && r.gain.ci_high_s <= r.gain.bound_s + 1e-9,
           what + ": gain and interval within the bound");
    expect(r.gain.ci_low_s <= r.gain.seconds + 1e-9 && r.gain.seconds <= r.gain.ci_high_s + 1e-9,
           what + ": interval holds the gain");
    expect(r.gain.significant == (r.gain.ci_low_s > 0 && r.gain.fraction_of_run >= analysis::kPracticalFraction),
           what + ": significant exactly when the interval excludes zero and the gain is practical");
    if (i > 0) {
      const auto& previous = read.recommendations[i - 1];
      expect(previous.gain.significant || !r.gain.significant, what + ": significant ones first");
      if (previous.gain.significant == r.gain.significant)
        expect(previous.gain.seconds >= r.gain.seconds - 1e-9, what + ": by predicted gain");
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s OUT [--trace] [--expect-site FUNCTION:MEAN_BYTES:PEER]...\n", argv[0]);
    return 2;
  }
  bool traced = false, recommendations = false;
  std::vector<ExpectedSite> expected;
  for (int i = 2; i < argc; ++i) {
    const std::string word = argv[i];
    if (word == "--trace") {
      traced = true;
    } else if (word == "--recommendations") {
      recommendations = true;
    } else if (word == "--expect-site" && i + 1 < argc) {
      std::istringstream in(argv[++i]);
      ExpectedSite site;
      std::string bytes, peer;
      std::getline(in, site.function, ':');
      std::getline(in, bytes, ':');
      std::getline(in, peer, ':');
      site.mean_bytes = std::atof(bytes.c_str());
      site.peer = peer.empty() ? -1 : std::atoi(peer.c_str());
      expected.push_back(site);
    } else {
      std::fprintf(stderr, "unknown argument %s\n", word.c_str());
      return 2;
    }
  }
  try {
    const profile::Profile run = profile::read_profile(argv[1]);
    if (recommendations) {
      check_recommendations(run, argv[1]);
      std::printf("check_signature --recommendations: %d checks, %d failed\n", g_checks, g_problems);
      return g_problems == 0 ? 0 : 1;
    }
    std::optional<commtune::trace::Trace> trace;
    if (traced) trace = commtune::trace::read_trace(argv[1]);
    const analysis::WorkloadSignature signature = analysis::characterise(run, trace ? &*trace : nullptr);
    expect(signature.ranks == run.ranks, "ranks");
    expect(signature.traced == traced, "traced");
    expect(signature.sites.size() == run.callsites.size(), "one signature per call site");
    for (std::size_t i = 1; i < signature.sites.size(); ++i)
      expect(signature.sites[i - 1].time_s >= signature.sites[i].time_s, "sites by time");
    for (const auto& site : signature.sites) check_site(run, site);
    check_pop(run, signature.run);
    if (traced) {
      bool any_traced_peers = false, any_traced_gaps = false;
      for (const auto& site : signature.sites) {
        any_traced_peers |= site.peers_from_trace;
        any_traced_gaps |= site.compute_from_trace;
      }
      expect(any_traced_peers, "some site has peers from the trace (sites joined by module + offset)");
      expect(any_traced_gaps, "some site has compute between calls from the trace");
    }
    check_regions(run, signature);
    for (const auto& site : expected) check_expected(signature, site);
  } catch (const std::exception& error) {
    std::printf("FAILED: %s\n", error.what());
    return 1;
  }
  std::printf("check_signature: %d checks, %d failed\n", g_checks, g_problems);
  return g_problems == 0 ? 0 : 1;
}
