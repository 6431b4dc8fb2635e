#include "runtime/requests.hpp"

#include <atomic>

#include "runtime/handles.hpp"
#include "runtime/peers.hpp"
#include "runtime/trace.hpp"
#include "runtime/volumes.hpp"
#include "trace/format.hpp"

namespace commtune::pmpi {
namespace {

constexpr std::size_t kSlots = 1u << 15;                      // outstanding requests tracked at once
constexpr int kMaxProbes = 64;                                // bounds the cost of a miss
constexpr std::uintptr_t kEmpty = 0, kErased = 1, kBusy = 2;  // never valid handles

struct Slot {
  std::atomic<std::uintptr_t> key{kEmpty};
  RequestKind kind = RequestKind::Other;
  SiteStats* site = nullptr;         // the posting site (its key never changes)
  const SiteTable* table = nullptr;  // the posting thread's table
  std::int64_t bytes = 0;
  int world_peer = -1;
  std::uint64_t posted_ticks = 0;
  std::uint64_t inside_ticks = 0;  // spent inside completion calls that included it
  std::uint64_t trace_id = 0;      // trace mode: the id the posting call's record carries
  MPI_Comm comm = MPI_COMM_NULL;   // trace mode: to translate a receive's source to a world rank
};

Slot g_slots[kSlots];
std::atomic<std::uint64_t> g_untracked{0};

std::size_t home_of(std::uintptr_t key) noexcept { return ((key >> 3) * 0x9E3779B97F4A7C15ull) >> (64 - 15); }

// The posting site's record in the completing thread's own table: usually the same thread's, and
// then the very record; another thread adds to its own record of the same site.
SiteStats& owner_in(CallScope& call, const Slot& slot) noexcept {
  return slot.table == &call.table() ? *slot.site : call.table().find_or_add(slot.site->key);
}

}  // namespace

void track_request(MPI_Request request, CallScope& call, RequestKind kind, std::int64_t bytes,
                   int world_peer) noexcept {
  if (request == MPI_REQUEST_NULL || !call.recording()) return;
  const std::uintptr_t key = handle_key(request);
  const std::size_t home = home_of(key);
  for (int probe = 0; probe < kMaxProbes; ++probe) {
    Slot& slot = g_slots[(home + std::size_t(probe)) & (kSlots - 1)];
    std::uintptr_t seen = slot.key.load(std::memory_order_relaxed);
    if ((seen == kEmpty || seen == kErased) &&
        slot.key.compare_exchange_strong(seen, kBusy, std::memory_order_acquire)) {
      slot.kind = kind;
      slot.site = &call.site();
      slot.table = &call.table();
      slot.bytes = bytes;
      slot.world_peer = world_peer;
      slot.posted_ticks = call.end_ticks();
      slot.inside_ticks = 0;
      slot.trace_id = 0;
      if (call.tracing()) {
        slot.trace_id = trace::next_request_id();
        call.trace_fields.request = slot.trace_id;
        call.trace_fields.mask |= commtune::trace::format::kHasRequest;
        slot.comm =
            call.trace_fields.mask & commtune::trace::format::kHasComm ? call.trace_fields.comm_handle : MPI_COMM_NULL;
      }
      slot.key.store(key, std::memory_order_release);
      return;
    }
  }
  g_untracked.fetch_add(1, std::memory_order_relaxed);
}

TrackedRequest find_request(MPI_Request request) noexcept {
  TrackedRequest tracked;
  if (request == MPI_REQUEST_NULL) return tracked;
  const std::uintptr_t key = handle_key(request);
  const std::size_t home = home_of(key);
  for (int probe = 0; probe < kMaxProbes; ++probe) {
    const std::size_t index = (home + std::size_t(probe)) & (kSlots - 1);
    const std::uintptr_t seen = g_slots[index].key.load(std::memory_order_acquire);
    if (seen == kEmpty) break;
    if (seen == key) {
      tracked.slot = int(index);
      tracked.kind = g_slots[index].kind;
      break;
    }
  }
  return tracked;
}

// Only the thread that completes or frees a request erases its slot (MPI completes a request
// once), so erasing by slot index cannot remove a newer request that reused the handle.
void forget_request(const TrackedRequest& tracked) noexcept {
  if (tracked.found()) g_slots[tracked.slot].key.store(kErased, std::memory_order_release);
}

bool receive_pending(const TrackedRequest& tracked, MPI_Request request) noexcept {
  if (!tracked.wants_status()) return false;
  int done = 1;
  PMPI_Request_get_status(request, &done, MPI_STATUS_IGNORE);
  return !done;
}

void request_started(CallScope& call, const TrackedRequest& tracked) noexcept {
  if (!tracked.found() || !call.recording()) return;
  Slot& slot = g_slots[tracked.slot];
  slot.posted_ticks = call.end_ticks();
  slot.inside_ticks = 0;
  if (slot.trace_id != 0) {
    call.trace_fields.request = slot.trace_id;
    call.trace_fields.mask |= commtune::trace::format::kHasRequest;
  }
  if (slot.kind != RequestKind::PersistentSend) return;
  CallScope::count_sent(owner_in(call, slot), slot.bytes);
  call.table().count_message(slot.world_peer, slot.bytes);
}

void request_still_pending(CallScope& call, const TrackedRequest& tracked) noexcept {
  if (tracked.found() && call.recording()) g_slots[tracked.slot].inside_ticks += call.elapsed();
}

std::int64_t request_completed(CallScope& call, const TrackedRequest& tracked, const MPI_Status* status) noexcept {
  if (!tracked.found() || !call.recording()) return 0;
  Slot& slot = g_slots[tracked.slot];
  SiteStats& owner = owner_in(call, slot);
  const std::int64_t received = is_receive(slot.kind) ? received_bytes(status) : 0;
  if (is_receive(slot.kind)) CallScope::count_received(owner, received);
  if (slot.trace_id != 0 && call.tracing()) {
    const bool receive = is_receive(slot.kind) && status;
    const int peer = receive && slot.comm != MPI_COMM_NULL ? peers::world_rank(slot.comm, status->MPI_SOURCE) : -1;
    trace::completion(call, slot.trace_id, receive, peer, receive ? status->MPI_TAG : -1, received);
  }
  const std::uint64_t end = call.end_ticks();
  owner.requests += 1;
  owner.request_life_ticks += end > slot.posted_ticks ? end - slot.posted_ticks : 0;
  owner.request_inside_ticks += slot.inside_ticks + call.elapsed();
  slot.inside_ticks = 0;
  if (!is_persistent(slot.kind)) forget_request(tracked);  // persistent ones stay until MPI_Request_free
  return received;
}

std::uint64_t untracked_request_count() noexcept { return g_untracked.load(std::memory_order_relaxed); }

CompletionSet& thread_completion_set() noexcept {
  static thread_local CompletionSet set;
  return set;
}

}  // namespace commtune::pmpi
