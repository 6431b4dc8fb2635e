// Overlapping communication with computation: the two ways to keep a nonblocking operation moving
// while the rank computes.
//
// MPI libraries without an asynchronous progress engine (Open MPI's ob1 and MPICH's ch3/ch4 by
// default) advance a nonblocking operation only inside MPI calls. Posting MPI_Iallreduce, computing
// for 10 ms and then calling MPI_Wait often overlaps nothing: the operation starts in earnest in the
// wait. Either split the compute and poke the library between pieces (compute_while_polling), or
// let a helper thread poke it (ProgressThread, which needs MPI_THREAD_SERIALIZED or better).
//
//   MPI_Request requests[2];
//   MPI_Irecv(halo_in, n, MPI_DOUBLE, left, 0, comm, &requests[0]);
//   MPI_Isend(halo_out, n, MPI_DOUBLE, right, 0, comm, &requests[1]);
//   commtune::kernels::compute_while_polling(requests, 16, [&](int chunk) { update_interior(chunk, 16); });
//   // all requests are complete here; update the boundary with halo_in
#pragma once

#include <mpi.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <span>
#include <thread>

namespace commtune::kernels {

struct PollingStats {
  int polls = 0;                    // MPI_Testall calls made between chunks
  int chunks_before_complete = -1;  // chunks done when the requests were first seen complete; -1: never
};

// Runs compute_chunk(0) .. compute_chunk(chunks - 1), calling MPI_Testall on `requests` after
// every chunk until they complete, then MPI_Waitall for whatever is left. On return every request
// is MPI_REQUEST_NULL.
PollingStats compute_while_polling(std::span<MPI_Request> requests, int chunks,
                                   const std::function<void(int chunk)>& compute_chunk);

// A thread that calls MPI_Testall on `requests` every `interval` until they complete or stop() /
// the destructor runs. While it lives, the requests belong to it: the owning thread must not touch
// them, and must not call MPI at all unless MPI was initialised with MPI_THREAD_MULTIPLE. After
// stop() (or destruction) the caller waits for the requests as usual (MPI_Waitall).
// Throws std::runtime_error when MPI provides less than MPI_THREAD_SERIALIZED.
class ProgressThread {
 public:
  explicit ProgressThread(std::span<MPI_Request> requests,
                          std::chrono::microseconds interval = std::chrono::microseconds(20));
  ~ProgressThread();  // stop()
  ProgressThread(const ProgressThread&) = delete;
  ProgressThread& operator=(const ProgressThread&) = delete;

  void stop();  // joins the thread; idempotent
  bool completed() const { return completed_.load(std::memory_order_acquire); }
  int polls() const { return polls_.load(std::memory_order_relaxed); }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<bool> completed_{false};
  std::atomic<int> polls_{0};
  std::thread thread_;
};

}  // namespace commtune::kernels
