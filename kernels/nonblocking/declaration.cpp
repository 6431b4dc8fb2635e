// The declaration of the "nonblocking" kernel (the benchmark is benchmark.cpp).
#include "commtune/kernels/declaration.hpp"

#include "commtune/kernels/nonblocking/limits.hpp"

namespace commtune::kernels {
namespace {

KernelDeclaration make_declaration() {
  std::vector<ParamSpec> specs = {
      {.name = "variant",
       .type = ParamType::Choice,
       .default_value = "blocking",
       .description = "blocking Send/Recv (baseline) or Isend/Irecv + wait",
       .choices = {"blocking", "nonblocking"}},
      {.name = "pattern",
       .type = ParamType::Choice,
       .default_value = "fanout",
       .description = "fanout: rank 0 sends to peers; ring: shifts by 1..peers; halo: exchange with +-1..peers",
       .choices = {"fanout", "ring", "halo"}},
      {.name = "message_bytes",
       .type = ParamType::Bytes,
       .default_value = "64K",
       .unit = "bytes",
       .description = "size of each message",
       .min = 0,
       .max = 64 << 20,
       .log_scale = true},
      {.name = "peers",
       .type = ParamType::Integer,
       .default_value = "64",
       .unit = "ranks",
       .description = "destinations per sender (fanout, ring) or halo depth, capped by the number of ranks",
       .min = 1,
       .max = 1024,
       .log_scale = true},
      {.name = "messages_per_peer",
       .type = ParamType::Integer,
       .default_value = "1",
       .unit = "messages",
       .description = "messages sent to each destination",
       .min = 1,
       .max = 1024,
       .log_scale = true},
      {.name = "window",
       .type = ParamType::Integer,
       .default_value = "64",
       .unit = "requests",
       .description = "nonblocking variant: most sends in flight per rank (receives are all pre-posted)",
       .min = 1,
       .max = 65536,
       .log_scale = true},
  };
  // Every message has its own send and receive buffer (a halo has two directions per peer). The
  // number of peers is only known at run time (it is capped by the ranks): the benchmark checks
  // the whole budget again then.
  const std::string reason = "every message has its own send and receive buffer; lower one of them";
  std::vector<Constraint> constraints = {
      {.kind = ConstraintKind::ProductAtMost,
       .factors = {"message_bytes", "messages_per_peer"},
       .factor = 2,
       .limit = double(nonblocking::kMaxBytesPerRank),
       .reason = reason},
      {.kind = ConstraintKind::ProductAtMost,
       .when = {.param = "pattern", .values = {"halo"}},
       .factors = {"message_bytes", "messages_per_peer"},
       .factor = 4,
       .limit = double(nonblocking::kMaxBytesPerRank),
       .reason = reason},
  };
  std::vector<MetricSpec> metrics = {
      {.name = "messages_per_iteration",
       .unit = "messages",
       .description = "messages sent by all ranks in one iteration of the pattern"},
      {.name = "bytes_per_iteration",
       .unit = "bytes",
       .description = "bytes sent by all ranks in one iteration of the pattern"},
      {.name = "effective_peers",
       .unit = "ranks",
       .description = "peers per sender (or halo depth) after capping by the number of ranks"},
      {.name = "messages_per_s",
       .unit = "messages/s",
       .higher_is_better = true,
       .description = "messages_per_iteration over the median iteration time"},
      {.name = "bandwidth_bytes_per_s",
       .unit = "bytes/s",
       .higher_is_better = true,
       .description = "bytes_per_iteration over the median iteration time"},
      {.name = "window_full_waits_per_iteration",
       .unit = "count",
       .description = "nonblocking variant: times a send waited for a free slot of the window, all ranks"},
  };
  return {.name = "nonblocking",
          .technique = "Nonblocking point-to-point (Isend/Irecv + Waitall instead of Send/Recv)",
          .description =
              "Blocking MPI_Send/MPI_Recv versus MPI_Isend/MPI_Irecv with a bounded window of outstanding sends "
              "and pre-posted receives, for a root fan-out, a ring of shifts and a 1-D periodic halo exchange. The "
              "time of one iteration is the slowest rank's time to deliver every message of the pattern once.",
          .baseline_variant = "blocking",
          .params = ParamSpace(std::move(specs), std::move(constraints)),
          .metrics = std::move(metrics)};
}

}  // namespace

const KernelDeclaration& nonblocking_declaration() {
  static const KernelDeclaration declaration = make_declaration();
  return declaration;
}

}  // namespace commtune::kernels
