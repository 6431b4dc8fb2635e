// The declaration of the "overlap" kernel (the benchmark is benchmark.cpp).
#include "commtune/kernels/declaration.hpp"

namespace commtune::kernels {
namespace {

std::vector<ParamSpec> overlap_params() {
  return {
      {.name = "variant",
       .type = ParamType::Choice,
       .default_value = "blocking",
       .description = "blocking then compute (baseline), or nonblocking overlap",
       .choices = {"blocking", "nonblocking"}},
      {.name = "operation",
       .type = ParamType::Choice,
       .default_value = "p2p",
       .description = "p2p: ring Isend/Irecv; ibcast: broadcast from rank 0; iallreduce: sum of 64-bit integers",
       .choices = {"p2p", "ibcast", "iallreduce"}},
      {.name = "message_bytes",
       .type = ParamType::Bytes,
       .default_value = "1M",
       .unit = "bytes",
       .description = "bytes each rank sends, broadcasts or reduces",
       .min = 8,
       .max = 256 << 20,
       .log_scale = true},
      {.name = "compute_us",
       .type = ParamType::Real,
       .default_value = "1000",
       .unit = "us",
       .description = "computation per iteration",
       .min = 0,
       .max = 10e6,
       .log_scale = true},
      {.name = "chunks",
       .type = ParamType::Integer,
       .default_value = "16",
       .unit = "chunks",
       .description = "pieces the computation is split into; nonblocking polls with MPI_Testall after each",
       .min = 1,
       .max = 100000,
       .log_scale = true},
      {.name = "progress_thread",
       .type = ParamType::Boolean,
       .default_value = "false",
       .description = "nonblocking only: a helper thread polls the requests instead of the compute loop"},
  };
}

std::vector<Constraint> overlap_constraints() {
  return {
      {.kind = ConstraintKind::Requires,
       .when = {.param = "progress_thread", .values = {"true"}},
       .param = "variant",
       .values = {"nonblocking"},
       .reason = "a blocking call has nothing to poll"},
      {.kind = ConstraintKind::MultipleOf,
       .when = {.param = "operation", .values = {"iallreduce"}},
       .param = "message_bytes",
       .divisor = 8,
       .reason = "iallreduce reduces 64-bit integers"},
  };
}

std::vector<MetricSpec> overlap_metrics() {
  return {
      {.name = "comm_pure_s", .unit = "s", .description = "median time of the communication alone"},
      {.name = "compute_s", .unit = "s", .description = "median time of the computation alone"},
      {.name = "total_s", .unit = "s", .description = "median time of one iteration, communication and computation"},
      {.name = "compute_over_comm", .unit = "ratio", .description = "compute_s / comm_pure_s"},
      {.name = "overlap_osu_percent",
       .unit = "percent",
       .higher_is_better = true,
       .description = "OSU: 100 * max(0, 1 - (total - compute) / comm_pure)"},
      {.name = "overlap_imb_percent",
       .unit = "percent",
       .higher_is_better = true,
       .description = "IMB: 100 * max(0, min(1, (comm_pure + compute - total) / min(comm_pure, compute)))"},
      {.name = "compute_units_per_us",
       .unit = "units/us",
       .description = "calibrated compute units per microsecond (slowest rank)"},
      {.name = "polls_per_iteration",
       .unit = "count",
       .description = "nonblocking without progress thread: MPI_Testall calls in the last iteration"},
      {.name = "chunks_before_complete",
       .unit = "chunks",
       .description = "nonblocking without progress thread: compute chunks run before the requests completed"},
      {.name = "progress_thread_polls_per_iteration",
       .unit = "count",
       .description = "with progress thread: polls of the helper thread in the last iteration"},
  };
}

KernelDeclaration make_declaration() {
  return {.name = "overlap",
          .technique = "Communication/computation overlap (nonblocking operations completed during compute)",
          .description =
              "Blocking communication then computation, versus the nonblocking operation (Isend/Irecv, Ibcast or "
              "Iallreduce) posted first and completed while the computation runs in chunks with MPI_Testall between "
              "them, or with a progress thread. Reports the pure communication and pure computation times measured "
              "in the same run and the overlap by the OSU and IMB definitions.",
          .baseline_variant = "blocking",
          .params = ParamSpace(overlap_params(), overlap_constraints()),
          .metrics = overlap_metrics()};
}

}  // namespace

const KernelDeclaration& overlap_declaration() {
  static const KernelDeclaration declaration = make_declaration();
  return declaration;
}

}  // namespace commtune::kernels
