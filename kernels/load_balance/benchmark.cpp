// The "load_balance" kernel (declared in declaration.cpp): a bag of independent tasks with a known cost profile,
// executed by a thread pool on every rank under a static, master-worker or work-stealing distribution.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <thread>

#if defined(__linux__)
#include <sched.h>
#endif

#include "commtune/kernels/builtin.hpp"
#include "commtune/kernels/load_balance/scheduler.hpp"
#include "commtune/kernels/measure.hpp"
#include "synthetic_tasks.hpp"

namespace commtune::kernels {
namespace {

using load_balance::DistributedScheduler;
using load_balance::ScheduleOptions;
using load_balance::ScheduleStats;
using load_balance::ThreadPool;

std::uint64_t mix(std::uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return x;
}

// Waits for every rank without spinning: a rank that finished early must not take a core from
// the ranks still computing (Open MPI's MPI_Barrier busy-polls, which on an oversubscribed node
// would slow the very ranks it waits for and make the static baseline look worse than it is).
void sleeping_barrier(MPI_Comm comm, int nap_us) {
  MPI_Request request = MPI_REQUEST_NULL;
  MPI_Ibarrier(comm, &request);
  for (int done = 0;;) {
    MPI_Test(&request, &done, MPI_STATUS_IGNORE);
    if (done) return;
    std::this_thread::sleep_for(std::chrono::microseconds(nap_us));
  }
}

// CPUs this process may run on (its pool threads inherit the mask); 0 when unknown. Launchers bind
// ranks to one core by default (Open MPI does for 2 ranks), which silently serialises a pool.
int cpus_in_affinity_mask() {
#if defined(__linux__)
  cpu_set_t mask;
  CPU_ZERO(&mask);
  if (sched_getaffinity(0, sizeof mask, &mask) == 0) return CPU_COUNT(&mask);
#endif
  return 0;
}

struct alignas(64) ThreadSum {
  std::uint64_t value = 0;
};

struct CallRecord {
  double busy_sum_s = 0;  // this rank, all threads
  double busy_max_s = 0;  // this rank, busiest thread
  double cpu_sum_s = 0;   // this rank, all threads
  double executed = 0;
  double remote_requests = 0;
  double tasks_received = 0;
  std::uint64_t digest = 0;  // this rank's share of the task-result sum
};

// Hardware threads of every node the job runs on: what the tasks' CPU time can be spread over.
struct JobCores {
  int ranks_on_node = 1;
  unsigned hardware_threads = 1;  // of this node
  int cores_for_job = 0;          // of every node, summed
};

JobCores job_cores(MPI_Comm comm) {
  JobCores cores;
  MPI_Comm node;
  MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
  int node_rank = 0;
  MPI_Comm_size(node, &cores.ranks_on_node);
  MPI_Comm_rank(node, &node_rank);
  MPI_Comm_free(&node);
  cores.hardware_threads = std::max(1u, std::thread::hardware_concurrency());
  const int node_cores = node_rank == 0 ? static_cast<int>(cores.hardware_threads) : 0;
  MPI_Allreduce(&node_cores, &cores.cores_for_job, 1, MPI_INT, MPI_SUM, comm);
  return cores;
}

// The timed calls' records reduced over ranks, one figure per timed iteration or summed.
struct Reduced {
  std::vector<double> ideal_s;
  std::vector<double> ideal_cpu_s;
  std::vector<double> efficiency;
  double wrong_task_count = 0;
  double requests = 0;
  double moved = 0;
  int inconsistent = 0;
  std::uint64_t last_digest = 0;
};

// Reduces the timed calls (the last `timed` records; the first ones were warm-up).
Reduced reduce_calls(const std::vector<CallRecord>& calls, std::size_t timed, double workers, int cores_for_job,
                     std::int64_t tasks, MPI_Comm comm) {
  const std::size_t first = calls.size() - timed;
  std::vector<double> sum_local;
  std::vector<double> max_local;
  std::vector<std::uint64_t> digest_local;
  for (std::size_t c = first; c < calls.size(); ++c) {
    sum_local.insert(sum_local.end(), {calls[c].busy_sum_s, calls[c].executed, calls[c].remote_requests,
                                       calls[c].tasks_received, calls[c].cpu_sum_s});
    max_local.push_back(calls[c].busy_max_s);
    digest_local.push_back(calls[c].digest);
  }
  std::vector<double> sum_all(sum_local.size());
  std::vector<double> max_all(max_local.size());
  std::vector<std::uint64_t> digest_all(digest_local.size());
  MPI_Allreduce(sum_local.data(), sum_all.data(), int(sum_local.size()), MPI_DOUBLE, MPI_SUM, comm);
  MPI_Allreduce(max_local.data(), max_all.data(), int(max_local.size()), MPI_DOUBLE, MPI_MAX, comm);
  MPI_Allreduce(digest_local.data(), digest_all.data(), int(digest_local.size()), MPI_UINT64_T, MPI_SUM, comm);

  constexpr std::size_t kFields = 5;  // per call in sum_local
  Reduced r;
  for (std::size_t c = 0; c < timed; ++c) {
    const double busy_total = sum_all[kFields * c];
    r.ideal_s.push_back(busy_total / workers);
    r.ideal_cpu_s.push_back(sum_all[kFields * c + 4] / std::min(workers, double(cores_for_job)));
    r.efficiency.push_back(max_all[c] > 0 ? busy_total / workers / max_all[c] : 1.0);
    r.wrong_task_count += std::fabs(sum_all[kFields * c + 1] - double(tasks));
    r.requests += sum_all[kFields * c + 2];
    r.moved += sum_all[kFields * c + 3];
    r.inconsistent += digest_all[c] != digest_all.back();
  }
  r.last_digest = digest_all.empty() ? 0 : digest_all.back();
  return r;
}

void add_notes(std::size_t threads, const JobCores& cores, double wrong_task_count, int inconsistent, MPI_Comm comm,
               KernelResult& result) {
  int level = MPI_THREAD_SINGLE;
  MPI_Query_thread(&level);
  const std::size_t compute_threads = std::size_t(cores.ranks_on_node) * threads;
  result.notes["threading"] = fmt::format(
      "MPI_THREAD_FUNNELED design: only each rank's main thread calls MPI; {} pool thread(s) per rank compute "
      "(MPI provides level {})",
      threads, level);
  result.notes["oversubscribed"] =
      compute_threads > cores.hardware_threads
          ? fmt::format(
                "yes: {} compute threads on {} hardware threads of this node; the ideal makespan uses "
                "measured busy time, so it reflects the slowed tasks",
                compute_threads, cores.hardware_threads)
          : fmt::format("no: {} compute threads on {} hardware threads", compute_threads, cores.hardware_threads);
  int cpus = cpus_in_affinity_mask();
  int min_cpus = cpus;
  MPI_Allreduce(&cpus, &min_cpus, 1, MPI_INT, MPI_MIN, comm);
  result.metrics["min_cpus_per_rank"] = min_cpus;
  if (min_cpus > 0 && std::size_t(min_cpus) < threads) {
    result.notes["affinity"] = fmt::format(
        "some rank may only run on {} CPU(s) but has {} pool threads: its threads share those CPUs. Bind ranks to "
        "as many cores as threads (Open MPI: --map-by slot:PE={} or --bind-to none; MPICH: -bind-to core:{})",
        min_cpus, threads, threads, threads);
  } else {
    result.notes["affinity"] =
        min_cpus > 0 ? fmt::format("every rank may run on at least {} CPU(s)", min_cpus) : "unknown";
  }
  result.notes["delivery"] =
      wrong_task_count == 0 && inconsistent == 0
          ? "every task ran exactly once in every iteration"
          : fmt::format("{} tasks missing or repeated, {} iterations disagree", wrong_task_count, inconsistent);
}

}  // namespace

KernelResult run_load_balance(const ParamSet& params, const RunOptions& options, MPI_Comm comm) {
  const auto policy = *load_balance::parse_schedule_policy(params.choice("variant"));
  const auto threads = static_cast<std::size_t>(params.integer("threads"));
  const std::int64_t tasks = params.integer("tasks");
  const auto distribution = *load_balance::parse_cost_distribution(params.choice("cost_distribution"));
  const auto seed = static_cast<std::uint64_t>(params.integer("seed"));
  int ranks = 1;
  MPI_Comm_size(comm, &ranks);
  const JobCores cores = job_cores(comm);

  ThreadPool pool(threads);
  DistributedScheduler scheduler(comm, pool);
  const int poll_interval_us = static_cast<int>(params.integer("poll_interval_us"));
  scheduler.set_poll_interval_us(poll_interval_us);
  const double steps_per_us = load_balance::calibrate_steps_per_us(comm);
  const std::vector<double> costs_us =
      load_balance::task_costs_us(distribution, tasks, params.real("task_cost_us"), seed);
  std::vector<std::int64_t> steps(costs_us.size());
  for (std::size_t i = 0; i < steps.size(); ++i) steps[i] = std::llround(costs_us[i] * steps_per_us);

  std::vector<ThreadSum> sums(threads);
  std::vector<CallRecord> calls;
  const auto task = [&](std::int64_t i, std::size_t thread) {
    const std::uint64_t result = load_balance::spin_task(seed * 0x9e3779b97f4a7c15ULL + std::uint64_t(i), steps[i]);
    // A sum (mod 2^64) of per-task terms does not depend on which rank or thread ran the task,
    // or in which order; a lost or repeated task changes it.
    sums[thread].value += mix(std::uint64_t(i) * 0x2545f4914f6cdd1dULL ^ result);
  };
  const ScheduleOptions schedule{.policy = policy, .tasks = tasks, .chunk = params.integer("chunk")};

  KernelResult result;
  result.iteration_times_s = time_iterations(comm, options, [&] {
    for (ThreadSum& s : sums) s.value = 0;
    const ScheduleStats stats = scheduler.run(schedule, task);
    // The iteration ends when the last rank finishes: that is the makespan.
    sleeping_barrier(comm, poll_interval_us);
    CallRecord record;
    record.busy_sum_s = std::accumulate(stats.busy_s.begin(), stats.busy_s.end(), 0.0);
    record.busy_max_s = *std::max_element(stats.busy_s.begin(), stats.busy_s.end());
    record.cpu_sum_s = std::accumulate(stats.cpu_s.begin(), stats.cpu_s.end(), 0.0);
    record.executed = double(stats.tasks_executed);
    record.remote_requests = double(stats.remote_requests);
    record.tasks_received = double(stats.tasks_received);
    for (const ThreadSum& s : sums) record.digest += s.value;
    calls.push_back(record);
  });

  const double workers = double(ranks) * double(threads);
  const std::size_t timed = result.iteration_times_s.size();
  const Reduced r = reduce_calls(calls, timed, workers, cores.cores_for_job, tasks, comm);
  Checksum digest;
  digest.add_u64(r.last_digest);
  digest.add_u64(std::uint64_t(tasks));
  result.checksum = to_hex(digest.value());

  const double makespan_s = summarize(result.iteration_times_s).median;
  const double ideal_makespan_s = summarize(r.ideal_s).median;
  const double ideal_cpu_s = summarize(r.ideal_cpu_s).median;
  const double nominal_work_s = std::accumulate(costs_us.begin(), costs_us.end(), 0.0) * 1e-6;
  const double n_timed = std::max<double>(double(timed), 1.0);
  result.metrics = {
      {"makespan_s", makespan_s},
      {"ideal_makespan_s", ideal_makespan_s},
      {"makespan_over_ideal", ideal_makespan_s > 0 ? makespan_s / ideal_makespan_s : 1.0},
      {"load_balance_efficiency", summarize(r.efficiency).median},
      {"utilisation", makespan_s > 0 ? ideal_makespan_s / makespan_s : 1.0},
      {"ideal_makespan_cpu_s", ideal_cpu_s},
      {"makespan_over_ideal_cpu", ideal_cpu_s > 0 ? makespan_s / ideal_cpu_s : 1.0},
      {"hardware_threads_for_job", cores.cores_for_job},
      {"nominal_work_s", nominal_work_s},
      {"nominal_ideal_makespan_s", nominal_work_s / workers},
      {"steps_per_us", steps_per_us},
      {"remote_requests_per_iteration", r.requests / n_timed},
      {"tasks_moved_between_ranks_per_iteration", r.moved / n_timed},
      {"wrong_task_count", r.wrong_task_count},
      {"inconsistent_iterations", r.inconsistent},
      {"workers", workers},
  };
  add_notes(threads, cores, r.wrong_task_count, r.inconsistent, comm, result);
  return result;
}

}  // namespace commtune::kernels
