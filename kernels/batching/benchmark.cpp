// The "batching" kernel (declared in declaration.cpp): many small messages sent one by one (the baseline) against the
// same messages packed into batches by MessageAggregator, compressed one by one by CompressedChannel, or both. Every
// rank sends message_count messages to its right neighbour and receives as many from its left one; an iteration ends
// when every message has been received, unpacked and decompressed.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
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

std::string data_file_of(const ParamSet& params) {
  const std::string& path = params.text("data_file");
  if (path.empty()) throw std::invalid_argument("data = file needs a data_file path");
  return path;
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

// What one run's iteration bodies share: the messages, where they land, and the components of
// the variant being measured.
struct Exchange {
  MPI_Comm comm = MPI_COMM_NULL;
  int right = 0;
  int left = 0;
  std::size_t message_bytes = 0;
  std::size_t message_count = 0;
  std::vector<std::byte> payload;   // message i is bytes [i * message_bytes, (i + 1) * message_bytes)
  std::vector<std::byte> received;  // the same layout on the receiver
  std::size_t delivered = 0;        // messages received in the current iteration
  Counters counters;
  AggregatorConfig aggregator_config;
  ChannelConfig channel_config;
  std::unique_ptr<CompressedChannel> channel;
  std::unique_ptr<MessageAggregator> aggregator;
  std::unique_ptr<BatchUnpacker> unpacker;
  std::vector<std::pair<MPI_Request, ByteBuffer>> batches_in_flight;
  std::vector<ByteBuffer> batches_sent;  // batched_compressed: kept until the channel's sends complete
  ByteBuffer incoming;
  std::uint64_t frames_received = 0;

  std::span<const std::byte> message(std::size_t i) const {
    return std::span<const std::byte>(payload.data() + i * message_bytes, message_bytes);
  }
  // Puts a message where it belongs; sequence numbers run on across iterations.
  void place(std::uint64_t sequence, std::span<const std::byte> bytes) {
    if (bytes.size() != message_bytes) {
      throw std::runtime_error(
          fmt::format("message {} arrived with {} bytes, expected {}", sequence, bytes.size(), message_bytes));
    }
    if (!bytes.empty())
      std::memcpy(received.data() + (sequence % message_count) * message_bytes, bytes.data(), bytes.size());
    ++delivered;
  }
};

// The naive program: each message exchanged on its own, one MPI_Sendrecv per message.
std::function<void()> individual_body(Exchange& x) {
  return [&x] {
    const int count = static_cast<int>(x.message_bytes);
    for (std::size_t i = 0; i < x.message_count; ++i) {
      MPI_Sendrecv(x.message(i).data(), count, MPI_BYTE, x.right, kTagMessage, x.received.data() + i * x.message_bytes,
                   count, MPI_BYTE, x.left, kTagMessage, x.comm, MPI_STATUS_IGNORE);
    }
    x.delivered = x.message_count;
    x.counters.mpi_messages += double(x.message_count);
    x.counters.wire_bytes += double(x.message_count * x.message_bytes);
  };
}

std::function<void()> batched_body(Exchange& x) {
  x.unpacker = std::make_unique<BatchUnpacker>(
      [&x](std::uint64_t sequence, std::span<const std::byte> bytes) { x.place(sequence, bytes); });
  auto receive_batch = [&x](MPI_Message matched, const MPI_Status& status) {
    int count = 0;
    MPI_Get_count(&status, MPI_BYTE, &count);
    x.incoming.resize_uninitialized(static_cast<std::size_t>(count));
    MPI_Mrecv(x.incoming.data(), count, MPI_BYTE, &matched, MPI_STATUS_IGNORE);
    x.unpacker->push(x.incoming.view());
  };
  auto drain = [&x, receive_batch] {
    for (;;) {
      int found = 0;
      MPI_Message matched;
      MPI_Status status;
      MPI_Improbe(x.left, kTagBatch, x.comm, &found, &matched, &status);
      if (!found) return;
      receive_batch(matched, status);
    }
  };
  x.aggregator = std::make_unique<MessageAggregator>(x.aggregator_config, [&x, drain](Batch&& batch) {
    MPI_Request request;
    MPI_Isend(batch.bytes.data(), static_cast<int>(batch.bytes.size()), MPI_BYTE, x.right, kTagBatch, x.comm, &request);
    x.counters.mpi_messages += 1;
    x.counters.wire_bytes += double(batch.bytes.size());
    x.batches_in_flight.emplace_back(request, std::move(batch.bytes));
    drain();  // receiving while sending keeps large (rendezvous) batches moving
  });
  return [&x, receive_batch] {
    x.delivered = 0;
    for (std::size_t i = 0; i < x.message_count; ++i) x.aggregator->add(x.message(i));
    x.aggregator->flush();
    while (x.delivered < x.message_count) {
      MPI_Message matched;
      MPI_Status status;
      MPI_Mprobe(x.left, kTagBatch, x.comm, &matched, &status);
      receive_batch(matched, status);
    }
    for (auto& [request, bytes] : x.batches_in_flight) {
      MPI_Wait(&request, MPI_STATUS_IGNORE);
      x.aggregator->recycle(std::move(bytes));
    }
    x.batches_in_flight.clear();
  };
}

// "compressed" (each message a frame of the CompressedChannel) and "batched_compressed" (each
// batch a frame).
std::function<void()> compressed_body(Exchange& x, bool batched) {
  x.channel = std::make_unique<CompressedChannel>(x.comm, x.channel_config);
  if (batched) {
    x.unpacker = std::make_unique<BatchUnpacker>(
        [&x](std::uint64_t sequence, std::span<const std::byte> bytes) { x.place(sequence, bytes); });
  }
  auto accept = [&x, batched](std::span<const std::byte> frame_contents) {
    if (batched) {
      x.unpacker->push(frame_contents);
    } else {
      x.place(x.frames_received, frame_contents);  // one source, one tag: MPI keeps them in order
    }
    ++x.frames_received;
  };
  auto drain = [&x, accept] {
    while (auto got = x.channel->try_receive(x.left, kTagFrame)) accept(*got);
  };
  if (batched) {
    x.aggregator = std::make_unique<MessageAggregator>(x.aggregator_config, [&x, drain](Batch&& batch) {
      x.channel->send(batch.bytes.view(), x.right, kTagFrame);
      x.batches_sent.push_back(std::move(batch.bytes));
      drain();
    });
  }
  return [&x, batched, accept, drain] {
    x.delivered = 0;
    if (batched) {
      for (std::size_t i = 0; i < x.message_count; ++i) x.aggregator->add(x.message(i));
      x.aggregator->flush();
    } else {
      for (std::size_t i = 0; i < x.message_count; ++i) {
        x.channel->send(x.message(i), x.right, kTagFrame);
        if ((i & 63) == 63) {
          // A probe per message would cost more than small messages; completing sends as we go
          // keeps thousands of requests from piling up inside the MPI library.
          drain();
          x.channel->test_sends();
        }
      }
    }
    while (x.delivered < x.message_count) accept(x.channel->receive(x.left, kTagFrame));
    x.channel->wait_sends();
    for (ByteBuffer& bytes : x.batches_sent) x.aggregator->recycle(std::move(bytes));
    x.batches_sent.clear();
  };
}

// Sums over ranks of what the channel and the aggregator counted (every rank ran warmup +
// iterations bodies), as metrics per iteration and notes.
void add_metrics(Exchange& x, const RunOptions& options, int ranks, KernelResult& result) {
  Counters& counters = x.counters;
  if (x.channel) {
    const auto& stats = x.channel->stats();
    counters.mpi_messages = double(stats.messages_sent);
    counters.wire_bytes = double(stats.wire_bytes_sent);
    counters.raw_bytes = double(stats.raw_bytes_sent);
    counters.encode_s = stats.encode_s;
    counters.decode_s = stats.decode_s;
    counters.compressed_messages = double(stats.messages_compressed);
    counters.channel_messages = double(stats.messages_sent);
  }
  if (x.aggregator) {
    const auto& stats = x.aggregator->stats();
    counters.batches_by_size = double(stats.flushes_by_size);
    counters.batches_by_count = double(stats.flushes_by_count);
    counters.batches_by_time = double(stats.flushes_by_time);
    counters.batches_explicit = double(stats.flushes_explicit);
  }
  std::vector<double> totals = {counters.mpi_messages,     counters.wire_bytes,      counters.raw_bytes,
                                counters.encode_s,         counters.decode_s,        counters.compressed_messages,
                                counters.channel_messages, counters.batches_by_size, counters.batches_by_count,
                                counters.batches_by_time,  counters.batches_explicit};
  MPI_Allreduce(MPI_IN_PLACE, totals.data(), static_cast<int>(totals.size()), MPI_DOUBLE, MPI_SUM, x.comm);
  const double bodies = double(ranks) * double(std::max(1, options.warmup + options.iterations));
  const double median_s = summarize(result.iteration_times_s).median;
  const double payload_bytes = double(x.message_bytes * x.message_count);

  result.metrics["messages_per_iteration"] = double(x.message_count);
  result.metrics["payload_bytes_per_iteration"] = payload_bytes;
  result.metrics["mpi_messages_per_iteration"] = totals[0] / bodies;
  result.metrics["wire_bytes_per_iteration"] = totals[1] / bodies;
  result.metrics["messages_per_s"] = median_s > 0 ? double(x.message_count) / median_s : 0;
  result.metrics["bandwidth_bytes_per_s"] = median_s > 0 ? payload_bytes / median_s : 0;
  // Payload over what crossed the network (batch headers and length fields included).
  result.metrics["wire_ratio"] = totals[1] > 0 ? payload_bytes * bodies / totals[1] : 1.0;
  if (x.channel) {
    result.metrics["compression_ratio"] = totals[1] > 0 ? totals[2] / totals[1] : 1.0;
    result.metrics["compression_throughput_bytes_per_s"] = totals[3] > 0 ? totals[2] / totals[3] : 0;
    result.metrics["decompression_throughput_bytes_per_s"] = totals[4] > 0 ? totals[2] / totals[4] : 0;
    result.metrics["compressed_fraction"] = totals[6] > 0 ? totals[5] / totals[6] : 0;
    const batching::BlockCodec resolved(x.channel_config.codec, x.channel_config.level);
    result.notes["codec"] = fmt::format("{} level {}{}", batching::to_string(resolved.codec()), resolved.level(),
                                        x.channel_config.shuffle ? " with 8-byte shuffle" : "");
  }
  if (x.aggregator) {
    result.metrics["batches_per_iteration"] = (totals[7] + totals[8] + totals[9] + totals[10]) / bodies;
    result.notes["flushes"] = fmt::format("size {}, count {}, time {}, explicit {} (all ranks, all iterations)",
                                          totals[7], totals[8], totals[9], totals[10]);
  }
}

}  // namespace

