// A fixed-size thread pool with one work-stealing deque per worker. Tasks return futures, so a
// task's exception reaches whoever waits for it and never kills a worker.
//
//   ThreadPool pool(4);
//   auto answer = pool.submit([] { return 6 * 7; });
//   pool.wait_idle();            // every submitted task has finished
//   int value = answer.get();    // rethrows the task's exception, if any
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

#include "commtune/kernels/load_balance/work_stealing_deque.hpp"

namespace commtune::kernels::load_balance {

class ThreadPool {
 public:
  // Throws std::invalid_argument for zero threads.
  explicit ThreadPool(std::size_t threads);
  // Runs every task already submitted, then joins the workers.
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  template <class F>
  auto submit(F&& function) -> std::future<std::invoke_result_t<std::decay_t<F>>> {
    using Result = std::invoke_result_t<std::decay_t<F>>;
    // std::function needs a copyable target; the packaged_task is shared, not copied.
    auto task = std::make_shared<std::packaged_task<Result()>>(std::forward<F>(function));
    std::future<Result> future = task->get_future();
    enqueue([task] { (*task)(); });
    return future;
  }

  void wait_idle();  // returns when no task is queued or running (immediately for an idle pool)
  std::size_t size() const { return workers_.size(); }

  // Index of the calling pool worker in [0, size()), or -1 on a thread that is not a worker of any pool.
  static int current_worker();

 private:
  void enqueue(std::function<void()> task);
  void worker_loop(std::size_t index);
  std::optional<std::function<void()>> take(std::size_t index);

  std::vector<std::unique_ptr<WorkStealingDeque<std::function<void()>>>> queues_;
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable work_available_;
  std::condition_variable idle_;
  std::size_t queued_ = 0;      // in the deques, guarded by mutex_
  std::size_t unfinished_ = 0;  // submitted and not yet finished, guarded by mutex_
  bool stopping_ = false;       // guarded by mutex_
  std::atomic<std::size_t> next_queue_{0};
};

}  // namespace commtune::kernels::load_balance
