// The declaration of the "load_balance" kernel (the benchmark is benchmark.cpp).
#include "commtune/kernels/declaration.hpp"

namespace commtune::kernels {
namespace {

std::vector<MetricSpec> load_balance_metrics() {
  return {
      {.name = "makespan_s", .unit = "s", .description = "median time until the last task of an iteration ended"},
      {.name = "ideal_makespan_s",
       .unit = "s",
       .description = "measured busy time over ranks x threads: the makespan of a perfect distribution"},
      {.name = "makespan_over_ideal", .unit = "ratio", .description = "makespan_s / ideal_makespan_s (1 is ideal)"},
      {.name = "load_balance_efficiency",
       .unit = "ratio",
       .higher_is_better = true,
       .description = "mean over max busy time per pool thread (POP load balance)"},
      {.name = "utilisation",
       .unit = "ratio",
       .higher_is_better = true,
       .description = "ideal_makespan_s / makespan_s"},
      {.name = "ideal_makespan_cpu_s",
       .unit = "s",
       .description = "task CPU time over min(workers, hardware threads): the capacity-aware ideal"},
      {.name = "makespan_over_ideal_cpu", .unit = "ratio", .description = "makespan_s / ideal_makespan_cpu_s"},
      {.name = "hardware_threads_for_job",
       .unit = "threads",
       .description = "hardware threads of every node the job runs on"},
      {.name = "nominal_work_s", .unit = "s", .description = "sum of the nominal task costs of one iteration"},
      {.name = "nominal_ideal_makespan_s", .unit = "s", .description = "nominal_work_s over ranks x threads"},
      {.name = "steps_per_us", .unit = "steps/us", .description = "calibrated spin steps per microsecond"},
      {.name = "remote_requests_per_iteration",
       .unit = "count",
       .description = "requests for work sent between ranks per iteration"},
      {.name = "tasks_moved_between_ranks_per_iteration",
       .unit = "tasks",
       .description = "tasks that ran on another rank than the one they started on, per iteration"},
      {.name = "wrong_task_count",
       .unit = "tasks",
       .description = "tasks missing or run twice, over all timed iterations (0 when correct)"},
      {.name = "inconsistent_iterations",
       .unit = "count",
       .description = "timed iterations whose task-result sum differs from the last one (0 when correct)"},
      {.name = "workers", .unit = "threads", .description = "ranks x threads"},
      {.name = "min_cpus_per_rank",
       .unit = "cpus",
       .description = "fewest CPUs any rank may run on (its affinity mask); 0 when unknown"},
  };
}

KernelDeclaration make_declaration() {
  std::vector<ParamSpec> specs = {
      {.name = "variant",
       .type = ParamType::Choice,
       .default_value = "static",
       .description = "Task distribution; static is the baseline",
       .choices = {"static", "master_worker", "work_stealing"}},
      {.name = "threads",
       .type = ParamType::Integer,
       .default_value = "2",
       .unit = "threads",
       .description = "Pool threads per rank that execute tasks (the main thread only communicates)",
       .min = 1,
       .max = 256},
      {.name = "tasks",
       .type = ParamType::Integer,
       .default_value = "256",
       .unit = "tasks",
       .description = "Number of tasks per iteration across all ranks",
       .min = 0,
       .max = 10'000'000,
       .log_scale = true},
      {.name = "chunk",
       .type = ParamType::Integer,
       .default_value = "1",
       .unit = "tasks",
       .description = "Tasks per grab: the unit handed out, queued and stolen",
       .min = 1,
       .max = 1'000'000,
       .log_scale = true},
      {.name = "cost_distribution",
       .type = ParamType::Choice,
       .default_value = "linear_ramp",
       .description = "How task costs vary with the task id",
       .choices = {"uniform", "linear_ramp", "heavy_tailed"}},
      {.name = "task_cost_us",
       .type = ParamType::Real,
       .default_value = "100",
       .unit = "us",
       .description = "Mean task cost (spin time on one idle core)",
       .min = 0,
       .max = 1e6,
       .log_scale = true},
      {.name = "poll_interval_us",
       .type = ParamType::Integer,
       .default_value = "100",
       .unit = "us",
       .description = "Nap of each rank's MPI thread between polls when idle; shorter answers faster but "
                      "steals CPU from the pool threads",
       .min = 1,
       .max = 100000,
       .log_scale = true},
      {.name = "seed",
       .type = ParamType::Integer,
       .default_value = "1",
       .description = "Seed of the heavy-tailed costs and of the task inputs",
       .min = 0,
       .max = 2147483647},
  };
  return {
      .name = "load_balance",
      .technique = "Dynamic load balancing: master-worker and work stealing across ranks, a thread pool per rank",
      .description =
          "Executes tasks 0..tasks-1 once across all ranks; task i spins for its cost (uniform, linear_ramp or "
          "heavy_tailed around task_cost_us, calibrated to this machine) on one of `threads` pool threads per rank. "
          "'static' gives each rank and thread a contiguous block; 'master_worker' has rank 0 hand out `chunk` tasks "
          "per request; 'work_stealing' starts static and lets idle threads steal from siblings and idle ranks steal "
          "half of a victim's queue. Only the main thread calls MPI (MPI_THREAD_FUNNELED). Reports makespan, the "
          "ideal makespan (measured busy time / (ranks * threads)), a capacity-aware ideal (task CPU time / "
          "min(workers, "
          "hardware threads)), load-balance efficiency (mean / max busy time per thread) and utilisation (ideal / "
          "makespan); the checksum combines every task's result independently of where it ran.",
      .baseline_variant = "static",
      .params = ParamSpace(std::move(specs)),
      .metrics = load_balance_metrics()};
}

}  // namespace

const KernelDeclaration& load_balance_declaration() {
  static const KernelDeclaration declaration = make_declaration();
  return declaration;
}

}  // namespace commtune::kernels
