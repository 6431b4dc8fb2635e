#include "commtune/kernels/load_balance/scheduler.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <exception>
#include <list>
#include <mutex>
#include <stdexcept>
#include <thread>

#if defined(__linux__)
#include <sys/prctl.h>
#endif

namespace commtune::kernels::load_balance {
namespace {

using Clock = std::chrono::steady_clock;

enum Tag : int {
  kRequest = 1,     // worker -> master: one int64, tasks wanted (0: "I need nothing more")
  kGrant = 2,       // master -> worker: begin, end (empty range: no work left)
  kSteal = 3,       // thief -> victim: one int64 (unused)
  kStealReply = 4,  // victim -> thief: begin/end pairs, possibly none
  kDone = 5,        // rank -> rank 0: tasks completed since the last report
  kTerminate = 6,   // rank 0 -> rank: every task is done
};

// Small messages sent without blocking, their buffers kept until MPI is done with them.
class Outbox {
 public:
  explicit Outbox(MPI_Comm comm) : comm_(comm) {}
  ~Outbox() { wait_all(); }
  void send(std::vector<std::int64_t> data, int destination, int tag) {
    Pending& p = pending_.emplace_back();
    p.data = std::move(data);
    MPI_Isend(p.data.data(), static_cast<int>(p.data.size()), MPI_INT64_T, destination, tag, comm_, &p.request);
  }
  void progress() {
    for (auto it = pending_.begin(); it != pending_.end();) {
      int done = 0;
      MPI_Test(&it->request, &done, MPI_STATUS_IGNORE);
      it = done ? pending_.erase(it) : std::next(it);
    }
  }
  void wait_all() {
    for (Pending& p : pending_) MPI_Wait(&p.request, MPI_STATUS_IGNORE);
    pending_.clear();
  }

 private:
  struct Pending {
    std::vector<std::int64_t> data;
    MPI_Request request = MPI_REQUEST_NULL;
  };
  MPI_Comm comm_;
  std::list<Pending> pending_;  // a list: addresses stay valid while MPI reads them
};

// CPU time of the calling thread: unlike wall time it excludes time spent preempted, which
// matters when threads outnumber cores.
double thread_cpu_s() {
#if defined(CLOCK_THREAD_CPUTIME_ID)
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return double(now.tv_sec) + 1e-9 * double(now.tv_nsec);
#else
  return 0;
#endif
}

struct alignas(64) ThreadSlot {
  double busy_s = 0;
  double cpu_s = 0;
  std::int64_t executed = 0;
};

// The rank's work, shared between its pool threads and the MPI thread.
class LocalWork {
 public:
  LocalWork(std::size_t threads, bool steal_between_threads) : steal_between_threads_(steal_between_threads) {
    for (std::size_t i = 0; i < threads; ++i) deques_.push_back(std::make_unique<WorkStealingDeque<TaskRange>>());
  }

  void push(std::size_t thread, TaskRange range) {
    if (range.size() <= 0) return;
    deques_[thread % deques_.size()]->push(range);
    queued_tasks_ += range.size();
    wake_all();
  }

  // The master rank's threads take chunks straight from the global counter.
  void use_global_counter(std::atomic<std::int64_t>* next_task, std::int64_t tasks, std::int64_t chunk) {
    next_task_ = next_task;
    tasks_ = tasks;
    chunk_ = chunk;
  }

  std::optional<TaskRange> take(std::size_t thread) {
    if (auto range = deques_[thread]->pop()) return counted(*range);
    if (steal_between_threads_) {
      for (std::size_t k = 1; k < deques_.size(); ++k) {
        if (auto range = deques_[(thread + k) % deques_.size()]->steal()) return counted(*range);
      }
    }
    if (next_task_) {
      const std::int64_t begin = next_task_->fetch_add(chunk_);
      if (begin < tasks_) return TaskRange{begin, std::min(begin + chunk_, tasks_)};
    }
    return std::nullopt;
  }

