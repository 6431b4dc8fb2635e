// The rank dumps of one run merged: call sites matched across ranks by what they are (function,
// region, module paths and offsets; module ids are rank-local), ticks converted with each rank's
// own clock, and the derived figures of profile.json (spread over ranks, wait-state estimates,
// request overlap, regions, communication matrix). No file access and no symbol resolution:
// frames are filled in afterwards (report.cpp).
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "report/dump.hpp"

namespace commtune::report {

// One quantity over the ranks of the run (the ranks whose dumps were merged).
struct Spread {
  double min = 0;
  double mean = 0;
  double max = 0;
  double cv = 0;      // population standard deviation / mean; 0 when the mean is 0
  int min_rank = -1;  // the lowest rank with the minimum
  int max_rank = -1;  // the lowest rank with the maximum
};

// `values`: (rank, value) for every rank to consider.
Spread spread_over_ranks(const std::vector<std::pair<int, double>>& values);

using SizeCounts = std::map<int, std::uint64_t>;  // size bin -> messages

// One level of a call site's stack, resolved to source when the module's file could be read.
struct Frame {
  std::string module;
  std::uint64_t offset = 0;  // as recorded: a return address's offset
  std::string symbol;
  std::string file;
  int line = 0;
  bool debug_info = false;
  std::vector<std::string> inlined_in;  // "function at file:line", innermost first
};

// What one rank did at one call site.
struct SiteOnRank {
  std::uint64_t calls = 0;
  double time_s = 0;
  double fastest_call_s = std::numeric_limits<double>::infinity();
  double slowest_call_s = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t bytes_received = 0;
  std::string wait_kind = "none";
  std::uint64_t wait_calls = 0;
  double wait_blocked_s = 0;  // the dump's wait_ticks, in seconds
  std::uint64_t wait_bytes = 0;
  double wait_s = 0;  // the estimate (see merge.cpp)
  std::uint64_t requests = 0;
  double request_life_s = 0;
  double request_inside_s = 0;
};

// Compressibility samples summed over ranks; times in seconds (each rank's own clock).
struct PayloadTotals {
  std::uint64_t samples = 0;
  std::uint64_t sampled_bytes = 0;
  std::uint64_t lz4_bytes = 0;
  std::uint64_t zstd_bytes = 0;
  double lz4_s = 0;
  double zstd_s = 0;
};

// Counter values by event name (COMMTUNE_PAPI): ranks may count different events.
using CounterValues = std::map<std::string, std::uint64_t>;

struct CallSiteStats {
  int id = 0;  // 1-based, by time_s descending
  std::string function;
  std::string category;
  std::string region;
  std::vector<Frame> frames;  // innermost first; empty when unknown
  std::map<int, SiteOnRank> by_rank;

  // Sums over ranks.
  std::uint64_t calls = 0;
  double time_s = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t bytes_received = 0;
  SizeCounts sent_sizes;
  SizeCounts received_sizes;
  std::uint64_t comm_size = 0;  // the largest seen
  std::uint64_t requests = 0;
  double request_life_s = 0;
  double request_inside_s = 0;
  std::string wait_kind = "none";
  double wait_s = 0;
  std::uint64_t wait_instances = 0;
  double wait_max_rank_s = 0;
  int wait_max_rank = -1;

  int ranks_calling = 0;
  Spread time_per_rank;  // over all merged ranks, 0 for those that never called it

  CounterValues counters;  // over the application phases that ended at this site, summed over ranks
  PayloadTotals payload;
};

struct FunctionTotals {
  std::string name;
  std::string category;
  std::uint64_t calls = 0;
  double time_s = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t bytes_received = 0;
  SizeCounts sent_sizes;
  SizeCounts received_sizes;
};

struct RankSummary {
  int rank = 0;
  std::string host;
  std::string reason;
  std::int64_t pid = 0;
  std::uint64_t threads = 0;
  double wall_s = 0;
  double mpi_s = 0;
  double startup_s = 0;                   // in MPI_Init / MPI_Init_thread (part of mpi_s)
  double shutdown_s = 0;                  // in MPI_Finalize before the record was taken (part of mpi_s)
  double communication_s = 0;             // mpi_s without start-up and shut-down
  double app_s = 0;                       // wall - MPI, never negative
  std::vector<FunctionTotals> functions;  // most time first
  CounterValues counters;                 // over all its sites
};

struct RegionTotals {
  std::string name;
  std::uint64_t calls = 0;
  double time_s = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t bytes_received = 0;
};

struct Traffic {
  std::uint64_t messages = 0;
  std::uint64_t bytes = 0;
};

struct MergedRun {
  // From the lowest rank merged.
  std::string program;
  std::string command;
  std::string mpi_library;
  std::string clock_source;
  double seconds_per_tick = 0;
  std::uint64_t start_unix_ns = 0;

