// A double-ended work queue: its owner pushes and pops at the bottom (newest first, warm caches),
// thieves take from the top (oldest first, usually the biggest remaining piece of a split range).
//
// It is a mutex around std::deque rather than a lock-free Chase-Lev deque on purpose: the items
// here are task ranges that take microseconds to milliseconds, so an uncontended lock (~20 ns)
// is noise, and a lock makes steal_half() and arbitrary pushers (an MPI thread refilling the
// queue) trivially correct.
#pragma once

#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <vector>

namespace commtune::kernels::load_balance {

template <class T>
class WorkStealingDeque {
 public:
  void push(T item) {
    std::lock_guard lock(mutex_);
    items_.push_back(std::move(item));
  }

  // Owner side: the most recently pushed item.
  std::optional<T> pop() {
    std::lock_guard lock(mutex_);
    if (items_.empty()) return std::nullopt;
    T item = std::move(items_.back());
    items_.pop_back();
    return item;
  }

  // Thief side: the oldest item.
  std::optional<T> steal() {
    std::lock_guard lock(mutex_);
    if (items_.empty()) return std::nullopt;
    T item = std::move(items_.front());
    items_.pop_front();
    return item;
  }

  // Thief side: the oldest ceil(size / 2) items in one critical section (empty when empty), so a
  // remote thief gets a fair share in one round trip.
  std::vector<T> steal_half() {
    std::lock_guard lock(mutex_);
    const std::size_t take = (items_.size() + 1) / 2;
    std::vector<T> taken;
    taken.reserve(take);
    for (std::size_t i = 0; i < take; ++i) {
      taken.push_back(std::move(items_.front()));
      items_.pop_front();
    }
    return taken;
  }

  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return items_.size();
  }
  bool empty() const { return size() == 0; }

 private:
  mutable std::mutex mutex_;
  std::deque<T> items_;
};

}  // namespace commtune::kernels::load_balance
