#include "report/merge.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <tuple>

#include "commtune/pmpi/size_bins.hpp"
#include "report/category.hpp"
#include "report/format.hpp"

namespace commtune::report {

using pmpi::size_bin;
namespace {

// What makes two ranks' sites the same call site.
using SiteKey = std::tuple<std::string, std::string, std::vector<FrameAddress>>;  // function, region, frames

void add_counts(SizeCounts& into, const BinValues& counts) {
  for (const auto& [bin, count] : counts) into[bin] += count;
}

void add_counts(SizeCounts& into, const SizeCounts& counts) {
  for (const auto& [bin, count] : counts) into[bin] += count;
}

// The cost of a receive whose message had already arrived, per size bin: the fastest such
// receive seen on any rank, in seconds.
class ReceiveFloor {
 public:
  void add(int bin, double seconds) {
    auto [it, inserted] = floor_s_.emplace(bin, seconds);
    if (!inserted) it->second = std::min(it->second, seconds);
  }

  // The floor of `bin`, or of the nearest smaller bin measured; 0 when none is.
  double at(int bin) const {
    auto it = floor_s_.upper_bound(bin);
    return it == floor_s_.begin() ? 0.0 : std::prev(it)->second;
  }

 private:
  std::map<int, double> floor_s_;
};

// Blocked time beyond the cost of the same receive had the message been there (late sender:
// blocked receives; late receiver: blocking sends), for one rank at one site.
double point_to_point_wait(const SiteOnRank& on_rank, const ReceiveFloor& floor) {
  if (on_rank.wait_calls == 0) return 0;
  const int bin = size_bin(on_rank.wait_bytes / on_rank.wait_calls);
  return std::max(0.0, on_rank.wait_blocked_s - double(on_rank.wait_calls) * floor.at(bin));
}

void accumulate(SiteOnRank& on_rank, const DumpSite& site, double seconds_per_tick) {
  on_rank.calls += site.calls;
  on_rank.time_s += double(site.ticks) * seconds_per_tick;
  if (site.calls > 0) {
    on_rank.fastest_call_s = std::min(on_rank.fastest_call_s, double(site.min_ticks) * seconds_per_tick);
    on_rank.slowest_call_s = std::max(on_rank.slowest_call_s, double(site.max_ticks) * seconds_per_tick);
  }
  on_rank.bytes_sent += site.bytes_sent;
  on_rank.bytes_received += site.bytes_received;
  if (site.wait_kind != "none") on_rank.wait_kind = site.wait_kind;
  on_rank.wait_calls += site.wait_calls;
  on_rank.wait_blocked_s += double(site.wait_ticks) * seconds_per_tick;
  on_rank.wait_bytes += site.wait_bytes;
  on_rank.requests += site.requests;
  on_rank.request_life_s += double(site.request_life_ticks) * seconds_per_tick;
  on_rank.request_inside_s += double(site.request_inside_ticks) * seconds_per_tick;
}

void name_function(FunctionTotals& totals, const std::string& name, const std::string& category) {
  totals.name = name;
  totals.category = category;
}

void accumulate(FunctionTotals& totals, const DumpSite& site, double seconds_per_tick) {
  totals.calls += site.calls;
  totals.time_s += double(site.ticks) * seconds_per_tick;
  totals.bytes_sent += site.bytes_sent;
  totals.bytes_received += site.bytes_received;
  add_counts(totals.sent_sizes, site.sent_sizes);
  add_counts(totals.received_sizes, site.received_sizes);
}

std::vector<FunctionTotals> by_time(std::map<std::string, FunctionTotals>&& functions) {
  std::vector<FunctionTotals> sorted;
  for (auto& [name, totals] : functions) sorted.push_back(std::move(totals));
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.time_s > b.time_s; });
  return sorted;
}

