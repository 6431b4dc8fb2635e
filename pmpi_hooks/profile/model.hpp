// profile.json (schema commtune.profile/2, docs/profile.md) as typed values: what read_profile()
// (profile/reader.hpp) returns to every program that reads a profile. The fields carry the
// names and units of the JSON; the sections that refer to call sites by id (message_sizes,
// wait_states, requests) are joined onto the call sites here, so a reader looks in one place.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace commtune::profile {

// min, mean, max of a per-rank figure, cv = standard deviation / mean, and the ranks of the extremes.
struct Spread {
  double min = 0;
  double mean = 0;
  double max = 0;
  double cv = 0;
  int min_rank = 0;
  int max_rank = 0;
};

// One message-size bin with messages (docs/profile.md, "Message sizes"); max_bytes is empty for
// the last, open-ended bin.
struct SizeBin {
  int bin = 0;
  std::uint64_t min_bytes = 0;
  std::optional<std::uint64_t> max_bytes;
  std::uint64_t count = 0;
};

struct MessageSizes {
  std::vector<SizeBin> sent;
  std::vector<SizeBin> received;
};

struct FunctionTotals {
  std::string name;
  std::string category;  // p2p, collective, rma, io, completion, lifecycle or other
  std::uint64_t calls = 0;
  double time_s = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t bytes_received = 0;
  MessageSizes sizes;  // from message_sizes.functions; empty in per_rank
};

struct RankRecord {
  int rank = 0;
  std::string host;
  std::int64_t pid = 0;
  int threads = 0;
  std::string reason;  // finalize, abort, SIGTERM, ..., snapshot
  double wall_time_s = 0;
  double mpi_time_s = 0;
  double startup_s = 0;
  double shutdown_s = 0;
  double communication_s = 0;
  double app_time_s = 0;
  std::vector<FunctionTotals> functions;
};

struct Frame {
  std::string module;
  std::uint64_t offset = 0;  // module-relative return address
  std::string symbol;
  std::string file;
  int line = 0;
  bool debug_info = false;
  std::vector<std::string> inlined_in;
};

struct Compressibility {
  std::uint64_t samples = 0;
  std::uint64_t sampled_bytes = 0;
  std::uint64_t lz4_bytes = 0;
  std::uint64_t zstd1_bytes = 0;
  double lz4_ratio = 0;
  double zstd1_ratio = 0;
  double lz4_mb_per_s = 0;
  double zstd1_mb_per_s = 0;
};

// wait_states.callsites[] of one site.
struct WaitState {
  std::string kind;  // late_sender, late_receiver or collective
  double time_s = 0;
  std::uint64_t instances = 0;
  double per_rank_max_s = 0;
  int max_rank = 0;
};

// requests.callsites[] of one site.
struct RequestLifetimes {
  std::uint64_t requests = 0;
  double lifetime_s = 0;
  double mean_lifetime_s = 0;
  double inside_completion_s = 0;
  double overlap_fraction = 0;
};

struct CallSite {
  int id = 0;  // 1, 2, ... most time first
  std::string function;
  std::string category;
  std::string region;         // "" outside named regions
  std::vector<Frame> frames;  // innermost first; empty for a site recorded without a stack
  std::uint64_t calls = 0;
  double time_s = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t bytes_received = 0;
  int comm_size = 0;
  int ranks = 0;  // how many ranks called it
  Spread time_per_rank;
  MessageSizes sizes;
  std::map<std::string, std::uint64_t> counters;  // with --papi only
  std::optional<Compressibility> compressibility;
  std::optional<WaitState> wait;
  std::optional<RequestLifetimes> requests;

  // Where the MPI function was called from: the innermost frame (empty for a site without frames).
  const Frame& location() const;
};

struct Traffic {
  int sender = 0;
  int receiver = 0;
  std::uint64_t messages = 0;
  std::uint64_t bytes = 0;
};

// Point-to-point messages between MPI_COMM_WORLD ranks, as counted by the sender: the pairs that
// communicated, whether the file holds the dense arrays (up to 256 ranks) or the pair list.
struct CommMatrix {
  int ranks = 0;
  std::uint64_t total_bytes = 0;
  std::uint64_t total_messages = 0;
  std::vector<Traffic> pairs;  // by sender, then receiver
};

struct RankImbalance {
  int rank = 0;
  double mpi_time_s = 0;
  double app_time_s = 0;
  double mpi_fraction = 0;
};

struct Imbalance {
  Spread mpi_time;
  Spread app_time;
  std::vector<RankImbalance> per_rank;
  std::vector<int> callsite_ids;  // the sites whose time differs most across ranks, most first
};

struct WaitStateTotals {
  std::string method;
  double late_sender_s = 0;
  double late_receiver_s = 0;
  double wait_at_collective_s = 0;
};

struct Region {
  std::string name;
  std::uint64_t calls = 0;
  double time_s = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t bytes_received = 0;
};

struct RankCounters {
  int rank = 0;
  std::map<std::string, std::uint64_t> values;
};

struct Counters {
  std::vector<std::string> requested;
  std::vector<std::string> measured;
  bool fallback = false;
  std::vector<std::string> notes;
  std::string method;
  std::map<std::string, std::uint64_t> totals;
  std::vector<RankCounters> per_rank;
};

struct CompressibilitySampling {
  std::uint64_t sample_every = 0;  // 0: off
  std::uint64_t min_bytes = 0;
  std::uint64_t sample_bytes = 0;
  std::string method;
};

struct Profile {
  std::filesystem::path file;  // where it was read from
  std::string schema;
  std::string tool_version;
  bool complete = false;
  std::string partial_reason;  // only when incomplete
  int ranks_reported = 0;
  std::vector<int> missing_ranks;
  std::vector<std::string> dump_errors;
  std::string command;
  std::string program;
  std::string mpi_library;  // MPI_Get_library_version() of the lowest rank reported
  std::string started_at;   // ISO 8601 UTC
  std::string finished_at;
  std::string clock_source;
  double seconds_per_tick = 0;
  int ranks = 0;  // size of MPI_COMM_WORLD
  double wall_time_s = 0;
  double mpi_time_s = 0;
  double app_time_s = 0;
  double mpi_time_fraction = 0;
  double startup_s = 0;
  double shutdown_s = 0;
  double communication_s = 0;
  double communication_fraction = 0;
  std::uint64_t untracked_requests = 0;
  int callsite_depth = 0;
  std::vector<FunctionTotals> functions;  // most time first
  std::vector<RankRecord> per_rank;
  std::vector<CallSite> callsites;  // by id
  CommMatrix comm_matrix;
  Imbalance imbalance;
  WaitStateTotals wait_states;
  std::vector<Region> regions;
  std::optional<Counters> counters;  // with --papi only
  CompressibilitySampling compressibility;

  // The call site with this id, or nullptr.
  const CallSite* callsite(int id) const;
  // Host names of the ranks reported, in rank order, and how many distinct hosts they ran on.
  std::vector<std::string> hosts() const;
  int node_count() const;
  // The most ranks reported on one host (0 without ranks).
  int max_ranks_per_node() const;
};

}  // namespace commtune::profile
