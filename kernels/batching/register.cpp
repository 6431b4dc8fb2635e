// The "batching" kernel: many small messages sent one by one (the baseline) against the same
// messages packed into batches by MessageAggregator, compressed one by one by CompressedChannel, or
// both. Every rank sends message_count messages to its right neighbour and receives as many from its
// left one; an iteration ends when every message has been received, unpacked and decompressed.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "commtune/kernels/batching/compressed_channel.hpp"
#include "commtune/kernels/batching/message_aggregator.hpp"
#include "commtune/kernels/batching/payload.hpp"
#include "commtune/kernels/builtin.hpp"
#include "commtune/kernels/measure.hpp"

namespace commtune::kernels {
namespace {

using batching::AggregatorConfig;
using batching::Batch;
using batching::BatchUnpacker;
using batching::ByteBuffer;
using batching::ChannelConfig;
using batching::Codec;
using batching::CompressedChannel;
using batching::load_sample_file;
using batching::make_payload;
using batching::MessageAggregator;

constexpr int kTagMessage = 4101;
constexpr int kTagBatch = 4102;
constexpr int kTagFrame = 4103;
constexpr std::int64_t kMaxPayloadBytesPerRank = std::int64_t{256} << 20;

std::string data_file_of(const ParamSet& params) {
  const std::string& path = params.text("data_file");
  if (path.empty()) throw std::invalid_argument("data = file needs a data_file path");
  return path;
}

ParamSpace batching_params() {
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
  std::vector<ParamConstraint> constraints = {
      [](const ParamSet& set) -> std::optional<std::string> {
        const Codec codec = *batching::parse_codec(set.choice("codec"));
        return batching::check_level(codec, static_cast<int>(set.integer("level")));
      },
      [](const ParamSet& set) -> std::optional<std::string> {
        if (set.choice("data") != "file" || !set.text("data_file").empty()) return std::nullopt;
        return std::string("data = file needs data_file, the path of a sample of the payload");
      },
      [](const ParamSet& set) -> std::optional<std::string> {
        const std::int64_t total = set.integer("message_bytes") * set.integer("message_count");
        if (total <= kMaxPayloadBytesPerRank) return std::nullopt;
        return fmt::format("message_bytes x message_count = {} bytes per rank exceeds the {} MiB limit", total,
                           kMaxPayloadBytesPerRank >> 20);
      },
  };
  return ParamSpace(std::move(specs), std::move(constraints));
}

struct Counters {
  double mpi_messages = 0;  // sent, all iterations
  double wire_bytes = 0;
  double raw_bytes = 0;  // bytes given to the compressor
  double encode_s = 0;
  double decode_s = 0;
  double compressed_messages = 0;
  double channel_messages = 0;
  double batches_by_size = 0, batches_by_count = 0, batches_by_time = 0, batches_explicit = 0;
};

class BatchingKernel final : public Kernel {
 public:
  BatchingKernel() {
    info_.name = "batching";
    info_.technique = "Batching and compression: many small messages vs aggregated, compressed batches";
    info_.description =
        "Each rank sends message_count messages of message_bytes to its right neighbour and receives as many "
        "from its left one. The baseline exchanges each message on its own (one MPI_Sendrecv per "
        "message); 'batched' packs them with MessageAggregator (flush on batch_bytes, batch_count, "
        "flush_interval_us) and unpacks in order; 'compressed' sends each message through CompressedChannel "
        "(codec, level, shuffle; raw when compression does not pay); 'batched_compressed' does both. An "
        "iteration ends when every message is in place on the receiver. The checksum covers the received "
        "messages, identical for all variants.";
    info_.baseline_variant = "individual";
    info_.params = batching_params();
  }

  const KernelInfo& info() const override { return info_; }

  KernelResult run(const ParamSet& params, const RunOptions& options, MPI_Comm comm) override {
    int rank = 0, ranks = 1;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &ranks);
    const int right = (rank + 1) % ranks;
    const int left = (rank + ranks - 1) % ranks;

    const std::string variant = params.choice("variant");
    const auto message_bytes = static_cast<std::size_t>(params.integer("message_bytes"));
    const auto message_count = static_cast<std::size_t>(params.integer("message_count"));
    const std::string data_kind = params.choice("data");
    std::vector<std::byte> sample;
    if (data_kind == "file") sample = load_sample_file(data_file_of(params));
    const std::vector<std::byte> payload = make_payload(data_kind, message_bytes * message_count, rank, sample);
    std::vector<std::byte> received(message_bytes * message_count);
    std::size_t delivered = 0;  // messages received in the current iteration

    AggregatorConfig aggregator_config;
    aggregator_config.batch_bytes = static_cast<std::size_t>(params.integer("batch_bytes"));
    aggregator_config.batch_count = static_cast<std::size_t>(params.integer("batch_count"));
    aggregator_config.flush_interval = std::chrono::microseconds(params.integer("flush_interval_us"));
    ChannelConfig channel_config;
    channel_config.codec = *batching::parse_codec(params.choice("codec"));
    channel_config.level = static_cast<int>(params.integer("level"));
    channel_config.shuffle = params.boolean("shuffle");

