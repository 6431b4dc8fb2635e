// commtune-sweep-driver with one more kernel, "fault", whose variants misbehave on purpose: fixed
// fake iteration times (so the batch sizes decide_sampling asks for are known exactly), a checksum
// that changes from call to call, an undeclared metric, and throws on one rank only, after or
// before the kernel's last collective. check_sweep_driver.py runs it under mpirun.
#include <mpi.h>

#include <memory>
#include <stdexcept>
#include <string>

#include "commtune/kernels/kernel.hpp"
#include "commtune/kernels/measure.hpp"
#include "driver.hpp"

namespace {

using namespace commtune::kernels;

constexpr double kFakeIteration_s = 0.01;

const KernelDeclaration& fault_declaration() {
  static const KernelDeclaration declaration{
      .name = "fault",
      .technique = "test kernel that misbehaves as its variant says",
      .description = "Reports fake iteration times; used only by the driver's tests.",
      .baseline_variant = "steady",
      .params = ParamSpace({{.name = "variant",
                             .type = ParamType::Choice,
                             .default_value = "steady",
                             .description = "how the kernel misbehaves",
                             .choices = {"steady", "checksum_per_call", "undeclared_metric", "throw_late_on_rank1",
                                         "throw_early_on_rank1"}}}),
      .metrics = {
          {.name = "iterations_per_call", .unit = "count", .description = "timed iterations the call was asked for"}}};
  return declaration;
}

KernelResult run_fault(const ParamSet& params, const RunOptions& options, MPI_Comm comm) {
  const std::string& variant = params.text("variant");
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  if (variant == "throw_early_on_rank1" && rank == 1) throw std::runtime_error("rank 1 gave up before the barrier");
  MPI_Barrier(comm);  // the others wait here for rank 1 in the early case
  if (variant == "throw_late_on_rank1" && rank == 1) throw std::runtime_error("rank 1 gave up after the barrier");
  KernelResult result;
  result.iteration_times_s.assign(static_cast<std::size_t>(options.iterations), kFakeIteration_s);
  result.metrics["iterations_per_call"] = options.iterations;
  if (variant == "undeclared_metric") result.metrics["not_declared"] = 1;
  result.checksum = to_hex(variant == "checksum_per_call" ? std::uint64_t(options.iterations) : 42);
  return result;
}

}  // namespace

int main(int argc, char** argv) {
  KernelRegistry::instance().add(std::make_unique<Kernel>(fault_declaration(), run_fault));
  return commtune::tuner::driver::run_driver(argc, argv);
}
