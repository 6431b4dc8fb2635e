// What a nonblocking or persistent request was posted for, so that its completion in
// MPI_Wait*/MPI_Test* can be attributed to the call site that posted it: received bytes (known
// only from the status, also for MPI_ANY_SOURCE), a persistent send's bytes at every MPI_Start,
// and the request's lifetime and the part of it spent inside completion calls. A fixed-size
// open-addressing table with atomic keys: no lock and no allocation per call; when it is full,
// requests go untracked and the profile says how many.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <vector>

#include "runtime/call_scope.hpp"

namespace commtune::pmpi {

enum class RequestKind : std::uint8_t { Send, Recv, Other, PersistentSend, PersistentRecv, PersistentOther };

inline bool is_persistent(RequestKind kind) noexcept { return kind >= RequestKind::PersistentSend; }
inline bool is_receive(RequestKind kind) noexcept {
  return kind == RequestKind::Recv || kind == RequestKind::PersistentRecv;
}

// Whether a blocking receive's message is already there (a non-consuming probe), so that its
// wait can be told from its copy; the probe is not part of the call's time.
inline bool message_arrived(CallScope& call, int source, int tag, MPI_Comm comm) noexcept {
  if (!call.recording() || source == MPI_PROC_NULL) return true;
  int flag = 0;
  PMPI_Iprobe(source, tag, comm, &flag, MPI_STATUS_IGNORE);
  call.restart();
  return flag != 0;
}

// Called by the posting wrapper after call.stop(). For persistent sends, `bytes` and
// `world_peer` are what each start sends.
void track_request(MPI_Request request, CallScope& call, RequestKind kind, std::int64_t bytes = 0,
                   int world_peer = -1) noexcept;

struct TrackedRequest {
  int slot = -1;
  RequestKind kind = RequestKind::Other;

  bool found() const noexcept { return slot >= 0; }
  bool wants_status() const noexcept { return found() && is_receive(kind); }
};

TrackedRequest find_request(MPI_Request request) noexcept;
void forget_request(const TrackedRequest& tracked) noexcept;

// Whether a tracked receive's message is still to come (MPI_Request_get_status does not free
// the request): a wait that begins with one pending is a late-sender wait.
bool receive_pending(const TrackedRequest& tracked, MPI_Request request) noexcept;

// A persistent request was started: its lifetime restarts, a persistent send's bytes count now.
void request_started(CallScope& call, const TrackedRequest& tracked) noexcept;
// A completion call that included the request returned without completing it.
void request_still_pending(CallScope& call, const TrackedRequest& tracked) noexcept;
// A request completed with `status` (null unless a receive): attributes received bytes and the
// lifetime to the posting site, and forgets the request unless persistent.
// Returns the bytes received.
std::int64_t request_completed(CallScope& call, const TrackedRequest& tracked, const MPI_Status* status) noexcept;

// One request (MPI_Wait, MPI_Test, their Fortran forms): looked up before the call, attributed after.
struct SingleCompletion {
  TrackedRequest tracked;
  bool pending = false;  // a receive whose message had not arrived when the call began

  void before(CallScope& call, MPI_Request request) noexcept {
    if (!call.recording()) return;
    tracked = find_request(request);
    pending = receive_pending(tracked, request);
    call.restart();  // the lookups are ours, not the application's
  }
  // `waits`: MPI_Wait (a late-sender wait when pending), not MPI_Test.
  void after(CallScope& call, bool waits, bool completed, const MPI_Status* status) noexcept {
    if (!call.recording() || !tracked.found()) return;
    if (!completed) return request_still_pending(call, tracked);
    const std::int64_t received = request_completed(call, tracked, status);
    if (waits && pending) call.note_wait(received);
  }
};

std::uint64_t untracked_request_count() noexcept;

// The entries of an array of requests (MPI_Waitall and friends), looked up before completion,
// when the handles are still valid. One per thread, reused: no allocation once grown.
class CompletionSet {
 public:
  template <class RequestAt>
  void snapshot(CallScope& call, int count, RequestAt request_at) {
    entries_.clear();
    completed_.clear();
    any_ = wants_status_ = receive_pending_ = false;
    received_ = 0;
    if (!call.recording() || count <= 0) return;
    entries_.resize(std::size_t(count));
    completed_.assign(std::size_t(count), false);
    for (int i = 0; i < count; ++i) {
      TrackedRequest& entry = entries_[std::size_t(i)];
      entry = find_request(request_at(i));
      any_ |= entry.found();
      wants_status_ |= entry.wants_status();
      if (entry.wants_status() && !receive_pending_) receive_pending_ = pmpi::receive_pending(entry, request_at(i));
    }
    call.restart();  // the lookups are ours, not the application's
  }
  bool any() const noexcept { return any_; }
  bool wants_status() const noexcept { return wants_status_; }
  // A receive among the requests had not arrived when the call began.
  bool receive_pending() const noexcept { return receive_pending_; }
  void completed(CallScope& call, int index, const MPI_Status* status) noexcept {
    completed_[std::size_t(index)] = true;
    received_ += request_completed(call, entries_[std::size_t(index)], status);
  }
  // After a completion call: the requests it did not complete were waited on all the same, and a
  // wait call (`waits`) that began with a receive pending waited for a late sender.
  void finish(CallScope& call, bool waits) noexcept {
    if (!any_) return;
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      if (!completed_[i]) request_still_pending(call, entries_[i]);
    }
    if (waits && receive_pending_) call.note_wait(received_);
  }
  void started(CallScope& call, int index) noexcept { request_started(call, entries_[std::size_t(index)]); }
  MPI_Status* status_buffer(int count) {
    statuses_.resize(std::size_t(count));
    return statuses_.data();
  }
  MPI_Fint* fortran_status_buffer(int count, int status_ints) {
    fortran_statuses_.resize(std::size_t(count) * std::size_t(status_ints));
    return fortran_statuses_.data();
  }

 private:
  std::vector<TrackedRequest> entries_;
  std::vector<bool> completed_;
  std::vector<MPI_Status> statuses_;
  std::vector<MPI_Fint> fortran_statuses_;
  bool any_ = false;
  bool wants_status_ = false;
  bool receive_pending_ = false;
  std::int64_t received_ = 0;
};

CompletionSet& thread_completion_set() noexcept;

}  // namespace commtune::pmpi
