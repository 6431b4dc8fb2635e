#include "runtime/requests.hpp"

#include <atomic>
#include <type_traits>

#include "runtime/volumes.hpp"

namespace commtune::pmpi {
namespace {

constexpr std::size_t kSlots = 1u << 15;  // outstanding requests tracked at once
constexpr int kMaxProbes = 64;            // bounds the cost of a miss
constexpr std::uintptr_t kEmpty = 0, kErased = 1, kBusy = 2;  // never valid handles

struct Slot {
  std::atomic<std::uintptr_t> key{kEmpty};
  FunctionId owner{};
  RequestKind kind = RequestKind::Recv;
  std::int64_t bytes = 0;
};

Slot g_slots[kSlots];
std::atomic<std::uint64_t> g_untracked{0};

// Open MPI's handles are pointers, MPICH's are integers.
template <class Handle>
std::uintptr_t key_of(Handle request) noexcept {
  if constexpr (std::is_pointer_v<Handle>) {
    return reinterpret_cast<std::uintptr_t>(request);
  } else {
    return static_cast<std::uintptr_t>(static_cast<std::uint32_t>(request));
  }
}

std::size_t home_of(std::uintptr_t key) noexcept { return ((key >> 3) * 0x9E3779B97F4A7C15ull) >> (64 - 15); }

}  // namespace

void track_request(MPI_Request request, FunctionId owner, RequestKind kind, std::int64_t bytes) noexcept {
  if (request == MPI_REQUEST_NULL) return;
  const std::uintptr_t key = key_of(request);
  const std::size_t home = home_of(key);
  for (int probe = 0; probe < kMaxProbes; ++probe) {
    Slot& slot = g_slots[(home + std::size_t(probe)) & (kSlots - 1)];
    std::uintptr_t seen = slot.key.load(std::memory_order_relaxed);
    if ((seen == kEmpty || seen == kErased) &&
        slot.key.compare_exchange_strong(seen, kBusy, std::memory_order_acquire)) {
      slot.owner = owner;
      slot.kind = kind;
      slot.bytes = bytes;
      slot.key.store(key, std::memory_order_release);
      return;
    }
  }
  g_untracked.fetch_add(1, std::memory_order_relaxed);
}

TrackedRequest find_request(MPI_Request request) noexcept {
  TrackedRequest tracked;
  if (request == MPI_REQUEST_NULL) return tracked;
  const std::uintptr_t key = key_of(request);
  const std::size_t home = home_of(key);
  for (int probe = 0; probe < kMaxProbes; ++probe) {
    const std::size_t index = (home + std::size_t(probe)) & (kSlots - 1);
    const std::uintptr_t seen = g_slots[index].key.load(std::memory_order_acquire);
    if (seen == kEmpty) break;
    if (seen == key) {
      tracked.slot = int(index);
      tracked.owner = g_slots[index].owner;
      tracked.kind = g_slots[index].kind;
      tracked.bytes = g_slots[index].bytes;
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

void request_started(CallScope& call, const TrackedRequest& tracked) noexcept {
  if (tracked.found() && tracked.kind == RequestKind::PersistentSend) call.add_sent_to(tracked.owner, tracked.bytes);
}

void request_completed(CallScope& call, const TrackedRequest& tracked, const MPI_Status* status) noexcept {
  if (!tracked.found()) return;
  switch (tracked.kind) {
    case RequestKind::Recv:
      call.add_received_to(tracked.owner, received_bytes(status));
      forget_request(tracked);
      break;
    case RequestKind::PersistentRecv:
      call.add_received_to(tracked.owner, received_bytes(status));
      break;
    case RequestKind::PersistentSend:
      break;  // stays until MPI_Request_free
  }
}

std::uint64_t untracked_request_count() noexcept { return g_untracked.load(std::memory_order_relaxed); }

CompletionSet& thread_completion_set() noexcept {
  static thread_local CompletionSet set;
  return set;
}

}  // namespace commtune::pmpi
