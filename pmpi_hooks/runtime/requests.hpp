// What a nonblocking or persistent request was posted for, so that its completion in
// MPI_Wait*/MPI_Test* can be attributed: received bytes (known only from the status, also for
// MPI_ANY_SOURCE) go to the function that posted the receive, and a persistent send's bytes are
// counted at every MPI_Start. A fixed-size open-addressing table with atomic keys: no lock and no
// allocation per call; when it is full, requests go untracked and the profile says how many.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <vector>

#include "runtime/call_scope.hpp"

namespace commtune::pmpi {

// Only requests whose completion or start moves bytes are followed: a receive's bytes are known
// at completion, a persistent request's at every start.
enum class RequestKind : std::uint8_t { Recv, PersistentSend, PersistentRecv };

void track_request(MPI_Request request, FunctionId owner, RequestKind kind, std::int64_t bytes = 0) noexcept;

struct TrackedRequest {
  int slot = -1;
  FunctionId owner{};
  RequestKind kind = RequestKind::Recv;
  std::int64_t bytes = 0;

  bool found() const noexcept { return slot >= 0; }
  bool wants_status() const noexcept {
    return found() && (kind == RequestKind::Recv || kind == RequestKind::PersistentRecv);
  }
};

TrackedRequest find_request(MPI_Request request) noexcept;
void forget_request(const TrackedRequest& tracked) noexcept;

// A persistent request was started: a persistent send's bytes count now.
void request_started(CallScope& call, const TrackedRequest& tracked) noexcept;
// A request completed with `status` (may be null when not a receive): attributes received bytes
// and forgets it unless persistent.
void request_completed(CallScope& call, const TrackedRequest& tracked, const MPI_Status* status) noexcept;

std::uint64_t untracked_request_count() noexcept;

// The entries of an array of requests (MPI_Waitall and friends), looked up before completion,
// when the handles are still valid. One per thread, reused: no allocation once grown.
class CompletionSet {
 public:
  template <class RequestAt>
  void snapshot(const CallScope& call, int count, RequestAt request_at) {
    entries_.clear();
    any_ = wants_status_ = false;
    if (!call.recording() || count <= 0) return;
    entries_.resize(std::size_t(count));
    for (int i = 0; i < count; ++i) {
      entries_[std::size_t(i)] = find_request(request_at(i));
      any_ |= entries_[std::size_t(i)].found();
      wants_status_ |= entries_[std::size_t(i)].wants_status();
    }
  }
  bool any() const noexcept { return any_; }
  bool wants_status() const noexcept { return wants_status_; }
  void completed(CallScope& call, int index, const MPI_Status* status) noexcept {
    request_completed(call, entries_[std::size_t(index)], status);
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
  std::vector<MPI_Status> statuses_;
  std::vector<MPI_Fint> fortran_statuses_;
  bool any_ = false;
  bool wants_status_ = false;
};

CompletionSet& thread_completion_set() noexcept;

}  // namespace commtune::pmpi