// Sums over ranks, the spread of time over `ranks`, and the wait-state estimates of one site.
void finish_site(CallSiteStats& site, const std::vector<int>& ranks, const ReceiveFloor& floor) {
  double fastest_collective_s = std::numeric_limits<double>::infinity();
  for (const auto& [rank, on_rank] : site.by_rank)
    if (on_rank.calls > 0) fastest_collective_s = std::min(fastest_collective_s, on_rank.fastest_call_s);

  std::vector<std::pair<int, double>> time_by_rank;
  for (int rank : ranks) {
    auto it = site.by_rank.find(rank);
    time_by_rank.emplace_back(rank, it == site.by_rank.end() ? 0.0 : it->second.time_s);
  }
  site.time_per_rank = spread_over_ranks(time_by_rank);

  for (auto& [rank, on_rank] : site.by_rank) {
    site.calls += on_rank.calls;
    site.time_s += on_rank.time_s;
    site.bytes_sent += on_rank.bytes_sent;
    site.bytes_received += on_rank.bytes_received;
    site.requests += on_rank.requests;
    site.request_life_s += on_rank.request_life_s;
    site.request_inside_s += on_rank.request_inside_s;
    if (on_rank.calls > 0) ++site.ranks_calling;

    if (on_rank.wait_kind == "late_sender" || on_rank.wait_kind == "late_receiver") {
      on_rank.wait_s = point_to_point_wait(on_rank, floor);
      site.wait_instances += on_rank.wait_calls;
    } else if (on_rank.wait_kind == "collective" && on_rank.calls > 0) {
      // Time beyond the fastest instance of this call site on any rank: waiting for the last
      // rank to arrive.
      on_rank.wait_s = std::max(0.0, on_rank.time_s - double(on_rank.calls) * fastest_collective_s);
      site.wait_instances += on_rank.calls;
    }
    if (on_rank.wait_kind != "none" && site.wait_kind == "none") site.wait_kind = on_rank.wait_kind;
    site.wait_s += on_rank.wait_s;
    if (on_rank.wait_s > site.wait_max_rank_s) {
      site.wait_max_rank_s = on_rank.wait_s;
      site.wait_max_rank = rank;
    }
  }
}

// Crashes first: the likely cause; then the signals a launcher sends to the other ranks.
int reason_order(const std::string& reason) {
  if (reason == "SIGSEGV" || reason == "SIGBUS" || reason == "SIGABRT" || reason == "abort") return 0;
  if (reason == "snapshot") return 2;
  return 1;
}

std::string describe_partial(const std::vector<RankDump>& dumps, const std::vector<int>& missing,
                             const std::set<int>& unreadable_ranks, const std::string& fallback_reason) {
  std::map<std::string, std::vector<int>> ranks_by_reason;
  for (const RankDump& dump : dumps)
    if (dump.reason != "finalize") ranks_by_reason[dump.reason].push_back(dump.rank);
  std::vector<std::pair<std::string, std::vector<int>>> groups(ranks_by_reason.begin(), ranks_by_reason.end());
  std::stable_sort(groups.begin(), groups.end(), [](const auto& a, const auto& b) {
    return std::pair(reason_order(a.first), a.second.front()) < std::pair(reason_order(b.first), b.second.front());
  });
  std::vector<int> unreadable;
  std::vector<int> without_dump;
  for (int rank : missing) (unreadable_ranks.contains(rank) ? unreadable : without_dump).push_back(rank);
  if (!unreadable.empty()) groups.emplace_back("unreadable dump", unreadable);
  if (!without_dump.empty()) groups.emplace_back("no dump", without_dump);

  std::vector<std::string> parts;
  if (!fallback_reason.empty()) parts.push_back(fallback_reason);
  for (const auto& [reason, ranks] : groups) parts.push_back(ranks_text(ranks) + ": " + reason);
  return fmt::format("{}", fmt::join(parts, "; "));
}

void add_unique(std::vector<std::string>& to, const std::vector<std::string>& from) {
  for (const std::string& item : from)
    if (std::find(to.begin(), to.end(), item) == to.end()) to.push_back(item);
}

