// Runs every variant of the "load_balance" kernel under mpirun for several configurations and
// checks that each one computes exactly the baseline's task results (same checksum, every task
// once per iteration) and reports consistent metrics.
#include <mpi.h>

#include <cstdio>
#include <map>
#include <string>

#include "commtune/kernels/kernel.hpp"

using namespace commtune::kernels;

namespace {

int failures = 0;
int rank = 0;

void check(bool ok, const std::string& what) {
  if (!ok) {
    ++failures;
    std::fprintf(stderr, "rank %d: FAILED: %s\n", rank, what.c_str());
  }
}

void run_all_variants(Kernel& kernel, std::map<std::string, std::string> overrides) {
  RunOptions options;
  options.iterations = 3;
  options.warmup = 1;
  std::string baseline_checksum;
  std::string label;
  for (const auto& [k, v] : overrides) label += k + "=" + v + " ";
  for (const std::string& variant : kernel.info().params.find("variant")->choices) {
    overrides["variant"] = variant;
    const KernelResult result = kernel.run(kernel.info().params.resolve(overrides), options, MPI_COMM_WORLD);
    const std::string what = label + variant;
    check(result.iteration_times_s.size() == 3, what + ": three iteration times");
    check(result.metrics.at("wrong_task_count") == 0, what + ": " + result.notes.at("delivery"));
    check(result.metrics.at("inconsistent_iterations") == 0, what + ": iterations agree");
    if (variant == kernel.info().baseline_variant) baseline_checksum = result.checksum;
    check(result.checksum == baseline_checksum,
          what + ": checksum " + result.checksum + " differs from baseline " + baseline_checksum);
    const double efficiency = result.metrics.at("load_balance_efficiency");
    check(efficiency > 0 && efficiency <= 1.0 + 1e-9, what + ": efficiency in (0, 1]");
    check(result.metrics.at("makespan_s") >= 0, what + ": makespan measured");
    if (rank == 0) {
      std::printf("%-60s %-14s checksum %s  makespan %.2f ms  ideal %.2f ms  efficiency %.2f\n", label.c_str(),
                  variant.c_str(), result.checksum.c_str(), result.metrics.at("makespan_s") * 1e3,
                  result.metrics.at("ideal_makespan_s") * 1e3, efficiency);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  Kernel* kernel = KernelRegistry::instance().find("load_balance");
  if (!kernel) {
    std::fprintf(stderr, "load_balance kernel not registered\n");
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  run_all_variants(*kernel, {{"threads", "1"}, {"tasks", "64"}, {"task_cost_us", "20"}});
  run_all_variants(*kernel, {{"threads", "2"},
                             {"tasks", "101"},
                             {"chunk", "3"},
                             {"task_cost_us", "10"},
                             {"cost_distribution", "heavy_tailed"},
                             {"seed", "5"}});
  run_all_variants(*kernel, {{"threads", "1"},
                             {"tasks", "50"},
                             {"cost_distribution", "uniform"},
                             {"task_cost_us", "0"}});                                    // zero-length tasks
  run_all_variants(*kernel, {{"threads", "3"}, {"tasks", "2"}, {"task_cost_us", "5"}});  // more threads than tasks
  run_all_variants(*kernel, {{"threads", "1"}, {"tasks", "0"}});
  // Different task inputs must give a different checksum, or the comparison above proves nothing.
  RunOptions once;
  once.iterations = 1;
  once.warmup = 0;
  const auto a =
      kernel->run(kernel->info().params.resolve({{"tasks", "16"}, {"task_cost_us", "1"}}), once, MPI_COMM_WORLD);
  const auto b = kernel->run(kernel->info().params.resolve({{"tasks", "16"}, {"task_cost_us", "1"}, {"seed", "2"}}),
                             once, MPI_COMM_WORLD);
  check(a.checksum != b.checksum, "another seed gives another checksum");

  int total_failures = 0;
  MPI_Allreduce(&failures, &total_failures, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  if (rank == 0) std::printf("%s (%d failed checks)\n", total_failures == 0 ? "PASSED" : "FAILED", total_failures);
  MPI_Finalize();
  return total_failures == 0 ? 0 : 1;
}
