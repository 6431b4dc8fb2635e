#include "commtune/kernels/load_balance/thread_pool.hpp"

#include <stdexcept>

namespace commtune::kernels::load_balance {
namespace {
thread_local int current_worker_index = -1;
}

ThreadPool::ThreadPool(std::size_t threads) {
  if (threads == 0) throw std::invalid_argument("a thread pool needs at least one thread");
  for (std::size_t i = 0; i < threads; ++i) {
    queues_.push_back(std::make_unique<WorkStealingDeque<std::function<void()>>>());
  }
  workers_.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  work_available_.notify_all();
  for (std::thread& worker : workers_) worker.join();
}

int ThreadPool::current_worker() { return current_worker_index; }

void ThreadPool::enqueue(std::function<void()> task) {
  // Counted before the push so that no worker can take (and finish) a task the counters do not
  // know about yet; a worker that sees the count before the push simply looks again.
  {
    std::lock_guard lock(mutex_);
    ++queued_;
    ++unfinished_;
  }
  // Round-robin placement; idle workers steal, so placement only affects locality.
  queues_[next_queue_.fetch_add(1, std::memory_order_relaxed) % queues_.size()]->push(std::move(task));
  work_available_.notify_one();
}

std::optional<std::function<void()>> ThreadPool::take(std::size_t index) {
  if (auto task = queues_[index]->pop()) return task;
  for (std::size_t k = 1; k < queues_.size(); ++k) {
    if (auto task = queues_[(index + k) % queues_.size()]->steal()) return task;
  }
  return std::nullopt;
}

void ThreadPool::worker_loop(std::size_t index) {
  current_worker_index = static_cast<int>(index);
  for (;;) {
    if (auto task = take(index)) {
      {
        std::lock_guard lock(mutex_);
        --queued_;
      }
      (*task)();  // a packaged_task: exceptions land in the future
      std::lock_guard lock(mutex_);
      if (--unfinished_ == 0) idle_.notify_all();
      continue;
    }
    std::unique_lock lock(mutex_);
    // queued_ counts tasks pushed but not yet taken: if it is positive, another look will find one.
    if (queued_ > 0) continue;
    if (stopping_) return;
    work_available_.wait(lock, [&] { return queued_ > 0 || stopping_; });
  }
}

void ThreadPool::wait_idle() {
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [&] { return unfinished_ == 0; });
}

}  // namespace commtune::kernels::load_balance
