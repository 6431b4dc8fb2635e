// A trace as the reader library returns it: every rank's and thread's MPI calls, in order, with
// times already on one clock (rank 0's, through the offsets and drift measured at MPI_Init and
// MPI_Finalize), and the definitions the calls refer to. The binary logs the preload library
// writes (format.hpp) are read into this by read_trace() (reader.hpp); the exporters (OTF2,
// Chrome trace-event JSON) take it from here and never see the binary format.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace commtune::trace {

inline constexpr std::uint32_t kNone = 0xffffffffu;  // no communicator, site, function, request

// One call site as recorded: the module and the offset of the return address in it, resolved to
// file:line by the reader when the module file can be read (debug_info false otherwise).
struct CallSite {
  std::string module;
  std::uint64_t offset = 0;
  std::string symbol;
  std::string file;
  int line = 0;
  bool debug_info = false;
};

// A communicator the run used, identified across ranks: every rank that is a member calls it by
// the same id. `world_ranks` lists the members in the communicator's rank order; an
// intercommunicator lists its local group then its remote group, with `remote_size` > 0.
struct Communicator {
  std::uint32_t id = 0;
  std::string name;  // "MPI_COMM_WORLD", "MPI_COMM_SELF", or the function that made it, e.g. "MPI_Comm_split"
  std::vector<int> world_ranks;
  int remote_size = 0;
};

// MPI function groups, for filters and for the exporters' event kinds; the same names as
// profile.json's categories (docs/profile.md).
enum class Category : std::uint8_t { P2p, Collective, Rma, Io, Completion, Lifecycle, Other };

// The categories' names, in the enum's order: what the trace files, the exporters and the reports
// call them.
inline constexpr std::array<std::string_view, 7> kCategoryNames = {"p2p",        "collective", "rma",  "io",
                                                                   "completion", "lifecycle",  "other"};

inline std::string_view category_name(Category category) {
  const auto index = std::size_t(category);
  return index < kCategoryNames.size() ? kCategoryNames[index] : "other";
}

// The category named `name`; Other for a name it does not know.
inline Category category_from_name(std::string_view name) {
  for (std::size_t i = 0; i < kCategoryNames.size(); ++i)
    if (kCategoryNames[i] == name) return Category(i);
  return Category::Other;
}

struct Function {
  std::string name;  // "MPI_Isend"
  Category category = Category::Other;
};

// A request completed inside a call (MPI_Wait*, MPI_Test*, or a blocking call that completes
// nothing else does not have these): the request id that the posting call returned, when it
// completed, and for receives what was received.
struct Completion {
  std::uint64_t time_ns = 0;  // on the common clock; within [start_ns, end_ns] of its call
  std::uint64_t request = 0;
  bool receive = false;
  int peer = -1;  // world rank of the sender, for receives; -1 unknown
  int tag = -1;
  std::uint64_t bytes = 0;
};

// One MPI call on one thread. Point-to-point calls carry the peer (world rank) and tag; blocking
// receives carry what the status said. Collectives carry the root (world rank, -1 when none) in
// `peer`. Nonblocking calls carry the id of the request they created (unique within the rank).
struct Call {
  std::uint64_t start_ns = 0;  // on the common clock, ns since the trace's epoch
  std::uint64_t end_ns = 0;
  std::uint32_t function = kNone;  // index into Trace::functions
  std::uint32_t site = kNone;      // index into Trace::sites
  std::uint32_t comm = kNone;      // Communicator::id
  int peer = -1;
  int tag = -1;
  std::uint64_t bytes_sent = 0;
  std::uint64_t bytes_received = 0;
  std::uint64_t request = 0;  // 0: none
  std::vector<Completion> completions;
};

// One thread of one rank: a location in OTF2's terms, a track in the timeline.
struct Location {
  int rank = 0;
  int thread = 0;           // 0 is the thread that called MPI_Init
  std::vector<Call> calls;  // by start_ns
  bool complete = true;     // false: the log ended early (crash, kill); calls up to the last flush
};

// How one rank's clock was mapped onto rank 0's: t_common = t_local * (1 + drift) + offset.
struct ClockAlignment {
  int rank = 0;
  double offset_ns = 0;
  double drift = 0;           // 0 when only the start was measured
  bool end_measured = false;  // false after a crash: offset only
};

struct Trace {
  std::string program;
  std::string command;
  int ranks = 0;
  std::vector<std::string> hosts;   // per rank
  std::uint64_t epoch_unix_ns = 0;  // wall-clock time of the common clock's 0
  std::vector<Function> functions;
  std::vector<CallSite> sites;
  std::vector<Communicator> communicators;
  std::vector<ClockAlignment> clocks;  // per rank
  std::vector<Location> locations;     // by rank, then thread
  std::vector<std::string> warnings;   // e.g. "rank 3: log ends at a partial block after 1.2 s"
};

}  // namespace commtune::trace
