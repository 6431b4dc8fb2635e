// Packs many small messages into batches, and unpacks batches back into the messages in the order
// they were added. A batch is flushed when adding would exceed batch_bytes (size), when it holds
// batch_count messages (count), when its oldest message has waited flush_interval (time), or when
// the caller says so (explicit). The aggregator does no I/O: a handler sends each batch.
//
//   MessageAggregator aggregator({.batch_bytes = 64 * 1024, .flush_interval = 500us},
//                                [&](Batch&& batch) { send(batch.bytes.view());
//                                aggregator.recycle(std::move(batch.bytes)); });
//   for (auto& item : items) aggregator.add(std::as_bytes(std::span(item)));
//   aggregator.flush();
//
//   BatchUnpacker unpacker([&](std::uint64_t sequence, std::span<const std::byte> message) { use(message); });
//   unpacker.push(received_batch);   // delivers in sequence order, holding back early batches
//
// Wire format of a batch: a 16-byte header (magic, message count, sequence number of the first
// message), then per message a 4-byte length and the bytes. Host byte order: sender and receiver
// are assumed to share an architecture, as MPI_BYTE transfers do.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <span>
#include <vector>

#include "commtune/kernels/batching/byte_buffer.hpp"

namespace commtune::kernels::batching {

inline constexpr std::uint32_t kBatchMagic = 0x31425443;  // "CTB1"
inline constexpr std::size_t kBatchHeaderBytes = 16;
inline constexpr std::size_t kMessageLengthBytes = 4;

namespace detail {
// Copies n bytes. Up to 32 bytes with two overlapping fixed-size moves the compiler inlines: for
// such small messages the call into the C library's memcpy costs as much as the copy (measured:
// 16-byte messages pack at twice the rate). Larger ones go to memcpy, which is faster there.
inline void copy_message(std::byte* out, const std::byte* in, std::size_t n) {
  if (n > 32) {
    std::memcpy(out, in, n);
  } else if (n > 16) {
    std::byte head[16], tail[16];
    std::memcpy(head, in, 16);
    std::memcpy(tail, in + n - 16, 16);
    std::memcpy(out, head, 16);
    std::memcpy(out + n - 16, tail, 16);
  } else if (n >= 8) {
    std::uint64_t head, tail;
    std::memcpy(&head, in, 8);
    std::memcpy(&tail, in + n - 8, 8);
    std::memcpy(out, &head, 8);
    std::memcpy(out + n - 8, &tail, 8);
  } else if (n >= 4) {
    std::uint32_t head, tail;
    std::memcpy(&head, in, 4);
    std::memcpy(&tail, in + n - 4, 4);
    std::memcpy(out, &head, 4);
    std::memcpy(out + n - 4, &tail, 4);
  } else {
    for (std::size_t i = 0; i < n; ++i) out[i] = in[i];
  }
}
}  // namespace detail

struct AggregatorConfig {
  std::size_t batch_bytes = 64 * 1024;          // upper bound of a batch on the wire, header included
  std::size_t batch_count = 0;                  // flush at this many messages; 0: no limit
  std::chrono::microseconds flush_interval{0};  // flush when the oldest message is this old; 0: never
};

enum class FlushReason { size, count, time, explicit_call };

struct Batch {
  ByteBuffer bytes;  // the batch as it goes on the wire
  std::uint64_t first_sequence = 0;
  std::uint32_t message_count = 0;
  FlushReason reason = FlushReason::explicit_call;
};

struct AggregatorStats {
  std::uint64_t messages = 0;
  std::uint64_t batches = 0;
  std::uint64_t flushes_by_size = 0;
  std::uint64_t flushes_by_count = 0;
  std::uint64_t flushes_by_time = 0;
  std::uint64_t flushes_explicit = 0;
};

class MessageAggregator {
 public:
  using FlushHandler = std::function<void(Batch&& batch)>;

  // Throws std::invalid_argument when batch_bytes cannot hold a header and one message frame.
  MessageAggregator(const AggregatorConfig& config, FlushHandler on_flush);

