#include "trace/export/trace_index.hpp"

#include <algorithm>

namespace commtune::trace {

CommunicatorIndex::CommunicatorIndex(const Trace& trace) {
  const auto& communicators = trace.communicators;
  std::uint32_t max_id = 0;
  for (const Communicator& comm : communicators) max_id = std::max(max_id, comm.id);
  // A table indexed by id while ids stay near the count (the reader numbers them densely).
  const bool dense = max_id < 4 * communicators.size() + 1024;
  if (dense) dense_.assign(std::size_t(max_id) + 1, kNone);
  members_.resize(communicators.size());
  for (std::uint32_t index = 0; index < communicators.size(); ++index) {
    const Communicator& comm = communicators[index];
    if (dense) {
      dense_[comm.id] = index;
    } else {
      sparse_.emplace(comm.id, index);
    }
    Members& members = members_[index];
    members.size = int(comm.world_ranks.size());
    members.remote_offset = members.size - std::clamp(comm.remote_size, 0, members.size);
    members.identity = comm.remote_size == 0;
    for (int i = 0; i < members.size && members.identity; ++i) members.identity = comm.world_ranks[i] == i;
    if (members.identity) continue;
    members.by_world.reserve(comm.world_ranks.size());
    for (int i = 0; i < members.size; ++i) members.by_world.emplace_back(comm.world_ranks[i], i);
    std::sort(members.by_world.begin(), members.by_world.end());
  }
}

int CommunicatorIndex::rank_in(std::uint32_t index, int world_rank) const {
  if (index >= members_.size() || world_rank < 0) return -1;
  const Members& members = members_[index];
  if (members.identity) return world_rank < members.size ? world_rank : -1;
  const auto found = std::lower_bound(members.by_world.begin(), members.by_world.end(), std::pair{world_rank, -1});
  if (found == members.by_world.end() || found->first != world_rank) return -1;
  const int position = found->second;
  return position >= members.remote_offset ? position - members.remote_offset : position;
}

std::vector<std::pair<std::size_t, std::size_t>> locations_by_rank(const Trace& trace, int ranks) {
  std::vector<std::pair<std::size_t, std::size_t>> ranges(std::size_t(ranks), {0, 0});
  const auto& locations = trace.locations;
  for (std::size_t first = 0; first < locations.size();) {
    std::size_t last = first + 1;
    while (last < locations.size() && locations[last].rank == locations[first].rank) ++last;
    const int rank = locations[first].rank;
    if (rank >= 0 && rank < ranks) ranges[std::size_t(rank)] = {first, last};
    first = last;
  }
  return ranges;
}

int rank_count(const Trace& trace) {
  int ranks = std::max(trace.ranks, 0);
  for (const Location& location : trace.locations) ranks = std::max(ranks, location.rank + 1);
  return ranks;
}

void PostedRequests::post_all(const Trace& trace, const std::vector<CallKind>& kinds, std::size_t first,
                              std::size_t last) {
  for (std::size_t l = first; l < last; ++l) {
    const auto& calls = trace.locations[l].calls;
    for (std::size_t c = 0; c < calls.size(); ++c) {
      const Call& call = calls[c];
      if (call.function < kinds.size() && posts_request(kinds[call.function])) {
        post(call.request, CallRef{std::uint32_t(l), std::uint32_t(c)});
      }
    }
  }
}

void PostedRequests::post(std::uint64_t request, CallRef call) {
  if (request == kEmpty || request == kRemoved) return;
  if (2 * (used_ + 1) > slots_.size()) grow();
  std::size_t i = home(request);
  std::size_t reuse = SIZE_MAX;
  for (; slots_[i].request != kEmpty; i = (i + 1) & (slots_.size() - 1)) {
    if (slots_[i].request == request) {  // posted again: the later post counts
      slots_[i].call = call;
      return;
    }
    if (slots_[i].request == kRemoved && reuse == SIZE_MAX) reuse = i;
  }
  if (reuse != SIZE_MAX) {
    i = reuse;
  } else {
    ++used_;
  }
  slots_[i] = {request, call};
  ++live_;
}

bool PostedRequests::take(std::uint64_t request, CallRef& call) {
  if (request == kEmpty || request == kRemoved) return false;
  for (std::size_t i = home(request); slots_[i].request != kEmpty; i = (i + 1) & (slots_.size() - 1)) {
    if (slots_[i].request != request) continue;
    call = slots_[i].call;
    slots_[i].request = kRemoved;
    --live_;
    return true;
  }
  return false;
}

void PostedRequests::clear() {
  if (used_ == 0) return;
  std::fill(slots_.begin(), slots_.end(), Slot{});
  used_ = live_ = 0;
}

// Twice the room for what is live (removed marks are dropped): the table stays at most half full.
void PostedRequests::grow() {
  std::vector<Slot> old = std::move(slots_);
  std::size_t size = kInitialSlots;
  while (size < 4 * (live_ + 1)) size *= 2;
  slots_.assign(size, Slot{});
  used_ = live_ = 0;
  for (const Slot& slot : old) {
    if (slot.request != kEmpty && slot.request != kRemoved) post(slot.request, slot.call);
  }
}

}  // namespace commtune::trace
