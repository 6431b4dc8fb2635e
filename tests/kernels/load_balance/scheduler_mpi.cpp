// DistributedScheduler under mpirun: every task runs exactly once across ranks and threads for
// each policy, including no tasks, more threads than tasks, odd chunks and throwing tasks.
#include <mpi.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "commtune/kernels/load_balance/scheduler.hpp"
#include "support/mpi_check.hpp"

using namespace commtune::kernels::load_balance;

namespace {

using commtune::kernels::test::check;
using commtune::kernels::test::rank;
using commtune::kernels::test::ranks;

void expect_each_task_once(DistributedScheduler& scheduler, std::size_t threads, ScheduleOptions options,
                           int task_sleep_us) {
  std::vector<std::atomic<int>> runs(static_cast<std::size_t>(options.tasks));
  const auto stats = scheduler.run(options, [&](std::int64_t task, std::size_t thread) {
    if (thread >= threads) throw std::logic_error("thread index out of range");
    // Later tasks are much slower (up to 16x), so static leaves ranks idle for tens of milliseconds
    // and dynamic policies must move work, even when a loaded machine delays their messages.
    if (task_sleep_us > 0) {
      std::this_thread::sleep_for(std::chrono::microseconds(task_sleep_us * (1 + 15 * task / (options.tasks + 1))));
    }
    ++runs[static_cast<std::size_t>(task)];
  });
  std::vector<int> local(runs.size());
  for (std::size_t i = 0; i < runs.size(); ++i) local[i] = runs[i];
  std::vector<int> total(runs.size());
  MPI_Allreduce(local.data(), total.data(), static_cast<int>(local.size()), MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  const std::string label = std::string(to_string(options.policy)) + " tasks=" + std::to_string(options.tasks) +
                            " chunk=" + std::to_string(options.chunk) + " threads=" + std::to_string(threads);
  for (std::size_t i = 0; i < total.size(); ++i) {
    if (total[i] != 1) {
      check(false, label + ": task " + std::to_string(i) + " ran " + std::to_string(total[i]) + " times");
      break;
    }
  }
  check(stats.busy_s.size() == threads, label + ": one busy time per thread");
  long long executed = stats.tasks_executed;
  long long all_executed = 0;
  MPI_Allreduce(&executed, &all_executed, 1, MPI_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
  check(all_executed == options.tasks, label + ": executed counts add up to the task count");
  long long moved[2] = {stats.tasks_given, stats.tasks_received};
  long long moved_all[2] = {0, 0};
  MPI_Allreduce(moved, moved_all, 2, MPI_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
  check(moved_all[0] == moved_all[1], label + ": tasks given equal tasks received");
  if (options.policy == SchedulePolicy::Static) check(moved_all[0] == 0, label + ": static moves nothing");
  if (options.policy == SchedulePolicy::MasterWorker && ranks > 1 && options.tasks >= 64 && task_sleep_us > 0) {
    check(moved_all[0] > 0, label + ": the master handed tasks to other ranks");
  }
  if (options.policy == SchedulePolicy::WorkStealing && ranks > 1 && options.tasks >= 64 && task_sleep_us > 0) {
    check(moved_all[0] > 0, label + ": ramped work made some rank steal");
  }
}

}  // namespace

int main(int argc, char** argv) {
  commtune::kernels::test::init(argc, argv, MPI_THREAD_FUNNELED);
  for (std::size_t threads : {1u, 3u}) {
    ThreadPool pool(threads);
    DistributedScheduler scheduler(MPI_COMM_WORLD, pool);
    for (auto policy : {SchedulePolicy::Static, SchedulePolicy::MasterWorker, SchedulePolicy::WorkStealing}) {
      expect_each_task_once(scheduler, threads, {.policy = policy, .tasks = 0, .chunk = 1}, 0);
      expect_each_task_once(scheduler, threads, {.policy = policy, .tasks = 2, .chunk = 1}, 0);  // fewer than threads
      expect_each_task_once(scheduler, threads, {.policy = policy, .tasks = 1000, .chunk = 7}, 0);  // zero-length
      expect_each_task_once(scheduler, threads, {.policy = policy, .tasks = 97, .chunk = 200}, 0);  // chunk > tasks
      expect_each_task_once(scheduler, threads, {.policy = policy, .tasks = 128, .chunk = 1}, 100);
    }
  }
  // A throwing task: every other task still runs, the exception surfaces on the rank that ran it,
  // and the scheduler stays usable.
  {
    ThreadPool pool(2);
    DistributedScheduler scheduler(MPI_COMM_WORLD, pool);
    for (auto policy : {SchedulePolicy::Static, SchedulePolicy::MasterWorker, SchedulePolicy::WorkStealing}) {
      std::atomic<int> ran{0};
      int threw = 0;
      try {
        scheduler.run({.policy = policy, .tasks = 50, .chunk = 2}, [&](std::int64_t task, std::size_t) {
          ++ran;
          if (task == 17) throw std::runtime_error("task 17 failed");
        });
      } catch (const std::runtime_error&) {
        threw = 1;
      }
      int ran_local = ran;
      int totals[2] = {0, 0};
      int locals[2] = {threw, ran_local};
      MPI_Allreduce(locals, totals, 2, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
      check(totals[0] == 1, std::string(to_string(policy)) + ": exactly one rank rethrew the task's exception");
      check(totals[1] == 50, std::string(to_string(policy)) + ": the other 49 tasks still ran");
      expect_each_task_once(scheduler, 2, {.policy = policy, .tasks = 30, .chunk = 1}, 0);
    }
  }
  bool rejected = false;
  try {
    ThreadPool pool(1);
    DistributedScheduler scheduler(MPI_COMM_WORLD, pool);
    scheduler.run({.policy = SchedulePolicy::Static, .tasks = 10, .chunk = 0}, [](std::int64_t, std::size_t) {});
  } catch (const std::invalid_argument&) {
    rejected = true;
  }
  check(rejected, "chunk 0 is rejected");

  return commtune::kernels::test::finish();
}