  // Appends a copy of `message` (may be empty). A message larger than batch_bytes travels alone.
  void add(std::span<const std::byte> message) {
    // The fast path (a batch is open and the message fits) is kept to two predictable branches and
    // two copies: it runs once per small message, where every nanosecond counts against memcpy.
    const std::size_t frame_bytes = kMessageLengthBytes + message.size();
    const std::size_t used = buffer_.size();
    if (used + frame_bytes > room_bytes_) [[unlikely]] {
      add_slow(message);
      return;
    }
    std::byte* out = buffer_.data() + used;
    const auto length = static_cast<std::uint32_t>(message.size());
    std::memcpy(out, &length, kMessageLengthBytes);
    detail::copy_message(out + kMessageLengthBytes, message.data(), message.size());
    buffer_.set_size_within_capacity(used + frame_bytes);  // room_bytes_ <= capacity while a batch is open
    if (++pending_messages_ == check_at_messages_ || used + frame_bytes == room_bytes_) [[unlikely]]
      after_add();
  }

  // Flushes when the oldest pending message has waited flush_interval. Call it from idle loops so
  // a quiet producer's messages still leave on time. Returns true when it flushed.
  bool poll();

  // Flushes whatever is pending (nothing happens when nothing is).
  void flush() {
    if (pending_messages_ != 0) flush_now(FlushReason::explicit_call);
  }

  // Gives a batch buffer back after the handler is done with it, so batches reuse memory.
  void recycle(ByteBuffer&& buffer);

  std::size_t pending_messages() const { return pending_messages_; }
  std::size_t pending_bytes() const { return pending_messages_ == 0 ? 0 : buffer_.size(); }
  std::uint64_t next_sequence() const { return next_sequence_ + pending_messages_; }
  const AggregatorStats& stats() const { return stats_; }
  const AggregatorConfig& config() const { return config_; }

 private:
  // Reading the clock costs ~25 ns, more than copying a small message, so add() looks only every
  // kClockStride messages (64 small messages take ~0.5 us to add, far below any useful flush
  // interval); poll() looks every time.
  static constexpr std::size_t kClockStride = 64;
  void add_slow(std::span<const std::byte> message);
  void after_add();
  void start_batch();
  void flush_now(FlushReason reason);
  void plan_next_check();

  AggregatorConfig config_;
  FlushHandler on_flush_;
  bool time_flush_enabled_ = false;
  ByteBuffer buffer_;
  std::vector<ByteBuffer> spare_buffers_;
  std::size_t pending_messages_ = 0;
  std::size_t room_bytes_ = 0;         // batch_bytes while a batch is open, 0 otherwise (forces add_slow)
  std::size_t check_at_messages_ = 0;  // pending count at which add() checks count and clock
  std::uint64_t next_sequence_ = 0;    // sequence number of the first pending message
  std::chrono::steady_clock::time_point batch_started_;
  AggregatorStats stats_;
};

// Receiver side: checks each batch and hands its messages to a handler in sequence order. Batches
// that arrive ahead of a gap (e.g. over several tags or sources) are copied and held back.
class BatchUnpacker {
 public:
  using MessageHandler = std::function<void(std::uint64_t sequence, std::span<const std::byte> message)>;

  explicit BatchUnpacker(MessageHandler on_message, std::uint64_t first_sequence = 0);

  // Throws std::runtime_error on a malformed batch or a sequence number already delivered.
  void push(std::span<const std::byte> batch);

  std::uint64_t next_sequence() const { return next_sequence_; }
  std::size_t held_batches() const { return held_.size(); }

  // Calls `visit` for each message of `batch` in order after validating the whole batch; returns
  // the batch's first sequence number. Throws std::runtime_error when malformed.
  static std::uint64_t for_each_message(std::span<const std::byte> batch, const MessageHandler& visit);

 private:
  MessageHandler on_message_;
  std::uint64_t next_sequence_;
  std::map<std::uint64_t, std::vector<std::byte>> held_;  // first sequence -> batch copy
};

}  // namespace commtune::kernels::batching
