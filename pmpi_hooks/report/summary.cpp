#include "report/summary.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <iterator>
#include <set>
#include <utility>

#include "commtune/pmpi/size_bins.hpp"
#include "report/format.hpp"
#include "report/profile_json.hpp"

namespace commtune::report {

using pmpi::size_bin_max_bytes;
using pmpi::size_bin_min_bytes;
namespace {

constexpr std::size_t kLineWidth = 110;
constexpr std::size_t kLocationIndent = 6;
constexpr int kRanksShownOneByOne = 16;
constexpr std::size_t kTopSites = 20;
constexpr std::size_t kImbalanceSites = 10;
constexpr std::size_t kHeaviestPairs = 20;

using Out = std::back_insert_iterator<std::string>;

std::string base_name(const std::string& path) { return std::filesystem::path(path).filename().string(); }

// Cuts the middle out of `text` to fit `width`: both ends of a path or a symbol say the most.
std::string fit(const std::string& text, std::size_t width) {
  if (text.size() <= width || width < 5) return text;
  const std::size_t head = (width - 3) / 2;
  return text.substr(0, head) + "..." + text.substr(text.size() - (width - 3 - head));
}

// `text` after `prefix`, in lines of at most kLineWidth characters aligned under the first.
void wrap(Out out, const std::string& text, const std::string& prefix) {
  const std::string indent(prefix.size(), ' ');
  std::string line;
  bool first = true;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    const std::string word = text.substr(start, end - start);
    if (!line.empty() && indent.size() + line.size() + 1 + word.size() > kLineWidth) {
      fmt::format_to(out, "{}{}\n", std::exchange(first, false) ? prefix : indent, line);
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
    start = end + 1;
  }
  if (!line.empty() || first) fmt::format_to(out, "{}{}\n", first ? prefix : indent, line);
}

// One table row: the cells, then the location; on a line of its own, indented, when both do
// not fit on one.
void write_row(Out out, const std::string& cells, const CallSiteStats& site) {
  const std::string location = site_location(site, kLineWidth - kLocationIndent);
  if (cells.size() + location.size() <= kLineWidth)
    fmt::format_to(out, "{}{}\n", cells, location);
  else
    fmt::format_to(out, "{}\n{:{}}{}\n", cells.substr(0, cells.find_last_not_of(' ') + 1), "", kLocationIndent,
                   location);
}

void section(Out out, const std::string& title) {
  fmt::format_to(out, "\n{}\n{}\n", title, std::string(title.size(), '-'));
}

std::size_t function_width(const std::vector<const CallSiteStats*>& sites) {
  std::size_t width = 8;
  for (const CallSiteStats* site : sites) width = std::max(width, site->function.size());
  return width;
}

std::vector<const CallSiteStats*> top_sites(const MergedRun& run, std::size_t limit) {
  std::vector<const CallSiteStats*> sites;
  for (const CallSiteStats& site : run.callsites)
    if (sites.size() < limit) sites.push_back(&site);
  return sites;
}

// A power of two in bytes, exactly: "512", "64K", "2M".
std::string power_of_two_bytes(std::uint64_t bytes) {
  constexpr std::array<const char*, 5> kUnits = {"", "K", "M", "G", "T"};
  std::size_t unit = 0;
  while (bytes >= 1024 && bytes % 1024 == 0 && unit + 1 < kUnits.size()) {
    bytes /= 1024;
    ++unit;
  }
  return fmt::format("{}{}", bytes, kUnits[unit]);
}

std::string size_range(int bin) {
  if (bin == 0) return "0";
  const std::string low = power_of_two_bytes(size_bin_min_bytes(bin));
  const auto max = size_bin_max_bytes(bin);
  return max ? fmt::format("[{}, {})", low, power_of_two_bytes(*max + 1)) : fmt::format("[{}, ...)", low);
}

void write_header(Out out, const MergedRun& run, const std::vector<std::string>& dump_errors) {
  std::set<std::string> hosts;
  for (const RankSummary& rank : run.ranks) hosts.insert(rank.host);
  std::string host_names;
  for (const std::string& host : hosts) {
    if (host_names.size() > 60) {
      host_names += ", ...";
      break;
    }
    host_names += (host_names.empty() ? "" : ", ") + host;
  }
  const double rank_time_s = run.wall_s * run.ranks_reported();
  fmt::format_to(out, "commtune summary of {} (schema {})\n\n", run.program.empty() ? "a run" : run.program,
                 kProfileSchema);
  wrap(out, run.command, "command      ");
  fmt::format_to(out, "program      {}\n", run.program);
  fmt::format_to(out, "MPI library  {}\n", run.mpi_library);
  fmt::format_to(out, "ranks        {} on {} host{}: {}\n", run.size, hosts.size(), hosts.size() == 1 ? "" : "s",
                 host_names);
  if (run.complete) {
    fmt::format_to(out, "status       complete\n");
  } else {
    wrap(out,
         fmt::format("PARTIAL profile ({} of {} ranks reported): {}", run.ranks_reported(), run.size,
                     run.partial_reason),
         "status       ");
  }
  for (const std::string& error : dump_errors) wrap(out, error, "left out     ");
  fmt::format_to(out, "wall time    {} (the longest rank, from MPI_Init to MPI_Finalize or the dump)\n",
                 human_seconds(run.wall_s));
  fmt::format_to(out, "MPI time     {} of {} over the ranks reported: {}\n", human_seconds(run.mpi_s),
                 human_seconds(rank_time_s), percent(run.mpi_s, rank_time_s));
  const double ranks = std::max<double>(1.0, double(run.ranks.size()));
  fmt::format_to(out, "start-up     {} per rank in MPI_Init, shut-down {} per rank in MPI_Finalize\n",
                 human_seconds(run.startup_s / ranks), human_seconds(run.shutdown_s / ranks));
  fmt::format_to(out, "comm. time   {} over the ranks reported: {} (MPI time without start-up and shut-down)\n",
                 human_seconds(run.communication_s), percent(run.communication_s, rank_time_s));
  fmt::format_to(out, "clock        {}, {:.4g} ns per tick\n", run.clock_source, run.seconds_per_tick * 1e9);
  if (run.start_unix_ns > 0) fmt::format_to(out, "started      {}\n", iso8601_utc(run.start_unix_ns));
  fmt::format_to(out, "call sites   {} (stack depth {})\n", run.callsites.size(), run.callsite_depth);
  if (run.untracked_requests > 0)
    fmt::format_to(out, "note         {} nonblocking requests could not be followed to completion\n",
                   run.untracked_requests);
}

void write_time_per_rank(Out out, const MergedRun& run) {
  section(out, "Time per rank");
  if (run.ranks_reported() <= kRanksShownOneByOne) {
    const bool show_reason = !run.complete;
    std::size_t host_width = 4;
    for (const RankSummary& rank : run.ranks) host_width = std::max(host_width, rank.host.size());
    host_width = std::min<std::size_t>(host_width, 24);
    fmt::format_to(out, "{:>5}  {:<{}}  {:>10}  {:>10}  {:>10}  {:>6}{}\n", "rank", "host", host_width, "wall", "MPI",
                   "app", "MPI %", show_reason ? "  reason" : "");
    for (const RankSummary& rank : run.ranks)
      fmt::format_to(out, "{:>5}  {:<{}}  {:>10}  {:>10}  {:>10}  {:>6}{}\n", rank.rank, fit(rank.host, host_width),
                     host_width, human_seconds(rank.wall_s), human_seconds(rank.mpi_s), human_seconds(rank.app_s),
                     percent(rank.mpi_s, rank.wall_s), show_reason ? "  " + rank.reason : "");
    return;
  }
  fmt::format_to(out, "{} ranks reported; every rank is in profile.json (per_rank).\n", run.ranks_reported());
  fmt::format_to(out, "{:<9} {:>22} {:>10} {:>22} {:>6}\n", "", "min (rank)", "mean", "max (rank)", "cv");
  auto spread_row = [&](const char* what, const Spread& spread) {
    fmt::format_to(out, "{:<9} {:>22} {:>10} {:>22} {:>6.2f}\n", what,
                   fmt::format("{} ({})", human_seconds(spread.min), spread.min_rank), human_seconds(spread.mean),
                   fmt::format("{} ({})", human_seconds(spread.max), spread.max_rank), spread.cv);
  };
  spread_row("MPI time", run.mpi_time);
  spread_row("app time", run.app_time);
  std::vector<const RankSummary*> by_mpi;
  for (const RankSummary& rank : run.ranks) by_mpi.push_back(&rank);
  std::stable_sort(by_mpi.begin(), by_mpi.end(), [](const auto* a, const auto* b) { return a->mpi_s > b->mpi_s; });
  auto extremes = [&](const char* what, auto first, auto last) {
    std::string list;
    for (auto it = first; it != last; ++it)
      list += fmt::format("{}rank {} ({})", list.empty() ? "" : ", ", (*it)->rank, human_seconds((*it)->mpi_s));
    fmt::format_to(out, "{:<21}{}\n", what, list);
  };
  const std::size_t shown = std::min<std::size_t>(4, by_mpi.size());
  extremes("most MPI time:", by_mpi.begin(), by_mpi.begin() + std::ptrdiff_t(shown));
  extremes("least MPI time:", by_mpi.rbegin(), by_mpi.rbegin() + std::ptrdiff_t(shown));
}

void write_top_sites(Out out, const MergedRun& run) {
  const auto sites = top_sites(run, kTopSites);
  section(out,
          fmt::format("Top call sites by time ({} of {}; all in profile.json)", sites.size(), run.callsites.size()));
  if (sites.empty()) {
    fmt::format_to(out, "none recorded\n");
    return;
  }
  const std::size_t name_width = function_width(sites);
  fmt::format_to(out, "{:>3}  {:<{}} {:>9} {:>9} {:>6} {:>9} {:>9} {:>5} {:>6}  location\n", "id", "function",
                 name_width, "calls", "time", "%MPI", "mean/rank", "max/rank", "cv", "bytes");
  for (const CallSiteStats* site : sites)
    write_row(out,
              fmt::format("{:>3}  {:<{}} {:>9} {:>9} {:>6} {:>9} {:>9} {:>5.2f} {:>6}  ", site->id, site->function,
                          name_width, site->calls, human_seconds(site->time_s), percent(site->time_s, run.mpi_s),
                          human_seconds(site->time_per_rank.mean), human_seconds(site->time_per_rank.max),
                          site->time_per_rank.cv, human_bytes(double(site->bytes_sent + site->bytes_received))),
              *site);
  fmt::format_to(out,
                 "time: summed over ranks; mean/rank, max/rank, cv: over the {} ranks reported (0 where a "
                 "rank never called it)\n",
                 run.ranks_reported());
}

void write_message_sizes(Out out, const MergedRun& run) {
  section(out, "Message sizes (messages per size range; K = 1024 bytes)");
  std::size_t name_width = 8;
  bool any = false;
  for (const FunctionTotals& totals : run.functions)
    if (!totals.sent_sizes.empty() || !totals.received_sizes.empty()) {
      name_width = std::max(name_width, totals.name.size());
      any = true;
    }
  if (!any) {
    fmt::format_to(out, "no messages recorded\n");
    return;
  }
  fmt::format_to(out, "{:<{}}  {:<14} {:>12} {:>12}\n", "function", name_width, "size (bytes)", "sent", "received");
  for (const FunctionTotals& totals : run.functions) {
    SizeCounts bins;
    for (const auto& [bin, count] : totals.sent_sizes) bins[bin] += count;
    for (const auto& [bin, count] : totals.received_sizes) bins[bin] += count;
    bool first = true;
    for (const auto& [bin, count] : bins) {
      if (count == 0) continue;
      auto count_in = [bin](const SizeCounts& counts) {
        auto it = counts.find(bin);
        return it == counts.end() ? std::uint64_t{0} : it->second;
      };
      fmt::format_to(out, "{:<{}}  {:<14} {:>12} {:>12}\n", first ? totals.name : "", name_width, size_range(bin),
                     count_in(totals.sent_sizes), count_in(totals.received_sizes));
      first = false;
    }
  }
}

void write_imbalance(Out out, const MergedRun& run) {
  section(out, "Imbalance (MPI time per rank)");
  fmt::format_to(out, "MPI time per rank: min {} (rank {}), mean {}, max {} (rank {}), cv {:.2f}\n",
                 human_seconds(run.mpi_time.min), run.mpi_time.min_rank, human_seconds(run.mpi_time.mean),
                 human_seconds(run.mpi_time.max), run.mpi_time.max_rank, run.mpi_time.cv);
  const auto sites = most_imbalanced(run, kImbalanceSites);
  if (sites.empty()) {
    fmt::format_to(out, "no call site's time differs across ranks\n");
    return;
  }
  fmt::format_to(out,
                 "call sites whose time differs most across ranks (by standard deviation; a rank that never "
                 "called one counts 0):\n");
  const std::size_t name_width = function_width(sites);
  fmt::format_to(out, "{:>3}  {:<{}} {:>18} {:>9} {:>18} {:>5}  location\n", "id", "function", name_width, "min (rank)",
                 "mean", "max (rank)", "cv");
  for (const CallSiteStats* site : sites) {
    const Spread& spread = site->time_per_rank;
    write_row(
        out,
        fmt::format("{:>3}  {:<{}} {:>18} {:>9} {:>18} {:>5.2f}  ", site->id, site->function, name_width,
                    fmt::format("{} ({})", human_seconds(spread.min), spread.min_rank), human_seconds(spread.mean),
                    fmt::format("{} ({})", human_seconds(spread.max), spread.max_rank), spread.cv),
        *site);
  }
}

void write_wait_states(Out out, const MergedRun& run) {
  section(out, "Wait states (estimated)");
  fmt::format_to(out, "late sender         {:>10}  receives that waited for a message not yet sent\n",
                 human_seconds(run.late_sender_s));
  fmt::format_to(out, "late receiver       {:>10}  blocking sends that waited for the receiver\n",
                 human_seconds(run.late_receiver_s));
  fmt::format_to(out, "wait at collective  {:>10}  ranks in a collective waiting for the last one to arrive\n",
                 human_seconds(run.collective_wait_s));
  const auto sites = waiting_sites(run);
  if (!sites.empty()) {
    const std::size_t name_width = function_width(sites);
    fmt::format_to(out, "{:>3}  {:<{}} {:<13} {:>9} {:>10} {:>18}  location\n", "id", "function", name_width, "kind",
                   "waited", "instances", "max/rank (rank)");
    for (const CallSiteStats* site : sites)
      write_row(out,
                fmt::format("{:>3}  {:<{}} {:<13} {:>9} {:>10} {:>18}  ", site->id, site->function, name_width,
                            site->wait_kind, human_seconds(site->wait_s), site->wait_instances,
                            fmt::format("{} ({})", human_seconds(site->wait_max_rank_s), site->wait_max_rank)),
                *site);
  }
  wrap(out, std::string("Method: ") + kWaitStateMethod, "");
}

void write_requests(Out out, const MergedRun& run) {
  const auto sites = request_sites(run);
  section(out, "Nonblocking requests");
  if (sites.empty()) {
    fmt::format_to(out, "none posted\n");
    return;
  }
  fmt::format_to(out,
                 "lifetime: from posting (or MPI_Start) to completion; overlap: the part of it spent outside "
                 "MPI_Wait*/MPI_Test*\n");
  const std::size_t name_width = function_width(sites);
  fmt::format_to(out, "{:>3}  {:<{}} {:>9} {:>9} {:>9} {:>13} {:>8}  location\n", "id", "function", name_width,
                 "requests", "lifetime", "mean", "in completion", "overlap");
  for (const CallSiteStats* site : sites)
    write_row(out,
              fmt::format("{:>3}  {:<{}} {:>9} {:>9} {:>9} {:>13} {:>8}  ", site->id, site->function, name_width,
                          site->requests, human_seconds(site->request_life_s),
                          human_seconds(site->request_life_s / double(site->requests)),
                          human_seconds(site->request_inside_s), fmt::format("{:.1f}%", 100 * overlap_fraction(*site))),
              *site);
}

// COMMTUNE_PAPI: what was counted instead of what was asked, and the sites after the heaviest phases.
void write_counters(Out out, const MergedRun& run) {
  const CounterSetup& setup = run.counters;
  if (setup.requested.empty()) return;
  section(out, "Counters (application phase before each call site)");
  fmt::format_to(out, "requested: {}\nmeasured:  {}{}\n", fmt::join(setup.requested, ", "),
                 setup.measured.empty() ? "nothing" : fmt::format("{}", fmt::join(setup.measured, ", ")),
                 setup.fallback ? " (software events stand in: fallback)" : "");
  for (const std::string& note : setup.notes) wrap(out, note, "note: ");
  if (setup.measured.empty()) return;
  const std::string& first = setup.measured.front();
  std::vector<const CallSiteStats*> sites;
  for (const CallSiteStats& site : run.callsites)
    if (site.counters.contains(first) && site.counters.at(first) > 0) sites.push_back(&site);
  std::stable_sort(sites.begin(), sites.end(),
                   [&](const auto* a, const auto* b) { return a->counters.at(first) > b->counters.at(first); });
  if (sites.size() > kTopSites) sites.resize(kTopSites);
  const std::size_t name_width = function_width(sites);
  fmt::format_to(out, "{:>3}  {:<{}}", "id", "function", name_width);
  for (const std::string& name : setup.measured) fmt::format_to(out, " {:>20}", fit(name, 20));
  fmt::format_to(out, "  location\n");
  for (const CallSiteStats* site : sites) {
    std::string cells = fmt::format("{:>3}  {:<{}}", site->id, site->function, name_width);
    for (const std::string& name : setup.measured) {
      const auto it = site->counters.find(name);
      cells += fmt::format(" {:>20}", it == site->counters.end() ? 0 : it->second);
    }
    write_row(out, cells + "  ", *site);
  }
}

// Compressibility of sampled send payloads, for the sites that were sampled.
void write_compressibility(Out out, const MergedRun& run) {
  std::vector<const CallSiteStats*> sites;
  for (const CallSiteStats& site : run.callsites)
    if (site.payload.samples > 0) sites.push_back(&site);
  if (sites.empty()) return;
  section(out, "Compressibility of send payloads (sampled)");
  fmt::format_to(out, "1 in {} sends of >= {} bytes per site, {} bytes per sample; ratio = original / compressed\n",
                 run.payload_sampling.every, run.payload_sampling.min_bytes, run.payload_sampling.sample_bytes);
  const std::size_t name_width = function_width(sites);
  fmt::format_to(out, "{:>3}  {:<{}} {:>7} {:>9} {:>11} {:>9} {:>11}  location\n", "id", "function", name_width,
                 "samples", "lz4", "lz4 MB/s", "zstd-1", "zstd MB/s");
  auto ratio = [](std::uint64_t original, std::uint64_t compressed) {
    return compressed ? double(original) / double(compressed) : 0.0;
  };
  auto speed = [](std::uint64_t bytes, double seconds) { return seconds > 0 ? double(bytes) / seconds / 1e6 : 0.0; };
  for (const CallSiteStats* site : sites) {
    const PayloadTotals& p = site->payload;
    write_row(out,
              fmt::format("{:>3}  {:<{}} {:>7} {:>9.2f} {:>11.0f} {:>9.2f} {:>11.0f}  ", site->id, site->function,
                          name_width, p.samples, ratio(p.sampled_bytes, p.lz4_bytes), speed(p.sampled_bytes, p.lz4_s),
                          ratio(p.sampled_bytes, p.zstd_bytes), speed(p.sampled_bytes, p.zstd_s)),
              *site);
  }
}

void write_regions(Out out, const MergedRun& run) {
  const bool named = std::any_of(run.regions.begin(), run.regions.end(), [](const auto& r) { return !r.name.empty(); });
  if (!named) return;
  section(out, "Regions (MPI_Pcontrol)");
  std::size_t name_width = 17;  // "(outside regions)"
  for (const RegionTotals& region : run.regions) name_width = std::max(name_width, region.name.size());
  name_width = std::min<std::size_t>(name_width, 40);
  fmt::format_to(out, "{:<{}} {:>10} {:>10} {:>6} {:>10} {:>10}\n", "region", name_width, "calls", "MPI time", "%MPI",
                 "sent", "received");
  for (const RegionTotals& region : run.regions)
    fmt::format_to(out, "{:<{}} {:>10} {:>10} {:>6} {:>10} {:>10}\n",
                   region.name.empty() ? "(outside regions)" : fit(region.name, name_width), name_width, region.calls,
                   human_seconds(region.time_s), percent(region.time_s, run.mpi_s),
                   human_bytes(double(region.bytes_sent)), human_bytes(double(region.bytes_received)));
}

void write_matrix(Out out, const MergedRun& run) {
  section(out, "Communication matrix (point-to-point bytes sent; row = sender, column = receiver; K = 1024)");
  std::uint64_t messages = 0, bytes = 0;
  for (const auto& [pair, traffic] : run.traffic) {
    messages += traffic.messages;
    bytes += traffic.bytes;
  }
  if (run.traffic.empty()) {
    fmt::format_to(out, "no point-to-point messages recorded\n");
    return;
  }
  fmt::format_to(out, "total: {} messages, {} bytes ({})\n", messages, bytes, human_bytes(double(bytes)));
  if (run.size <= kRanksShownOneByOne) {
    fmt::format_to(out, "{:>7} ", "from\\to");
    for (int to = 0; to < run.size; ++to) fmt::format_to(out, "{:>6}", to);
    fmt::format_to(out, "\n");
    for (int from = 0; from < run.size; ++from) {
      fmt::format_to(out, "{:>7} ", from);
      for (int to = 0; to < run.size; ++to) {
        auto it = run.traffic.find({from, to});
        fmt::format_to(out, "{:>6}", it == run.traffic.end() ? "." : human_bytes(double(it->second.bytes)));
      }
      fmt::format_to(out, "\n");
    }
    return;
  }
  std::vector<std::pair<std::pair<int, int>, Traffic>> pairs(run.traffic.begin(), run.traffic.end());
  std::stable_sort(pairs.begin(), pairs.end(),
                   [](const auto& a, const auto& b) { return a.second.bytes > b.second.bytes; });
  if (pairs.size() > kHeaviestPairs) pairs.resize(kHeaviestPairs);
  fmt::format_to(out, "the {} heaviest pairs (all in profile.json):\n", pairs.size());
  fmt::format_to(out, "{:>8} {:>8} {:>12} {:>14}\n", "sender", "receiver", "messages", "bytes");
  for (const auto& [pair, traffic] : pairs)
    fmt::format_to(out, "{:>8} {:>8} {:>12} {:>14} ({})\n", pair.first, pair.second, traffic.messages, traffic.bytes,
                   human_bytes(double(traffic.bytes)));
}

}  // namespace

std::string site_location(const CallSiteStats& site, std::size_t width) {
  const std::string region = site.region.empty() ? "" : " [" + site.region + "]";
  if (site.frames.empty()) return "(call site unknown)" + region;
  const Frame& frame = site.frames.front();
  std::string where;
  if (frame.debug_info && !frame.file.empty()) {
    where = fmt::format("{}:{}", base_name(frame.file), frame.line);
  } else {
    const std::string module_offset = fmt::format("{}+{:#x}", base_name(frame.module), frame.offset);
    where = frame.symbol.empty() ? fmt::format("{} (no debug info)", module_offset)
                                 : fmt::format("{} ({}, no debug info)", frame.symbol, module_offset);
    // A long C++ name says more than the module and offset, which profile.json keeps anyway.
    if (!frame.symbol.empty() && where.size() + region.size() > width) where = frame.symbol + " (no debug info)";
  }
  return fit(where + region, width);
}

std::string summary_text(const MergedRun& run, const std::vector<std::string>& dump_errors,
                         const std::filesystem::path& profile_path) {
  std::string text;
  Out out(text);
  write_header(out, run, dump_errors);
  write_time_per_rank(out, run);
  write_top_sites(out, run);
  write_message_sizes(out, run);
  write_imbalance(out, run);
  write_wait_states(out, run);
  write_requests(out, run);
  write_regions(out, run);
  write_matrix(out, run);
  write_counters(out, run);
  write_compressibility(out, run);
  fmt::format_to(out, "\n");
  wrap(out,
       fmt::format("Every call site with its full stack, the per-rank figures and the message sizes of each call "
                   "site are in {} (schema {}, described in docs/profile.md).",
                   profile_path.string(), kProfileSchema),
       "");
  return text;
}

std::string banner_text(const MergedRun& run, const std::filesystem::path& profile_path,
                        const std::filesystem::path& summary_path) {
  // Start-up and shut-down apart: MPI_Init would otherwise lead a short run's list.
  std::string text = fmt::format(
      "commtune: {} rank{}, wall {:.3f} s, {:.1f}% in communication (start-up {:.3f} s, shut-down {:.3f} s "
      "per rank); profile: {}\n",
      run.size, run.size == 1 ? "" : "s", run.wall_s, 100.0 * run.communication_fraction(),
      run.ranks.empty() ? 0.0 : run.startup_s / double(run.ranks.size()),
      run.ranks.empty() ? 0.0 : run.shutdown_s / double(run.ranks.size()), profile_path.string());
  if (!run.complete) text += fmt::format("commtune: PARTIAL profile ({})\n", fit(run.partial_reason, 160));
  int shown = 0;
  for (const CallSiteStats& site : run.callsites) {
    if (shown == 3 || site.time_s <= 0) break;
    if (is_startup(site.function) || is_shutdown(site.function)) continue;
    text +=
        fmt::format("commtune: {} {} {} {} of communication time\n", shown == 0 ? "top call sites:" : "               ",
                    site.function, site_location(site, 50), percent(site.time_s, run.communication_s));
    ++shown;
  }
  text += fmt::format("commtune: summary: {}\n", summary_path.string());
  return text;
}

}  // namespace commtune::report