  int size = 0;  // MPI_COMM_WORLD
  std::vector<int> missing_ranks;
  bool complete = false;
  std::string partial_reason;  // empty when complete
  int callsite_depth = 0;
  std::uint64_t untracked_requests = 0;

  double wall_s = 0;  // the longest rank's
  double mpi_s = 0;   // summed over ranks
  double startup_s = 0;
  double shutdown_s = 0;
  double communication_s = 0;
  double app_s = 0;
  Spread mpi_time;
  Spread app_time;

  std::vector<RankSummary> ranks;                  // by rank
  std::vector<FunctionTotals> functions;           // most time first
  std::vector<CallSiteStats> callsites;            // by id
  std::vector<RegionTotals> regions;               // most time first
  std::map<std::pair<int, int>, Traffic> traffic;  // (sender, receiver) world ranks

  // COMMTUNE_PAPI: requested as the lowest rank says; measured, notes and fallback over all ranks
  // (names in first-seen order).
  CounterSetup counters;
  PayloadSampling payload_sampling;  // the lowest rank's

  double late_sender_s = 0;
  double late_receiver_s = 0;
  double collective_wait_s = 0;

  int ranks_reported() const { return int(ranks.size()); }
  // mpi_s / (wall_s * ranks_reported)
  double mpi_fraction() const;
  // communication_s / (wall_s * ranks_reported)
  double communication_fraction() const;
};

// Start-up and shut-down are MPI time, but not communication: they are reported apart.
bool is_startup(std::string_view function);
bool is_shutdown(std::string_view function);

// How wait_s is estimated, in two sentences (profile.json and summary.txt say it).
inline constexpr const char* kWaitStateMethod =
    "Estimates from each rank's own timings: a blocking receive whose message had not arrived at entry "
    "(a non-consuming probe says) waited its time minus the cost of a same-size receive whose message was "
    "already there (the fastest seen on any rank), and a blocking send likewise (late receiver). "
    "A blocking collective waited the time beyond the fastest instance of that call site on any rank.";

// How the counters and the compressibility figures were measured (profile.json says it).
inline constexpr const char* kCounterMethod =
    "Each event counts the application phase before an MPI call (from the same thread's previous MPI call's exit "
    "to this call's entry), attributed to that call's site; the first phase starts at MPI_Init's exit. "
    "commtune::TASK-CLOCK is the thread's CPU time in ns (clock_gettime), commtune::PAGE-FAULTS its page faults "
    "(getrusage); the others are PAPI's.";
inline constexpr const char* kCompressibilityMethod =
    "One in sample_every sends of at least min_bytes of contiguous data per call site (MPI_Send, Bsend, Ssend, "
    "Rsend, their nonblocking forms and the send part of Sendrecv, C and Fortran) is sampled: up to sample_bytes, "
    "gathered from 16 equal pieces spread over the buffer, compressed with lz4 (LZ4_compress_default) and zstd "
    "level 1. ratio = sampled bytes / compressed bytes; mb_per_s = sampled bytes per second of compression.";

// Merges `dumps` (at least one; distinct ranks of one world of the same size). Ranks without a
// dump are missing; those in `unreadable_ranks` had one that could not be used.
// `fallback_reason` opens partial_reason when the run is incomplete.
MergedRun merge_dumps(std::vector<RankDump> dumps, const std::set<int>& unreadable_ranks,
                      const std::string& fallback_reason);

// Views shared by profile.json and summary.txt.
// Call sites whose time differs across ranks, by standard deviation (cv * mean) then time.
std::vector<const CallSiteStats*> most_imbalanced(const MergedRun& run, std::size_t limit);
// Call sites with an estimated wait, most first.
std::vector<const CallSiteStats*> waiting_sites(const MergedRun& run);
// Call sites that posted requests, longest total lifetime first.
std::vector<const CallSiteStats*> request_sites(const MergedRun& run);
// 1 - inside completion / lifetime, within [0, 1]; 0 without lifetime.
double overlap_fraction(const CallSiteStats& site);

}  // namespace commtune::report