  // For a remote thief: about half of the queued ranges, oldest first, from the fullest deques.
  std::vector<TaskRange> steal_for_remote() {
    std::size_t queued = 0;
    for (const auto& deque : deques_) queued += deque->size();
    std::vector<TaskRange> taken;
    while (taken.size() < (queued + 1) / 2) {
      auto fullest = std::max_element(deques_.begin(), deques_.end(),
                                      [](const auto& a, const auto& b) { return a->size() < b->size(); });
      auto range = (*fullest)->steal();
      if (!range) break;
      taken.push_back(counted(*range));
    }
    return taken;
  }

  void finish_when_drained() {
    no_more_work_ = true;
    wake_all();
  }

  void worker(std::size_t thread, const TaskFunction& task, ThreadSlot& slot) {
    ++running_threads_;
    for (;;) {
      if (auto range = take(thread)) {
        const auto start = Clock::now();
        const double start_cpu_s = thread_cpu_s();
        for (std::int64_t i = range->begin; i < range->end; ++i) {
          try {
            task(i, thread);
          } catch (...) {
            // Keep going: the other ranks are waiting for these tasks to be counted as done.
            std::lock_guard lock(error_mutex_);
            if (!first_error_) first_error_ = std::current_exception();
          }
        }
        slot.busy_s += std::chrono::duration<double>(Clock::now() - start).count();
        slot.cpu_s += thread_cpu_s() - start_cpu_s;
        slot.executed += range->size();
        completed_ += range->size();
        continue;
      }
      if (no_more_work_ && queued_tasks_ == 0) break;
      std::unique_lock lock(wake_mutex_);
      ++idle_threads_;
      // wake_all() passes through the mutex, so no wake-up is lost; the timeout is only a backstop.
      wake_.wait_for(lock, std::chrono::milliseconds(10), [&] { return queued_tasks_ > 0 || no_more_work_; });
      --idle_threads_;
    }
    --running_threads_;
  }

  std::int64_t queued_tasks() const { return queued_tasks_; }
  std::int64_t completed() const { return completed_; }
  // No queued task and every started worker waiting. A worker loop the pool has not started yet
  // (its pool thread busy elsewhere) has nothing of its own: its deque is counted in queued_tasks_.
  bool all_idle() const { return queued_tasks_ == 0 && idle_threads_ == running_threads_; }
  std::exception_ptr first_error() {
    std::lock_guard lock(error_mutex_);
    return first_error_;
  }

 private:
  void wake_all() {
    // Taking the mutex orders this wake-up after any waiter's predicate check: a worker is either
    // before the check (and sees the new state) or already waiting (and is notified).
    { std::lock_guard lock(wake_mutex_); }
    wake_.notify_all();
  }

  TaskRange counted(TaskRange range) {
    queued_tasks_ -= range.size();
    return range;
  }

  std::vector<std::unique_ptr<WorkStealingDeque<TaskRange>>> deques_;
  bool steal_between_threads_;
  std::atomic<std::int64_t>* next_task_ = nullptr;
  std::int64_t tasks_ = 0;
  std::int64_t chunk_ = 1;
  std::atomic<std::int64_t> queued_tasks_{0};
  std::atomic<std::int64_t> completed_{0};
  std::atomic<int> idle_threads_{0};
  std::atomic<int> running_threads_{0};
  std::atomic<bool> no_more_work_{false};
  std::mutex wake_mutex_;
  std::condition_variable wake_;
  std::mutex error_mutex_;
  std::exception_ptr first_error_;
};

void sleep_us(int microseconds) { std::this_thread::sleep_for(std::chrono::microseconds(microseconds)); }

// Linux rounds sleeps up by the thread's timer slack (50 us by default), which would turn the MPI
// thread's 20 us polling naps into ~70 us and delay every chunk request and steal by that much.
// Narrowed for the duration of a run, then restored.
class TimerSlackGuard {
 public:
#if defined(__linux__)
  TimerSlackGuard() : previous_ns_(prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0)) { prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0); }
  ~TimerSlackGuard() {
    if (previous_ns_ > 0) prctl(PR_SET_TIMERSLACK, static_cast<unsigned long>(previous_ns_), 0, 0, 0);
  }

 private:
  long previous_ns_;
#endif
};

