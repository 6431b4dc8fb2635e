// A rank dump (schema commtune.rank/1): what one rank recorded, as the preload library writes it
// at MPI_Finalize, MPI_Abort, a fatal signal or a SIGUSR1 snapshot. The format is described in
// docs/profile.md; all counters are integers, times are in the rank's clock ticks.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "commtune/pmpi/run_directory.hpp"

namespace commtune::report {

using run_directory::kRankDumpSchema;

// (size bin, value) pairs: message counts, or the fastest receive's ticks per bin.
using BinValues = std::vector<std::pair<int, std::uint64_t>>;

// A code address as recorded: module path and module-relative offset.
using FrameAddress = std::pair<std::string, std::uint64_t>;

// Compressibility samples of a site's send payloads ("payload" in the dump).
struct PayloadDump {
  std::uint64_t samples = 0;
  std::uint64_t sampled_bytes = 0;
  std::uint64_t lz4_bytes = 0;
  std::uint64_t zstd_bytes = 0;  // zstd level 1
  std::uint64_t lz4_ticks = 0;
  std::uint64_t zstd_ticks = 0;
};

// COMMTUNE_PAPI's setup on one rank ("counters" in the dump; absent when not requested).
struct CounterSetup {
  std::vector<std::string> requested;
  std::vector<std::string> measured;  // the order of every site's counter values
  std::vector<std::string> notes;
  bool fallback = false;
};

// Compressibility sampling settings ("payload_sampling": [every, min_bytes, sample_bytes]).
struct PayloadSampling {
  std::uint64_t every = 0;  // 0: off (or a dump from before sampling existed)
  std::uint64_t min_bytes = 0;
  std::uint64_t sample_bytes = 0;
};

struct DumpSite {
  std::string function;
  std::string category;              // empty when the dump does not say
  std::string region;                // the region's name; "" outside any named region
  std::vector<FrameAddress> frames;  // innermost first; empty when unknown (MPI_Init)
  std::uint64_t calls = 0;
  std::uint64_t ticks = 0;
  std::uint64_t min_ticks = 0;
  std::uint64_t max_ticks = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t bytes_received = 0;
  BinValues sent_sizes;
  BinValues received_sizes;
  std::string wait_kind = "none";  // none, late_sender, late_receiver or collective
  std::uint64_t wait_calls = 0;
  std::uint64_t wait_ticks = 0;
  std::uint64_t wait_bytes = 0;
  std::uint64_t comm_size = 0;
  std::uint64_t requests = 0;
  std::uint64_t request_life_ticks = 0;
  std::uint64_t request_inside_ticks = 0;
  std::vector<std::uint64_t> counters;  // in the order of RankDump::counters.measured
  PayloadDump payload;
};

// Point-to-point sends of the rank to one destination.
struct MatrixRow {
  int destination = 0;
  std::uint64_t messages = 0;
  std::uint64_t bytes = 0;
};

struct RankDump {
  std::string reason;  // "finalize" for a normal end
  int rank = 0;
  int size = 0;
  std::int64_t pid = 0;
  std::string host;
  std::string program;
  std::string command;
  std::string mpi_library;
  std::string clock;
  std::uint64_t ticks_per_second = 0;
  std::uint64_t start_unix_ns = 0;
  std::uint64_t wall_ns = 0;
  std::uint64_t init_ns = 0;
  std::uint64_t threads = 0;
  std::uint64_t untracked_requests = 0;
  std::uint64_t callsite_depth = 0;
  BinValues size_floor_ticks;
  CounterSetup counters;
  PayloadSampling payload_sampling;
  std::vector<DumpSite> sites;
  std::vector<MatrixRow> matrix;
};

// A dump that cannot be used; what() names its source, its rank when known, and the key.
class DumpError : public std::runtime_error {
 public:
  DumpError(const std::string& message, int rank) : std::runtime_error(message), rank_(rank) {}
  int rank() const { return rank_; }  // -1 when the dump did not get as far as saying

 private:
  int rank_;
};

// Parses and checks one dump. `source` names it in errors (a file path, or "dump #3").
RankDump parse_rank_dump(std::string_view text, const std::string& source);

}  // namespace commtune::report
