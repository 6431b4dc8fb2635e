#include "commtune/kernels/overlap/overlap.hpp"

#include <stdexcept>

namespace commtune::kernels {

PollingStats compute_while_polling(std::span<MPI_Request> requests, int chunks,
                                   const std::function<void(int chunk)>& compute_chunk) {
  PollingStats stats;
  const int count = static_cast<int>(requests.size());
  bool complete = false;
  for (int chunk = 0; chunk < chunks; ++chunk) {
    compute_chunk(chunk);
    if (!complete) {
      int flag = 0;
      MPI_Testall(count, requests.data(), &flag, MPI_STATUSES_IGNORE);
      ++stats.polls;
      if (flag) {
        complete = true;
        stats.chunks_before_complete = chunk + 1;
      }
    }
  }
  MPI_Waitall(count, requests.data(), MPI_STATUSES_IGNORE);
  return stats;
}

ProgressThread::ProgressThread(std::span<MPI_Request> requests, std::chrono::microseconds interval) {
  int provided = MPI_THREAD_SINGLE;
  MPI_Query_thread(&provided);
  if (provided < MPI_THREAD_SERIALIZED) {
    throw std::runtime_error(
        "a progress thread needs MPI_THREAD_SERIALIZED or MPI_THREAD_MULTIPLE; initialise MPI with "
        "MPI_Init_thread and check the level it provides");
  }
  thread_ = std::thread([this, requests, interval] {
    while (!stop_.load(std::memory_order_acquire)) {
      int flag = 0;
      MPI_Testall(static_cast<int>(requests.size()), requests.data(), &flag, MPI_STATUSES_IGNORE);
      polls_.fetch_add(1, std::memory_order_relaxed);
      if (flag) {
        completed_.store(true, std::memory_order_release);
        return;
      }
      // Sleeping rather than spinning leaves the core to the computation it is meant to overlap.
      std::this_thread::sleep_for(interval);
    }
  });
}

ProgressThread::~ProgressThread() { stop(); }

void ProgressThread::stop() {
  stop_.store(true, std::memory_order_release);
  if (thread_.joinable()) thread_.join();
}

}  // namespace commtune::kernels
