// Runs every variant of the "load_balance" kernel under mpirun for several configurations and
// checks that each one computes exactly the baseline's task results (same checksum, every task
// once per iteration) and reports consistent metrics.
#include <mpi.h>

#include <cstdio>
#include <map>
#include <string>
#include <utility>

#include "commtune/kernels/kernel.hpp"
#include "support/mpi_check.hpp"

using namespace commtune::kernels;
using test::check;
using test::rank;

namespace {

// The load-balance checks of one variant's result, on top of run_all_variants' own.
void check_load_balance(const KernelResult& result, const std::string& label, const std::string& variant) {
  const std::string what = label + variant;
  check(result.metrics.at("wrong_task_count") == 0, what + ": " + result.notes.at("delivery"));
  check(result.metrics.at("inconsistent_iterations") == 0, what + ": iterations agree");
  const double efficiency = result.metrics.at("load_balance_efficiency");
  check(efficiency > 0 && efficiency <= 1.0 + 1e-9, what + ": efficiency in (0, 1]");
  check(result.metrics.at("makespan_s") >= 0, what + ": makespan measured");
  if (rank == 0) {
    std::printf("%-60s %-14s checksum %s  makespan %.2f ms  ideal %.2f ms  efficiency %.2f\n", label.c_str(),
                variant.c_str(), result.checksum.c_str(), result.metrics.at("makespan_s") * 1e3,
                result.metrics.at("ideal_makespan_s") * 1e3, efficiency);
  }
}

void run_all_variants(Kernel& kernel, std::map<std::string, std::string> overrides) {
  test::run_all_variants(kernel, std::move(overrides), check_load_balance);
}

}  // namespace

int main(int argc, char** argv) {
  test::init(argc, argv, MPI_THREAD_FUNNELED);
  Kernel* kernel = &test::registered_kernel("load_balance");
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
      kernel->run(kernel->declaration().params.resolve({{"tasks", "16"}, {"task_cost_us", "1"}}), once, MPI_COMM_WORLD);
  const auto b =
      kernel->run(kernel->declaration().params.resolve({{"tasks", "16"}, {"task_cost_us", "1"}, {"seed", "2"}}), once,
                  MPI_COMM_WORLD);
  check(a.checksum != b.checksum, "another seed gives another checksum");

  return test::finish();
}
