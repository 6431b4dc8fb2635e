// The thread pool and the work-stealing deque on their own, without MPI.
#include "commtune/kernels/load_balance/thread_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <numeric>
#include <stdexcept>
#include <thread>

#include "commtune/kernels/load_balance/work_stealing_deque.hpp"

namespace commtune::kernels::load_balance {
namespace {

TEST(WorkStealingDeque, OwnerPopsNewestThievesStealOldest) {
  WorkStealingDeque<int> deque;
  EXPECT_FALSE(deque.pop().has_value());
  EXPECT_FALSE(deque.steal().has_value());
  for (int i = 1; i <= 4; ++i) deque.push(i);
  EXPECT_EQ(deque.pop(), 4);
  EXPECT_EQ(deque.steal(), 1);
  EXPECT_EQ(deque.size(), 2u);
}

TEST(WorkStealingDeque, StealHalfTakesTheOldestHalfRoundedUp) {
  WorkStealingDeque<int> deque;
  EXPECT_TRUE(deque.steal_half().empty());
  for (int i = 0; i < 5; ++i) deque.push(i);
  EXPECT_EQ(deque.steal_half(), (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(deque.steal_half(), (std::vector<int>{3}));
  EXPECT_EQ(deque.steal_half(), (std::vector<int>{4}));
  EXPECT_TRUE(deque.empty());
}

TEST(WorkStealingDeque, ConcurrentOwnerAndThievesSeeEveryItemOnce) {
  WorkStealingDeque<int> deque;
  constexpr int kItems = 20000;
  std::atomic<long long> sum{0};
  std::atomic<int> count{0};
  std::atomic<bool> done_pushing{false};
  auto thief = [&] {
    while (!done_pushing || !deque.empty()) {
      if (auto item = deque.steal()) {
        sum += *item;
        ++count;
      }
    }
  };
  std::thread a(thief), b(thief);
  for (int i = 0; i < kItems; ++i) {
    deque.push(i);
    if (i % 3 == 0) {
      if (auto item = deque.pop()) {
        sum += *item;
        ++count;
      }
    }
  }
  done_pushing = true;
  a.join();
  b.join();
  EXPECT_EQ(count.load(), kItems);
  EXPECT_EQ(sum.load(), static_cast<long long>(kItems) * (kItems - 1) / 2);
}

TEST(ThreadPool, RejectsZeroThreads) { EXPECT_THROW(ThreadPool(0), std::invalid_argument); }

TEST(ThreadPool, AnEmptyPoolIsIdleAndShutsDown) {
  ThreadPool pool(3);
  EXPECT_EQ(pool.size(), 3u);
  pool.wait_idle();  // nothing submitted: returns at once
}

TEST(ThreadPool, ReturnsResultsAndRunsZeroLengthTasks) {
  ThreadPool pool(2);
  auto answer = pool.submit([] { return 6 * 7; });
  std::vector<std::future<void>> empties;
  for (int i = 0; i < 1000; ++i) empties.push_back(pool.submit([] {}));
  pool.wait_idle();
  EXPECT_EQ(answer.get(), 42);
  for (auto& f : empties) EXPECT_EQ(f.wait_for(std::chrono::seconds(0)), std::future_status::ready);
}

TEST(ThreadPool, MoreThreadsThanTasks) {
  ThreadPool pool(16);
  std::atomic<int> ran{0};
  auto a = pool.submit([&] { ++ran; });
  auto b = pool.submit([&] { ++ran; });
  a.get();
  b.get();
  pool.wait_idle();
  EXPECT_EQ(ran.load(), 2);
}

TEST(ThreadPool, ExceptionsReachTheFutureAndTheWorkerSurvives) {
  ThreadPool pool(1);
  auto failing = pool.submit([]() -> int { throw std::runtime_error("task failed"); });
  auto after = pool.submit([] { return 7; });
  EXPECT_THROW(failing.get(), std::runtime_error);
  EXPECT_EQ(after.get(), 7);
}

TEST(ThreadPool, WorkersReportTheirIndexAndIdleWorkersSteal) {
  ThreadPool pool(4);
  EXPECT_EQ(ThreadPool::current_worker(), -1);
  // Round-robin placement puts every 4th task on the blocked worker's deque; with one long task
  // blocking that worker, its queued tasks can only finish if other workers steal them.
  std::atomic<bool> release{false};
  std::atomic<int> blocked_worker{-2};
  auto blocker = pool.submit([&] {
    blocked_worker = ThreadPool::current_worker();
    while (!release) std::this_thread::yield();
  });
  // Only once it runs is its worker known to stay busy.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (blocked_worker.load() < 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  ASSERT_GE(blocked_worker.load(), 0) << "the blocking task never started";
  std::vector<std::future<int>> indices;
  for (int i = 0; i < 40; ++i) indices.push_back(pool.submit([] { return ThreadPool::current_worker(); }));
  for (auto& f : indices) {
    ASSERT_EQ(f.wait_for(std::chrono::seconds(10)), std::future_status::ready) << "queued task was never stolen";
    const int index = f.get();
    EXPECT_GE(index, 0);
    EXPECT_LT(index, 4);
    // The blocked worker was busy the whole time: every task ran elsewhere, stolen or not.
    EXPECT_NE(index, blocked_worker.load());
  }
  release = true;
  blocker.get();
}

TEST(ThreadPool, DestructorFinishesQueuedTasks) {
  std::atomic<int> ran{0};
  {
    ThreadPool pool(2);
    for (int i = 0; i < 100; ++i) pool.submit([&] { ++ran; });
  }
  EXPECT_EQ(ran.load(), 100);
}

}  // namespace
}  // namespace commtune::kernels::load_balance
