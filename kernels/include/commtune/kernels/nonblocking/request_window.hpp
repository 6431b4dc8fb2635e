// RequestWindow: at most N nonblocking MPI operations in flight, waited for on destruction.
//
// Replacing a loop of blocking MPI_Send calls by MPI_Isend is the usual first step out of
// serialised communication, but unbounded posting can exhaust memory or the library's request
// resources, and forgotten requests are a classic bug. The window bounds what is outstanding
// (posting into a full window first waits for any one request to finish) and its destructor waits
// for whatever is left, so no request outlives the buffers of the scope that posted it.
//
//   std::vector<std::vector<char>> outgoing = ...;
//   {
//     commtune::kernels::RequestWindow receives(incoming.size());  // post every receive first
//     for (int i = 0; i < sources; ++i) receives.irecv(incoming[i].data(), bytes, MPI_BYTE, src[i], tag, comm);
//     commtune::kernels::RequestWindow sends(8);  // at most 8 sends in flight
//     for (int i = 0; i < dests; ++i) sends.isend(outgoing[i].data(), bytes, MPI_BYTE, dst[i], tag, comm);
//   }  // both windows wait here; buffers may be reused afterwards
//
// Deadlock note: a bounded window of sends is safe when the matching receives are guaranteed to
// be posted without waiting on these sends, e.g. every rank pre-posts all its receives first.
#pragma once

#include <mpi.h>

#include <cstddef>
#include <vector>

namespace commtune::kernels {

class RequestWindow {
 public:
  // `capacity` >= 1 operations in flight; throws std::invalid_argument otherwise.
  explicit RequestWindow(std::size_t capacity);
  ~RequestWindow();  // wait_all(): never leaves a request (and a reused buffer) behind
  RequestWindow(const RequestWindow&) = delete;
  RequestWindow& operator=(const RequestWindow&) = delete;

  // Post one operation; when the window is full, first waits for any one outstanding request.
  void isend(const void* buffer, int count, MPI_Datatype type, int dest, int tag, MPI_Comm comm);
  void irecv(void* buffer, int count, MPI_Datatype type, int source, int tag, MPI_Comm comm);

  // A free slot for any other nonblocking call (MPI_Ibcast, MPI_Iallreduce, ...): waits when the
  // window is full, then returns the request to pass to the call. Use it before the next post.
  MPI_Request* slot();

  // Drives progress without blocking (MPI_Testall); true when nothing is outstanding any more.
  bool test_all();
  void wait_all();  // blocks until every posted operation has completed

  std::size_t capacity() const { return requests_.size(); }
  std::size_t outstanding() const;                                // posted and not yet known to be complete
  std::size_t posted() const { return posted_; }                  // total since construction
  std::size_t waits_for_slot() const { return waits_for_slot_; }  // times a post found the window full

 private:
  std::size_t free_slot();

  std::vector<MPI_Request> requests_;  // MPI_REQUEST_NULL marks a free slot
  std::size_t posted_ = 0;
  std::size_t waits_for_slot_ = 0;
};

}  // namespace commtune::kernels