    auto message = [&](std::size_t i) {
      return std::span<const std::byte>(payload.data() + i * message_bytes, message_bytes);
    };
    // Puts a message where it belongs; sequence numbers run on across iterations.
    auto place = [&](std::uint64_t sequence, std::span<const std::byte> bytes) {
      if (bytes.size() != message_bytes) {
        throw std::runtime_error(
            fmt::format("message {} arrived with {} bytes, expected {}", sequence, bytes.size(), message_bytes));
      }
      if (!bytes.empty())
        std::memcpy(received.data() + (sequence % message_count) * message_bytes, bytes.data(), bytes.size());
      ++delivered;
    };

    Counters counters;
    std::function<void()> body;
    std::unique_ptr<CompressedChannel> channel;
    std::unique_ptr<MessageAggregator> aggregator;
    std::unique_ptr<BatchUnpacker> unpacker;
    std::vector<std::pair<MPI_Request, ByteBuffer>> batches_in_flight;
    std::vector<ByteBuffer> batches_sent;  // batched_compressed: kept until the channel's sends complete
    ByteBuffer incoming;
    std::uint64_t frames_received = 0;

    if (variant == "individual") {
      // The naive program: each message exchanged on its own, one MPI_Sendrecv per message.
      body = [&] {
        delivered = 0;
        for (std::size_t i = 0; i < message_count; ++i) {
          MPI_Sendrecv(message(i).data(), static_cast<int>(message_bytes), MPI_BYTE, right, kTagMessage,
                       received.data() + i * message_bytes, static_cast<int>(message_bytes), MPI_BYTE, left,
                       kTagMessage, comm, MPI_STATUS_IGNORE);
        }
        delivered = message_count;
        counters.mpi_messages += double(message_count);
        counters.wire_bytes += double(message_count * message_bytes);
      };
    } else if (variant == "batched") {
      unpacker = std::make_unique<BatchUnpacker>(place);
      auto receive_batch = [&](MPI_Message matched, const MPI_Status& status) {
        int count = 0;
        MPI_Get_count(&status, MPI_BYTE, &count);
        incoming.resize_uninitialized(static_cast<std::size_t>(count));
        MPI_Mrecv(incoming.data(), count, MPI_BYTE, &matched, MPI_STATUS_IGNORE);
        unpacker->push(incoming.view());
      };
      auto drain = [&] {
        for (;;) {
          int found = 0;
          MPI_Message matched;
          MPI_Status status;
          MPI_Improbe(left, kTagBatch, comm, &found, &matched, &status);
          if (!found) return;
          receive_batch(matched, status);
        }
      };
      aggregator = std::make_unique<MessageAggregator>(aggregator_config, [&](Batch&& batch) {
        MPI_Request request;
        MPI_Isend(batch.bytes.data(), static_cast<int>(batch.bytes.size()), MPI_BYTE, right, kTagBatch, comm, &request);
        counters.mpi_messages += 1;
        counters.wire_bytes += double(batch.bytes.size());
        batches_in_flight.emplace_back(request, std::move(batch.bytes));
        drain();  // receiving while sending keeps large (rendezvous) batches moving
      });
      body = [&] {
        delivered = 0;
        for (std::size_t i = 0; i < message_count; ++i) aggregator->add(message(i));
        aggregator->flush();
        while (delivered < message_count) {
          MPI_Message matched;
          MPI_Status status;
          MPI_Mprobe(left, kTagBatch, comm, &matched, &status);
          receive_batch(matched, status);
        }
        for (auto& [request, bytes] : batches_in_flight) {
          MPI_Wait(&request, MPI_STATUS_IGNORE);
          aggregator->recycle(std::move(bytes));
        }
        batches_in_flight.clear();
      };
    } else {
      channel = std::make_unique<CompressedChannel>(comm, channel_config);
      const bool batched = variant == "batched_compressed";
      if (batched) unpacker = std::make_unique<BatchUnpacker>(place);
      auto accept = [&](std::span<const std::byte> frame_contents) {
        if (batched) {
          unpacker->push(frame_contents);
        } else {
          place(frames_received, frame_contents);  // one source, one tag: MPI keeps them in order
        }
        ++frames_received;
      };
      auto drain = [&] {
        while (auto got = channel->try_receive(left, kTagFrame)) accept(*got);
      };
      if (batched) {
        aggregator = std::make_unique<MessageAggregator>(aggregator_config, [&](Batch&& batch) {
          channel->send(batch.bytes.view(), right, kTagFrame);
          batches_sent.push_back(std::move(batch.bytes));
          drain();
        });
      }
      body = [&] {
        delivered = 0;
        if (batched) {
          for (std::size_t i = 0; i < message_count; ++i) aggregator->add(message(i));
          aggregator->flush();
        } else {
          for (std::size_t i = 0; i < message_count; ++i) {
            channel->send(message(i), right, kTagFrame);
            if ((i & 63) == 63) {
              // A probe per message would cost more than small messages; completing sends as we go
              // keeps thousands of requests from piling up inside the MPI library.
              drain();
              channel->test_sends();
            }
          }
        }
        while (delivered < message_count) accept(channel->receive(left, kTagFrame));
        channel->wait_sends();
        for (ByteBuffer& bytes : batches_sent) aggregator->recycle(std::move(bytes));
        batches_sent.clear();
      };
    }