// Pushes the ranges of [range) cut into chunks, spread over the deques' bottoms in reverse so each
// owner pops its lowest ids first and thieves take the far end.
void push_chunks(LocalWork& work, std::size_t thread, TaskRange range, std::int64_t chunk) {
  std::vector<TaskRange> pieces;
  for (std::int64_t b = range.begin; b < range.end; b += chunk) pieces.push_back({b, std::min(b + chunk, range.end)});
  for (auto it = pieces.rbegin(); it != pieces.rend(); ++it) work.push(thread, *it);
}

TaskRange block_of(std::int64_t tasks, int part, int parts) {
  return {tasks * part / parts, tasks * (part + 1) / parts};
}

}  // namespace

const char* to_string(SchedulePolicy policy) {
  switch (policy) {
    case SchedulePolicy::Static:
      return "static";
    case SchedulePolicy::MasterWorker:
      return "master_worker";
    case SchedulePolicy::WorkStealing:
      return "work_stealing";
  }
  return "unknown";
}

std::optional<SchedulePolicy> parse_schedule_policy(const std::string& name) {
  for (SchedulePolicy p : {SchedulePolicy::Static, SchedulePolicy::MasterWorker, SchedulePolicy::WorkStealing}) {
    if (name == to_string(p)) return p;
  }
  return std::nullopt;
}

DistributedScheduler::DistributedScheduler(MPI_Comm comm, ThreadPool& pool) : pool_(pool) {
  int level = MPI_THREAD_SINGLE;
  MPI_Query_thread(&level);
  int is_main = 0;
  MPI_Is_thread_main(&is_main);
  if (level < MPI_THREAD_FUNNELED || (level == MPI_THREAD_FUNNELED && !is_main)) {
    throw std::runtime_error(
        "DistributedScheduler needs MPI_THREAD_FUNNELED (called from the main thread) or higher: initialise MPI "
        "with MPI_Init_thread");
  }
  MPI_Comm_dup(comm, &comm_);
  MPI_Comm_rank(comm_, &rank_);
  MPI_Comm_size(comm_, &ranks_);
}

DistributedScheduler::~DistributedScheduler() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized && comm_ != MPI_COMM_NULL) MPI_Comm_free(&comm_);
}

