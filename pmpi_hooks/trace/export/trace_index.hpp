// Look-ups both exporters make per call: a communicator by its id, a world rank's rank in a
// communicator (MPI events name peers and roots that way), the locations of each rank, and the
// call that posted a request when a later call completes it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <utility>
#include <vector>

#include "trace/export/call_kinds.hpp"
#include "trace/model.hpp"

namespace commtune::trace {

class CommunicatorIndex {
 public:
  explicit CommunicatorIndex(const Trace& trace);

  // The position in Trace::communicators of the communicator with this id; kNone if none.
  std::uint32_t index_of(std::uint32_t id) const {
    if (id < dense_.size()) return dense_[id];
    const auto found = sparse_.find(id);
    return found == sparse_.end() ? kNone : found->second;
  }

  // The rank of `world_rank` in the communicator at `index` (for an intercommunicator: in the
  // group that holds it); -1 when it is not a member.
  int rank_in(std::uint32_t index, int world_rank) const;

 private:
  struct Members {
    bool identity = false;  // world_ranks[i] == i: MPI_COMM_WORLD and its dups
    int size = 0;
    int remote_offset = 0;                      // first member of the remote group; size if none
    std::vector<std::pair<int, int>> by_world;  // (world rank, position), sorted
  };
  std::vector<std::uint32_t> dense_;  // id -> index when ids are small
  std::unordered_map<std::uint32_t, std::uint32_t> sparse_;
  std::vector<Members> members_;
};

// [first, last) of Trace::locations for each rank (locations are sorted by rank, then thread);
// empty for a rank that left no log.
std::vector<std::pair<std::size_t, std::size_t>> locations_by_rank(const Trace& trace, int ranks);

// The number of ranks: Trace::ranks, or more when a location names a higher rank.
int rank_count(const Trace& trace);

struct CallRef {
  std::uint32_t location = 0;  // index in Trace::locations
  std::uint32_t call = 0;      // index in Location::calls
};

// The calls of one rank that posted requests, by request id. With one thread a request is
// completed after it was posted in the same call sequence, so posting as the calls go by and
// taking at completion keeps the table small; with several threads one thread may complete what
// another posted, so all posts of the rank are entered first (post_all). An open-addressing table
// in one array: a post and a completion per nonblocking call, millions of them, without a
// memory allocation each.
class PostedRequests {
 public:
  PostedRequests() { slots_.resize(kInitialSlots); }
  void post(std::uint64_t request, CallRef call);
  void post_all(const Trace& trace, const std::vector<CallKind>& kinds, std::size_t first, std::size_t last);
  // The posting call, removed from the table: a request completes once.
  bool take(std::uint64_t request, CallRef& call);
  void clear();

 private:
  static constexpr std::uint64_t kEmpty = 0;  // request 0 is "none" in the trace
  static constexpr std::uint64_t kRemoved = UINT64_MAX;
  static constexpr std::size_t kInitialSlots = 1024;
  struct Slot {
    std::uint64_t request = kEmpty;
    CallRef call;
  };
  std::size_t home(std::uint64_t request) const {
    return std::size_t((request * 0x9E3779B97F4A7C15ull) >> 20) & (slots_.size() - 1);
  }
  void grow();

  std::vector<Slot> slots_;
  std::size_t used_ = 0;  // requests and removed marks: what the probes walk over
  std::size_t live_ = 0;
};

}  // namespace commtune::trace