void merge_counter_setup(CounterSetup& run, const CounterSetup& rank) {
  add_unique(run.measured, rank.measured);
  add_unique(run.notes, rank.notes);
  run.fallback = run.fallback || rank.fallback;
}

// A site's counters (by the rank's event names) and payload samples.
void add_measurements(CallSiteStats& stats, RankSummary& summary, const RankDump& dump, const DumpSite& site) {
  for (std::size_t i = 0; i < site.counters.size() && i < dump.counters.measured.size(); ++i) {
    stats.counters[dump.counters.measured[i]] += site.counters[i];
    summary.counters[dump.counters.measured[i]] += site.counters[i];
  }
  const double seconds_per_tick = 1.0 / double(dump.ticks_per_second);
  PayloadTotals& payload = stats.payload;
  payload.samples += site.payload.samples;
  payload.sampled_bytes += site.payload.sampled_bytes;
  payload.lz4_bytes += site.payload.lz4_bytes;
  payload.zstd_bytes += site.payload.zstd_bytes;
  payload.lz4_s += double(site.payload.lz4_ticks) * seconds_per_tick;
  payload.zstd_s += double(site.payload.zstd_ticks) * seconds_per_tick;
}

}  // namespace

Spread spread_over_ranks(const std::vector<std::pair<int, double>>& values) {
  Spread spread;
  if (values.empty()) return spread;
  spread.min = spread.max = values.front().second;
  spread.min_rank = spread.max_rank = values.front().first;
  double sum = 0;
  for (const auto& [rank, value] : values) {
    sum += value;
    if (value < spread.min || (value == spread.min && rank < spread.min_rank)) {
      spread.min = value;
      spread.min_rank = rank;
    }
    if (value > spread.max || (value == spread.max && rank < spread.max_rank)) {
      spread.max = value;
      spread.max_rank = rank;
    }
  }
  spread.mean = sum / double(values.size());
  double squares = 0;
  for (const auto& [rank, value] : values) squares += (value - spread.mean) * (value - spread.mean);
  spread.cv = spread.mean > 0 ? std::sqrt(squares / double(values.size())) / spread.mean : 0.0;
  return spread;
}

double MergedRun::mpi_fraction() const {
  return wall_s > 0 && !ranks.empty() ? mpi_s / (wall_s * double(ranks.size())) : 0.0;
}

double MergedRun::communication_fraction() const {
  return wall_s > 0 && !ranks.empty() ? communication_s / (wall_s * double(ranks.size())) : 0.0;
}

bool is_startup(std::string_view function) { return function == "MPI_Init" || function == "MPI_Init_thread"; }
bool is_shutdown(std::string_view function) { return function == "MPI_Finalize"; }