ScheduleStats DistributedScheduler::run(const ScheduleOptions& options, const TaskFunction& task) {
  if (options.tasks < 0 || options.chunk < 1) {
    throw std::invalid_argument(
        fmt::format("scheduler needs tasks >= 0 and chunk >= 1 (got {} and {})", options.tasks, options.chunk));
  }
  const auto start = Clock::now();
  const TimerSlackGuard precise_naps;
  const std::size_t threads = pool_.size();
  const std::int64_t n = options.tasks;
  const std::int64_t chunk = options.chunk;
  const bool is_master = rank_ == 0;
  LocalWork work(threads, options.policy != SchedulePolicy::Static);
  std::atomic<std::int64_t> next_task{0};
  ScheduleStats stats;

  const TaskRange mine = block_of(n, rank_, ranks_);
  switch (options.policy) {
    case SchedulePolicy::Static:
      for (std::size_t t = 0; t < threads; ++t) {
        const TaskRange sub = block_of(mine.size(), static_cast<int>(t), static_cast<int>(threads));
        work.push(t, {mine.begin + sub.begin, mine.begin + sub.end});
      }
      work.finish_when_drained();
      break;
    case SchedulePolicy::WorkStealing:
      for (std::size_t t = 0; t < threads; ++t) {
        const TaskRange sub = block_of(mine.size(), static_cast<int>(t), static_cast<int>(threads));
        push_chunks(work, t, {mine.begin + sub.begin, mine.begin + sub.end}, chunk);
      }
      if (ranks_ == 1) work.finish_when_drained();
      break;
    case SchedulePolicy::MasterWorker:
      if (is_master) {
        work.use_global_counter(&next_task, n, chunk);
        work.finish_when_drained();
      }
      break;
  }

  std::vector<ThreadSlot> slots(threads);
  std::vector<std::future<void>> workers;
  for (std::size_t t = 0; t < threads; ++t) {
    workers.push_back(pool_.submit([&work, &task, &slots, t] { work.worker(t, task, slots[t]); }));
  }

  Outbox outbox(comm_);
  const std::int64_t low_water_tasks = static_cast<std::int64_t>(threads) * chunk;  // refill below one chunk per thread
  if (options.policy == SchedulePolicy::MasterWorker && ranks_ > 1 && is_master) {
    int told_no_more = 0;
    while (told_no_more < ranks_ - 1) {
      bool progressed = false;
      for (;;) {
        int pending = 0;
        MPI_Status status;
        MPI_Iprobe(MPI_ANY_SOURCE, kRequest, comm_, &pending, &status);
        if (!pending) break;
        std::int64_t wanted = 0;
        MPI_Recv(&wanted, 1, MPI_INT64_T, status.MPI_SOURCE, kRequest, comm_, MPI_STATUS_IGNORE);
        progressed = true;
        if (wanted == 0) {
          ++told_no_more;
          continue;
        }
        std::int64_t begin = next_task.fetch_add(wanted);
        const std::int64_t end = std::min(begin + wanted, n);
        begin = std::min(begin, n);
        stats.tasks_given += end - begin;
        outbox.send({begin, end}, status.MPI_SOURCE, kGrant);
      }
      outbox.progress();
      if (!progressed) sleep_us(poll_interval_us_);
    }
  } else if (options.policy == SchedulePolicy::MasterWorker && ranks_ > 1) {
    // Up to one request per thread in flight, keeping about two chunks per thread queued or on
    // their way, so threads rarely wait a round trip to the master. The master answers one
    // worker's requests in order from a monotonic counter: after the first empty grant, all
    // later grants are empty too.
    const auto max_in_flight = static_cast<std::int64_t>(threads);
    std::int64_t in_flight = 0;
    bool no_more = false;
    std::size_t next_deque = 0;
    while (!no_more || in_flight > 0) {
      bool progressed = false;
      while (!no_more && in_flight < max_in_flight && work.queued_tasks() + in_flight * chunk < 2 * low_water_tasks) {
        outbox.send({chunk}, 0, kRequest);
        ++stats.remote_requests;
        ++in_flight;
      }
      for (;;) {
        int pending = 0;
        MPI_Iprobe(0, kGrant, comm_, &pending, MPI_STATUS_IGNORE);
        if (!pending) break;
        std::int64_t grant[2] = {0, 0};
        MPI_Recv(grant, 2, MPI_INT64_T, 0, kGrant, comm_, MPI_STATUS_IGNORE);
        --in_flight;
        progressed = true;
        if (grant[1] <= grant[0]) {
          no_more = true;
        } else {
          work.push(next_deque++ % threads, {grant[0], grant[1]});
          stats.tasks_received += grant[1] - grant[0];
        }
      }
      outbox.progress();
      if (!progressed) sleep_us(poll_interval_us_);
    }
    outbox.send({0}, 0, kRequest);
    work.finish_when_drained();
  } else if (options.policy == SchedulePolicy::WorkStealing && ranks_ > 1) {
    bool terminated = false;
    bool outstanding = false;
    int victim = (rank_ + 1) % ranks_;
    int failed_in_a_row = 0;
    auto next_steal = Clock::now();
    std::int64_t reported = 0;     // non-root: completions already reported to rank 0
    std::int64_t remote_done = 0;  // root: completions reported by the other ranks
    std::size_t next_deque = 0;
    auto serve_steal = [&](int thief, bool have_work) {
      std::int64_t unused = 0;
      MPI_Recv(&unused, 1, MPI_INT64_T, thief, kSteal, comm_, MPI_STATUS_IGNORE);
      std::vector<std::int64_t> reply;
      if (have_work) {
        for (const TaskRange& range : work.steal_for_remote()) {
          reply.push_back(range.begin);
          reply.push_back(range.end);
          stats.tasks_given += range.size();
        }
      }
      outbox.send(std::move(reply), thief, kStealReply);
    };
    while (!terminated || outstanding) {
      bool progressed = false;
      for (;;) {
        int pending = 0;
        MPI_Status status;
        MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, comm_, &pending, &status);
        if (!pending) break;
        progressed = true;
        if (status.MPI_TAG == kSteal) {
          serve_steal(status.MPI_SOURCE, true);
        } else if (status.MPI_TAG == kStealReply) {
          int count = 0;
          MPI_Get_count(&status, MPI_INT64_T, &count);
          std::vector<std::int64_t> ranges(static_cast<std::size_t>(count));
          MPI_Recv(ranges.data(), count, MPI_INT64_T, status.MPI_SOURCE, kStealReply, comm_, MPI_STATUS_IGNORE);
          outstanding = false;
          for (int i = 0; i + 1 < count; i += 2) {
            work.push(next_deque++ % threads, {ranges[i], ranges[i + 1]});
            stats.tasks_received += ranges[i + 1] - ranges[i];
          }
          if (count == 0) {
            ++failed_in_a_row;
            // Back off once every other rank has said no, doubling up to 64 poll intervals, so
            // idle ranks do not flood busy ones with requests.
            const int rounds = std::min(failed_in_a_row / std::max(ranks_ - 1, 1), 6);
            next_steal = Clock::now() + std::chrono::microseconds(poll_interval_us_ << rounds);
          } else {
            failed_in_a_row = 0;
          }
        } else if (status.MPI_TAG == kDone) {
          std::int64_t delta = 0;
          MPI_Recv(&delta, 1, MPI_INT64_T, status.MPI_SOURCE, kDone, comm_, MPI_STATUS_IGNORE);
          remote_done += delta;
        } else if (status.MPI_TAG == kTerminate) {
          MPI_Recv(nullptr, 0, MPI_INT64_T, status.MPI_SOURCE, kTerminate, comm_, MPI_STATUS_IGNORE);
          terminated = true;
        } else {
          throw std::logic_error(fmt::format("scheduler: unexpected tag {}", status.MPI_TAG));
        }
      }
      if (is_master && !terminated && remote_done + work.completed() == n) {
        // No task is created during a run, so "every task counted as completed" is final.
        for (int r = 1; r < ranks_; ++r) outbox.send({}, r, kTerminate);
        terminated = true;
      }
      if (!is_master && !terminated && work.all_idle() && work.completed() > reported) {
        outbox.send({work.completed() - reported}, 0, kDone);
        reported = work.completed();
      }
      if (!terminated && !outstanding && work.queued_tasks() < low_water_tasks && Clock::now() >= next_steal) {
        outbox.send({0}, victim, kSteal);
        ++stats.remote_requests;
        outstanding = true;
        victim = (victim + 1) % ranks_;
        if (victim == rank_) victim = (victim + 1) % ranks_;
      }
      outbox.progress();
      if (!progressed) sleep_us(poll_interval_us_);
    }
    work.finish_when_drained();
    // A thief waits for its reply before entering the barrier, so once every rank is in it no
    // steal request is left unanswered; until then, keep answering (with nothing).
    MPI_Request barrier = MPI_REQUEST_NULL;
    MPI_Ibarrier(comm_, &barrier);
    for (int passed = 0;;) {
      MPI_Test(&barrier, &passed, MPI_STATUS_IGNORE);
      if (passed) break;
      int pending = 0;
      MPI_Status status;
      MPI_Iprobe(MPI_ANY_SOURCE, kSteal, comm_, &pending, &status);
      if (pending) {
        serve_steal(status.MPI_SOURCE, false);
      } else {
        outbox.progress();
        sleep_us(poll_interval_us_);
      }
    }
  }
  outbox.wait_all();
  for (auto& worker : workers) worker.get();

  stats.elapsed_s = std::chrono::duration<double>(Clock::now() - start).count();
  for (const ThreadSlot& slot : slots) {
    stats.busy_s.push_back(slot.busy_s);
    stats.cpu_s.push_back(slot.cpu_s);
    stats.tasks_executed += slot.executed;
  }
  if (auto error = work.first_error()) std::rethrow_exception(error);
  return stats;
}

}  // namespace commtune::kernels::load_balance