KernelResult run_batching(const ParamSet& params, const RunOptions& options, MPI_Comm comm) {
  int rank = 0, ranks = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &ranks);
  Exchange x;
  x.comm = comm;
  x.right = (rank + 1) % ranks;
  x.left = (rank + ranks - 1) % ranks;
  x.message_bytes = static_cast<std::size_t>(params.integer("message_bytes"));
  x.message_count = static_cast<std::size_t>(params.integer("message_count"));
  const std::string variant = params.choice("variant");
  const std::string data_kind = params.choice("data");
  std::vector<std::byte> sample;
  if (data_kind == "file") sample = load_sample_file(data_file_of(params));
  x.payload = make_payload(data_kind, x.message_bytes * x.message_count, rank, sample);
  x.received.resize(x.message_bytes * x.message_count);
  x.aggregator_config.batch_bytes = static_cast<std::size_t>(params.integer("batch_bytes"));
  x.aggregator_config.batch_count = static_cast<std::size_t>(params.integer("batch_count"));
  x.aggregator_config.flush_interval = std::chrono::microseconds(params.integer("flush_interval_us"));
  x.channel_config.codec = *batching::parse_codec(params.choice("codec"));
  x.channel_config.level = static_cast<int>(params.integer("level"));
  x.channel_config.shuffle = params.boolean("shuffle");

  std::function<void()> body;
  if (variant == "individual") {
    body = individual_body(x);
  } else if (variant == "batched") {
    body = batched_body(x);
  } else {
    body = compressed_body(x, variant == "batched_compressed");
  }

  KernelResult result;
  result.iteration_times_s = time_iterations(comm, options, body);

  // Correctness: the last iteration's messages must be what the left neighbour generated.
  const std::vector<std::byte> expected = make_payload(data_kind, x.message_bytes * x.message_count, x.left, sample);
  int verified = x.delivered == x.message_count && expected == x.received ? 1 : 0;
  MPI_Allreduce(MPI_IN_PLACE, &verified, 1, MPI_INT, MPI_MIN, comm);
  Checksum local;
  local.add_u64(x.delivered).add(x.received.data(), x.received.size());
  result.checksum = combine_checksums(local.value(), comm);

  add_metrics(x, options, ranks, result);
  result.notes["delivery_verified"] = verified ? "yes" : "no";
  if (ranks < 2) result.notes["warning"] = "one rank: messages go to the same rank";
  return result;
}

}  // namespace commtune::kernels
