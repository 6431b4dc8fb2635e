// Runs tasks 0 .. tasks-1 exactly once across all ranks of a communicator, on each rank's
// ThreadPool, with a static, master-worker or work-stealing distribution.
//
// Threading design: MPI_THREAD_FUNNELED. Only the thread that calls run() touches MPI; pool
// threads only execute tasks and exchange task ranges with it through in-memory queues. That is
// portable to MPI libraries without a fast MPI_THREAD_MULTIPLE, and keeps MPI progress in one
// place. run() throws std::runtime_error if MPI provides less than MPI_THREAD_FUNNELED.
//
//   ThreadPool pool(2);
//   DistributedScheduler scheduler(MPI_COMM_WORLD, pool);
//   auto stats = scheduler.run({.policy = SchedulePolicy::WorkStealing, .tasks = n, .chunk = 4},
//                              [&](std::int64_t task, std::size_t thread) { results[thread] += work(task); });
#pragma once

#include <mpi.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "commtune/kernels/load_balance/thread_pool.hpp"

namespace commtune::kernels::load_balance {

enum class SchedulePolicy {
  Static,        // rank r takes the r-th contiguous block, each thread a contiguous sub-block
  MasterWorker,  // rank 0 hands out chunks on request (its own threads take them directly)
  WorkStealing,  // start static; idle threads steal from siblings, idle ranks steal from other ranks
};

const char* to_string(SchedulePolicy policy);
std::optional<SchedulePolicy> parse_schedule_policy(const std::string& name);  // "static", "master_worker", ...

struct TaskRange {
  std::int64_t begin = 0;
  std::int64_t end = 0;  // exclusive
  std::int64_t size() const { return end - begin; }
};

struct ScheduleOptions {
  SchedulePolicy policy = SchedulePolicy::Static;
  std::int64_t tasks = 0;
  std::int64_t chunk = 1;  // tasks per grab: the unit handed out, queued and stolen
};

// What happened on this rank during one run().
struct ScheduleStats {
  std::int64_t tasks_executed = 0;
  std::vector<double> busy_s;        // per pool thread: wall time spent inside tasks
  std::vector<double> cpu_s;         // per pool thread: CPU time spent inside tasks (0 where unsupported)
  std::int64_t remote_requests = 0;  // chunk requests (master-worker) or steal attempts sent
  std::int64_t tasks_received = 0;   // tasks obtained from other ranks
  std::int64_t tasks_given = 0;      // tasks handed to other ranks
  double elapsed_s = 0;              // from entry to return of run() on this rank
};

// (task id, pool thread index in [0, pool.size())). Called concurrently from pool threads.
using TaskFunction = std::function<void(std::int64_t task, std::size_t thread)>;

class DistributedScheduler {
 public:
  // Collective over comm (duplicates it, so scheduler messages never meet the caller's).
  DistributedScheduler(MPI_Comm comm, ThreadPool& pool);
  ~DistributedScheduler();
  DistributedScheduler(const DistributedScheduler&) = delete;
  DistributedScheduler& operator=(const DistributedScheduler&) = delete;

  // Collective. Every rank must pass the same options. If tasks throw, all tasks still run (so no
  // rank is left waiting) and the first exception is rethrown on the rank where it happened.
  ScheduleStats run(const ScheduleOptions& options, const TaskFunction& task);

  // How long the MPI thread sleeps when it has nothing to do (it must not burn a core that pool
  // threads could use). Default 100 us: in a VM each nap costs a timer exit, and at 20 us the naps
  // measurably slowed the pool threads on a 2-core machine.
  void set_poll_interval_us(int microseconds) { poll_interval_us_ = microseconds; }

 private:
  MPI_Comm comm_ = MPI_COMM_NULL;
  ThreadPool& pool_;
  int rank_ = 0;
  int ranks_ = 1;
  int poll_interval_us_ = 100;
};

}  // namespace commtune::kernels::load_balance
