#include "commtune/kernels/nonblocking/request_window.hpp"

#include <algorithm>
#include <stdexcept>

namespace commtune::kernels {

RequestWindow::RequestWindow(std::size_t capacity) {
  if (capacity == 0) throw std::invalid_argument("RequestWindow capacity must be at least 1");
  requests_.assign(capacity, MPI_REQUEST_NULL);
}

RequestWindow::~RequestWindow() { wait_all(); }

std::size_t RequestWindow::outstanding() const {
  return static_cast<std::size_t>(
      std::count_if(requests_.begin(), requests_.end(), [](MPI_Request r) { return r != MPI_REQUEST_NULL; }));
}

std::size_t RequestWindow::free_slot() {
  const auto it = std::find(requests_.begin(), requests_.end(), MPI_REQUEST_NULL);
  if (it != requests_.end()) return static_cast<std::size_t>(it - requests_.begin());
  // Full: MPI_Waitany sets the completed request to MPI_REQUEST_NULL and tells which one it was.
  ++waits_for_slot_;
  int index = MPI_UNDEFINED;
  MPI_Waitany(static_cast<int>(requests_.size()), requests_.data(), &index, MPI_STATUS_IGNORE);
  return static_cast<std::size_t>(index);
}

MPI_Request* RequestWindow::slot() {
  ++posted_;
  return &requests_[free_slot()];
}

void RequestWindow::isend(const void* buffer, int count, MPI_Datatype type, int dest, int tag, MPI_Comm comm) {
  MPI_Isend(buffer, count, type, dest, tag, comm, slot());
}

void RequestWindow::irecv(void* buffer, int count, MPI_Datatype type, int source, int tag, MPI_Comm comm) {
  MPI_Irecv(buffer, count, type, source, tag, comm, slot());
}

bool RequestWindow::test_all() {
  int done = 0;
  MPI_Testall(static_cast<int>(requests_.size()), requests_.data(), &done, MPI_STATUSES_IGNORE);
  return done != 0;
}

void RequestWindow::wait_all() {
  MPI_Waitall(static_cast<int>(requests_.size()), requests_.data(), MPI_STATUSES_IGNORE);
}

}  // namespace commtune::kernels