MergedRun merge_dumps(std::vector<RankDump> dumps, const std::set<int>& unreadable_ranks,
                      const std::string& fallback_reason) {
  std::sort(dumps.begin(), dumps.end(), [](const auto& a, const auto& b) { return a.rank < b.rank; });
  MergedRun run;
  if (dumps.empty()) return run;
  const RankDump& lowest = dumps.front();
  run.program = lowest.program;
  run.command = lowest.command;
  run.mpi_library = lowest.mpi_library;
  run.clock_source = lowest.clock;
  run.seconds_per_tick = 1.0 / double(lowest.ticks_per_second);
  run.start_unix_ns = lowest.start_unix_ns;
  run.size = lowest.size;
  run.counters.requested = lowest.counters.requested;
  run.payload_sampling = lowest.payload_sampling;

  ReceiveFloor floor;
  for (const RankDump& dump : dumps)
    for (const auto& [bin, ticks] : dump.size_floor_ticks)
      floor.add(bin, double(ticks) / double(dump.ticks_per_second));

  std::map<SiteKey, std::size_t> site_index;
  std::map<std::string, FunctionTotals> functions;
  std::map<std::string, RegionTotals> regions;
  std::vector<int> ranks;
  for (const RankDump& dump : dumps) {
    const double seconds_per_tick = 1.0 / double(dump.ticks_per_second);
    ranks.push_back(dump.rank);
    RankSummary summary;
    summary.rank = dump.rank;
    summary.host = dump.host;
    summary.reason = dump.reason;
    summary.pid = dump.pid;
    summary.threads = dump.threads;
    summary.wall_s = double(dump.wall_ns) * 1e-9;
    std::map<std::string, FunctionTotals> rank_functions;
    for (const DumpSite& site : dump.sites) {
      const std::string category = site.category.empty() ? category_of_function(site.function) : site.category;
      auto [index, inserted] =
          site_index.try_emplace(SiteKey{site.function, site.region, site.frames}, run.callsites.size());
      if (inserted) {
        CallSiteStats& stats = run.callsites.emplace_back();
        stats.function = site.function;
        stats.category = category;
        stats.region = site.region;
        for (const auto& [module, offset] : site.frames) {
          Frame& frame = stats.frames.emplace_back();
          frame.module = module;
          frame.offset = offset;
        }
      }
      CallSiteStats& stats = run.callsites[index->second];
      accumulate(stats.by_rank[dump.rank], site, seconds_per_tick);
      add_counts(stats.sent_sizes, site.sent_sizes);
      add_counts(stats.received_sizes, site.received_sizes);
      stats.comm_size = std::max(stats.comm_size, site.comm_size);
      add_measurements(stats, summary, dump, site);

      FunctionTotals& rank_totals = rank_functions[site.function];
      if (rank_totals.name.empty()) name_function(rank_totals, site.function, category);
      accumulate(rank_totals, site, seconds_per_tick);
      const double site_s = double(site.ticks) * seconds_per_tick;
      summary.mpi_s += site_s;
      if (is_startup(site.function)) summary.startup_s += site_s;
      if (is_shutdown(site.function)) summary.shutdown_s += site_s;

      RegionTotals& region = regions[site.region];
      region.name = site.region;
      region.calls += site.calls;
      region.time_s += double(site.ticks) * seconds_per_tick;
      region.bytes_sent += site.bytes_sent;
      region.bytes_received += site.bytes_received;
    }
    for (const auto& [name, rank_totals] : rank_functions) {
      FunctionTotals& totals = functions[name];
      if (totals.name.empty()) name_function(totals, name, rank_totals.category);
      totals.calls += rank_totals.calls;
      totals.time_s += rank_totals.time_s;
      totals.bytes_sent += rank_totals.bytes_sent;
      totals.bytes_received += rank_totals.bytes_received;
      add_counts(totals.sent_sizes, rank_totals.sent_sizes);
      add_counts(totals.received_sizes, rank_totals.received_sizes);
    }
    // With several threads in MPI at once, MPI time can exceed wall time: application time is
    // then 0 rather than negative.
    summary.app_s = std::max(0.0, summary.wall_s - summary.mpi_s);
    summary.communication_s = std::max(0.0, summary.mpi_s - summary.startup_s - summary.shutdown_s);
    summary.functions = by_time(std::move(rank_functions));
    for (const MatrixRow& row : dump.matrix) {
      Traffic& traffic = run.traffic[{dump.rank, row.destination}];
      traffic.messages += row.messages;
      traffic.bytes += row.bytes;
    }
    run.wall_s = std::max(run.wall_s, summary.wall_s);
    run.mpi_s += summary.mpi_s;
    run.startup_s += summary.startup_s;
    run.shutdown_s += summary.shutdown_s;
    run.communication_s += summary.communication_s;
    run.app_s += summary.app_s;
    run.untracked_requests += dump.untracked_requests;
    run.callsite_depth = std::max(run.callsite_depth, int(dump.callsite_depth));
    merge_counter_setup(run.counters, dump.counters);
    run.ranks.push_back(std::move(summary));
  }
  run.functions = by_time(std::move(functions));
  for (auto& [name, region] : regions) run.regions.push_back(std::move(region));
  std::stable_sort(run.regions.begin(), run.regions.end(),
                   [](const auto& a, const auto& b) { return a.time_s > b.time_s; });

  for (CallSiteStats& site : run.callsites) {
    finish_site(site, ranks, floor);
    for (const auto& [rank, on_rank] : site.by_rank) {
      if (on_rank.wait_kind == "late_sender") run.late_sender_s += on_rank.wait_s;
      if (on_rank.wait_kind == "late_receiver") run.late_receiver_s += on_rank.wait_s;
      if (on_rank.wait_kind == "collective") run.collective_wait_s += on_rank.wait_s;
    }
  }
  // Equal times keep the order of first appearance (lowest rank first): ids are reproducible.
  std::stable_sort(run.callsites.begin(), run.callsites.end(),
                   [](const auto& a, const auto& b) { return a.time_s > b.time_s; });
  for (std::size_t i = 0; i < run.callsites.size(); ++i) run.callsites[i].id = int(i) + 1;

  std::vector<std::pair<int, double>> mpi_by_rank;
  std::vector<std::pair<int, double>> app_by_rank;
  for (const RankSummary& summary : run.ranks) {
    mpi_by_rank.emplace_back(summary.rank, summary.mpi_s);
    app_by_rank.emplace_back(summary.rank, summary.app_s);
  }
  run.mpi_time = spread_over_ranks(mpi_by_rank);
  run.app_time = spread_over_ranks(app_by_rank);

  for (int rank = 0, next = 0; rank < run.size; ++rank) {
    if (next < int(ranks.size()) && ranks[next] == rank)
      ++next;
    else
      run.missing_ranks.push_back(rank);
  }
  run.complete = run.missing_ranks.empty() &&
                 std::all_of(dumps.begin(), dumps.end(), [](const auto& dump) { return dump.reason == "finalize"; });
  if (!run.complete) run.partial_reason = describe_partial(dumps, run.missing_ranks, unreadable_ranks, fallback_reason);
  return run;
}

