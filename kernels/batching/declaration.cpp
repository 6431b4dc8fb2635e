// The declaration of the "batching" kernel (the benchmark is benchmark.cpp).
#include "commtune/kernels/declaration.hpp"

#include <cstdint>

#include "commtune/kernels/batching/codec.hpp"

namespace commtune::kernels {
namespace {

constexpr std::int64_t kMaxPayloadBytesPerRank = std::int64_t{256} << 20;

std::vector<ParamSpec> batching_params() {
  std::vector<ParamSpec> specs = {
      {.name = "variant",
       .type = ParamType::Choice,
       .default_value = "individual",
       .description = "individual: one MPI_Sendrecv per message (baseline); batched: MessageAggregator batches; "
                      "compressed: CompressedChannel per message; batched_compressed: batches sent through "
                      "CompressedChannel",
       .choices = {"individual", "batched", "compressed", "batched_compressed"}},
      {.name = "message_bytes",
       .type = ParamType::Bytes,
       .default_value = "256",
       .unit = "bytes",
       .description = "size of each small message (0 sends empty messages)",
       .min = 0,
       .max = 1 << 20,
       .log_scale = true},
      {.name = "message_count",
       .type = ParamType::Integer,
       .default_value = "4096",
       .unit = "messages",
       .description = "messages each rank sends to its right neighbour per iteration",
       .min = 1,
       .max = 1'000'000,
       .log_scale = true},
      {.name = "batch_bytes",
       .type = ParamType::Bytes,
       .default_value = "64K",
       .unit = "bytes",
       .description = "flush a batch before it would exceed this size (header and 4-byte length per message "
                      "included)",
       .min = 64,
       .max = 64 << 20,
       .log_scale = true},
      {.name = "batch_count",
       .type = ParamType::Integer,
       .default_value = "0",
       .unit = "messages",
       .description = "flush a batch when it holds this many messages; 0: no count limit",
       .min = 0,
       .max = 1'000'000},
      {.name = "flush_interval_us",
       .type = ParamType::Integer,
       .default_value = "0",
       .unit = "us",
       .description = "flush a batch when its oldest message has waited this long; 0: no time limit",
       .min = 0,
       .max = 10'000'000},
      {.name = "codec",
       .type = ParamType::Choice,
       .default_value = "zstd",
       .description = "compressor of the compressed variants",
       .choices = {"none", "lz4", "zstd", "zlib"}},
      {.name = "level",
       .type = ParamType::Integer,
       .default_value = "0",
       .description = "compression level; 0: the codec's default; lz4 1..12, zstd -7..22, zlib 1..9, none 0",
       .min = -7,
       .max = 22},
      {.name = "shuffle",
       .type = ParamType::Boolean,
       .default_value = "false",
       .description = "byte-shuffle 8-byte elements before compressing (helps floating-point data)"},
      {.name = "data",
       .type = ParamType::Choice,
       .default_value = "smooth",
       .description = "payload: random bytes, a smooth double field, repetitive int64 ids, or data_file repeated",
       .choices = {"random", "smooth", "ids", "file"}},
      {.name = "data_file",
       .type = ParamType::Text,
       .default_value = "",
       .description = "with data = file: a sample of the application's payload, repeated to fill the messages"},
  };
  return specs;
}

// One level range per codec, read from the codec itself (batching::level_range) so the two agree.
std::vector<Constraint> batching_constraints() {
  std::vector<Constraint> constraints;
  for (const batching::Codec codec :
       {batching::Codec::none, batching::Codec::lz4, batching::Codec::zstd, batching::Codec::zlib}) {
    const batching::LevelRange range = batching::level_range(codec);
    constraints.push_back({.kind = ConstraintKind::InRange,
                           .when = {.param = "codec", .values = {std::string(batching::to_string(codec))}},
                           .param = "level",
                           .values = {"0"},
                           .min = double(range.min),
                           .max = double(range.max),
                           .reason = "level 0 is the codec's default level"});
  }
  constraints.push_back({.kind = ConstraintKind::NotEmpty,
                         .when = {.param = "data", .values = {"file"}},
                         .param = "data_file",
                         .reason = "data_file is the path of a sample of the payload"});
  constraints.push_back({.kind = ConstraintKind::ProductAtMost,
                         .factors = {"message_bytes", "message_count"},
                         .limit = double(kMaxPayloadBytesPerRank),
                         .reason = "the payload of one iteration is held in memory on every rank"});
  return constraints;
}

std::vector<MetricSpec> batching_metrics() {
  return {
      {.name = "messages_per_iteration", .unit = "messages", .description = "messages each rank sends per iteration"},
      {.name = "payload_bytes_per_iteration",
       .unit = "bytes",
       .description = "message bytes each rank sends per iteration"},
      {.name = "mpi_messages_per_iteration",
       .unit = "messages",
       .description = "MPI messages each rank sends per iteration (batches or frames when aggregated)"},
      {.name = "wire_bytes_per_iteration",
       .unit = "bytes",
       .description = "bytes each rank hands to MPI per iteration, headers and compression included"},
      {.name = "messages_per_s",
       .unit = "messages/s",
       .higher_is_better = true,
       .description = "messages per rank over the median iteration time"},
      {.name = "bandwidth_bytes_per_s",
       .unit = "bytes/s",
       .higher_is_better = true,
       .description = "payload bytes per rank over the median iteration time"},
      {.name = "wire_ratio",
       .unit = "ratio",
       .higher_is_better = true,
       .description = "payload bytes over the bytes that crossed the network (batch headers included)"},
      {.name = "compression_ratio",
       .unit = "ratio",
       .higher_is_better = true,
       .description = "compressed variants: bytes given to the compressor over bytes sent"},
      {.name = "compression_throughput_bytes_per_s",
       .unit = "bytes/s",
       .higher_is_better = true,
       .description = "compressed variants: raw bytes compressed per second of encoding"},
      {.name = "decompression_throughput_bytes_per_s",
       .unit = "bytes/s",
       .higher_is_better = true,
       .description = "compressed variants: raw bytes restored per second of decoding"},
      {.name = "compressed_fraction",
       .unit = "ratio",
       .description = "compressed variants: fraction of frames sent compressed (the others did not shrink)"},
      {.name = "batches_per_iteration",
       .unit = "count",
       .description = "batched variants: batches all ranks flush per iteration"},
  };
}

KernelDeclaration make_declaration() {
  return {.name = "batching",
          .technique = "Batching and compression: many small messages vs aggregated, compressed batches",
          .description =
              "Each rank sends message_count messages of message_bytes to its right neighbour and receives as many "
              "from its left one. The baseline exchanges each message on its own (one MPI_Sendrecv per "
              "message); 'batched' packs them with MessageAggregator (flush on batch_bytes, batch_count, "
              "flush_interval_us) and unpacks in order; 'compressed' sends each message through CompressedChannel "
              "(codec, level, shuffle; raw when compression does not pay); 'batched_compressed' does both. An "
              "iteration ends when every message is in place on the receiver. The checksum covers the received "
              "messages, identical for all variants.",
          .baseline_variant = "individual",
          .params = ParamSpace(batching_params(), batching_constraints()),
          .metrics = batching_metrics()};
}

}  // namespace

const KernelDeclaration& batching_declaration() {
  static const KernelDeclaration declaration = make_declaration();
  return declaration;
}

}  // namespace commtune::kernels