    KernelResult result;
    result.iteration_times_s = time_iterations(comm, options, body);

    // Correctness: the last iteration's messages must be what the left neighbour generated.
    const std::vector<std::byte> expected = make_payload(data_kind, message_bytes * message_count, left, sample);
    int verified = delivered == message_count && expected == received ? 1 : 0;
    MPI_Allreduce(MPI_IN_PLACE, &verified, 1, MPI_INT, MPI_MIN, comm);
    Checksum local;
    local.add_u64(delivered).add(received.data(), received.size());
    result.checksum = combine_checksums(local.value(), comm);

    if (channel) {
      const auto& stats = channel->stats();
      counters.mpi_messages = double(stats.messages_sent);
      counters.wire_bytes = double(stats.wire_bytes_sent);
      counters.raw_bytes = double(stats.raw_bytes_sent);
      counters.encode_s = stats.encode_s;
      counters.decode_s = stats.decode_s;
      counters.compressed_messages = double(stats.messages_compressed);
      counters.channel_messages = double(stats.messages_sent);
    }
    if (aggregator) {
      const auto& stats = aggregator->stats();
      counters.batches_by_size = double(stats.flushes_by_size);
      counters.batches_by_count = double(stats.flushes_by_count);
      counters.batches_by_time = double(stats.flushes_by_time);
      counters.batches_explicit = double(stats.flushes_explicit);
    }
    // Sums over ranks; every rank ran warmup + iterations bodies.
    std::vector<double> totals = {counters.mpi_messages,     counters.wire_bytes,      counters.raw_bytes,
                                  counters.encode_s,         counters.decode_s,        counters.compressed_messages,
                                  counters.channel_messages, counters.batches_by_size, counters.batches_by_count,
                                  counters.batches_by_time,  counters.batches_explicit};
    MPI_Allreduce(MPI_IN_PLACE, totals.data(), static_cast<int>(totals.size()), MPI_DOUBLE, MPI_SUM, comm);
    const double bodies = double(ranks) * double(std::max(1, options.warmup + options.iterations));
    const double median_s = summarize(result.iteration_times_s).median;
    const double payload_bytes = double(message_bytes * message_count);

    result.metrics["messages_per_iteration"] = double(message_count);
    result.metrics["payload_bytes_per_iteration"] = payload_bytes;
    result.metrics["mpi_messages_per_iteration"] = totals[0] / bodies;
    result.metrics["wire_bytes_per_iteration"] = totals[1] / bodies;
    result.metrics["messages_per_s"] = median_s > 0 ? double(message_count) / median_s : 0;
    result.metrics["bandwidth_bytes_per_s"] = median_s > 0 ? payload_bytes / median_s : 0;
    // Payload over what crossed the network (batch headers and length fields included).
    result.metrics["wire_ratio"] = totals[1] > 0 ? payload_bytes * bodies / totals[1] : 1.0;
    if (channel) {
      result.metrics["compression_ratio"] = totals[1] > 0 ? totals[2] / totals[1] : 1.0;
      result.metrics["compression_throughput_bytes_per_s"] = totals[3] > 0 ? totals[2] / totals[3] : 0;
      result.metrics["decompression_throughput_bytes_per_s"] = totals[4] > 0 ? totals[2] / totals[4] : 0;
      result.metrics["compressed_fraction"] = totals[6] > 0 ? totals[5] / totals[6] : 0;
    }
    if (aggregator) {
      result.metrics["batches_per_iteration"] = (totals[7] + totals[8] + totals[9] + totals[10]) / bodies;
      result.notes["flushes"] = fmt::format("size {}, count {}, time {}, explicit {} (all ranks, all iterations)",
                                            totals[7], totals[8], totals[9], totals[10]);
    }
    result.notes["delivery_verified"] = verified ? "yes" : "no";
    if (channel) {
      const batching::BlockCodec resolved(channel_config.codec, channel_config.level);
      result.notes["codec"] = fmt::format("{} level {}{}", batching::to_string(resolved.codec()), resolved.level(),
                                          channel_config.shuffle ? " with 8-byte shuffle" : "");
    }
    if (ranks < 2) result.notes["warning"] = "one rank: messages go to the same rank";
    return result;
  }

 private:
  KernelInfo info_;
};

}  // namespace

void register_batching(KernelRegistry& registry) { registry.add(std::make_unique<BatchingKernel>()); }

}  // namespace commtune::kernels