std::vector<const CallSiteStats*> most_imbalanced(const MergedRun& run, std::size_t limit) {
  auto deviation = [](const CallSiteStats* site) { return site->time_per_rank.cv * site->time_per_rank.mean; };
  std::vector<const CallSiteStats*> sites;
  for (const CallSiteStats& site : run.callsites)
    if (site.time_per_rank.cv > 0) sites.push_back(&site);
  std::stable_sort(sites.begin(), sites.end(), [&](const auto* a, const auto* b) {
    return std::pair(deviation(a), a->time_s) > std::pair(deviation(b), b->time_s);
  });
  if (sites.size() > limit) sites.resize(limit);
  return sites;
}

std::vector<const CallSiteStats*> waiting_sites(const MergedRun& run) {
  std::vector<const CallSiteStats*> sites;
  for (const CallSiteStats& site : run.callsites)
    if (site.wait_s > 0) sites.push_back(&site);
  std::stable_sort(sites.begin(), sites.end(), [](const auto* a, const auto* b) { return a->wait_s > b->wait_s; });
  return sites;
}

std::vector<const CallSiteStats*> request_sites(const MergedRun& run) {
  std::vector<const CallSiteStats*> sites;
  for (const CallSiteStats& site : run.callsites)
    if (site.requests > 0) sites.push_back(&site);
  std::stable_sort(sites.begin(), sites.end(),
                   [](const auto* a, const auto* b) { return a->request_life_s > b->request_life_s; });
  return sites;
}

double overlap_fraction(const CallSiteStats& site) {
  if (site.request_life_s <= 0) return 0;
  return std::clamp(1.0 - site.request_inside_s / site.request_life_s, 0.0, 1.0);
}

}  // namespace commtune::report
