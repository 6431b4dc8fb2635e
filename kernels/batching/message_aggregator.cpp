#include "commtune/kernels/batching/message_aggregator.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>

namespace commtune::kernels::batching {
namespace {

struct BatchHeader {
  std::uint32_t magic = kBatchMagic;
  std::uint32_t message_count = 0;
  std::uint64_t first_sequence = 0;
};
static_assert(sizeof(BatchHeader) == kBatchHeaderBytes);

BatchHeader read_batch_header(std::span<const std::byte> batch) {
  if (batch.size() < kBatchHeaderBytes) {
    throw std::runtime_error(
        fmt::format("batch of {} bytes is shorter than its {}-byte header", batch.size(), kBatchHeaderBytes));
  }
  BatchHeader header;
  std::memcpy(&header, batch.data(), kBatchHeaderBytes);
  if (header.magic != kBatchMagic) throw std::runtime_error("batch does not start with the batch magic number");
  return header;
}

}  // namespace

MessageAggregator::MessageAggregator(const AggregatorConfig& config, FlushHandler on_flush)
    : config_(config), on_flush_(std::move(on_flush)), time_flush_enabled_(config.flush_interval.count() > 0) {
  if (config_.batch_bytes < kBatchHeaderBytes + kMessageLengthBytes) {
    throw std::invalid_argument(fmt::format("batch_bytes = {} is too small: a batch needs at least {} bytes",
                                            config_.batch_bytes, kBatchHeaderBytes + kMessageLengthBytes));
  }
  if (!on_flush_) throw std::invalid_argument("message aggregator needs a flush handler");
}

void MessageAggregator::add_slow(std::span<const std::byte> message) {
  const std::size_t frame_bytes = kMessageLengthBytes + message.size();
  if (pending_messages_ != 0 && buffer_.size() + frame_bytes > config_.batch_bytes) flush_now(FlushReason::size);
  if (pending_messages_ == 0) start_batch();
  const std::size_t used = buffer_.size();
  buffer_.resize_uninitialized(used + frame_bytes);  // grows only for a message larger than a batch
  const auto length = static_cast<std::uint32_t>(message.size());
  std::memcpy(buffer_.data() + used, &length, kMessageLengthBytes);
  if (!message.empty()) std::memcpy(buffer_.data() + used + kMessageLengthBytes, message.data(), message.size());
  ++pending_messages_;
  after_add();
}

void MessageAggregator::after_add() {
  if (buffer_.size() >= config_.batch_bytes) {
    flush_now(FlushReason::size);
  } else if (pending_messages_ == config_.batch_count) {
    flush_now(FlushReason::count);
  } else if (time_flush_enabled_ && pending_messages_ % kClockStride == 0 && poll()) {
    // flushed by time
  } else {
    plan_next_check();
  }
}

void MessageAggregator::plan_next_check() {
  std::size_t next = SIZE_MAX;
  if (config_.batch_count != 0) next = config_.batch_count;
  if (time_flush_enabled_) next = std::min(next, (pending_messages_ / kClockStride + 1) * kClockStride);
  check_at_messages_ = next;
}

void MessageAggregator::start_batch() {
  if (buffer_.capacity() == 0 && !spare_buffers_.empty()) {
    buffer_ = std::move(spare_buffers_.back());
    spare_buffers_.pop_back();
  }
  buffer_.reserve(config_.batch_bytes);
  buffer_.resize_uninitialized(kBatchHeaderBytes);  // header written at flush time
  room_bytes_ = config_.batch_bytes;
  plan_next_check();
  if (time_flush_enabled_) batch_started_ = std::chrono::steady_clock::now();
}

bool MessageAggregator::poll() {
  if (!time_flush_enabled_ || pending_messages_ == 0) return false;
  if (std::chrono::steady_clock::now() - batch_started_ < config_.flush_interval) return false;
  flush_now(FlushReason::time);
  return true;
}

void MessageAggregator::flush_now(FlushReason reason) {
  BatchHeader header;
  header.message_count = static_cast<std::uint32_t>(pending_messages_);
  header.first_sequence = next_sequence_;
  std::memcpy(buffer_.data(), &header, kBatchHeaderBytes);

  Batch batch;
  batch.bytes = std::move(buffer_);
  batch.first_sequence = next_sequence_;
  batch.message_count = header.message_count;
  batch.reason = reason;
  buffer_ = ByteBuffer();
  room_bytes_ = 0;
  next_sequence_ += pending_messages_;
  stats_.messages += pending_messages_;
  pending_messages_ = 0;
  ++stats_.batches;
  switch (reason) {
    case FlushReason::size:
      ++stats_.flushes_by_size;
      break;
    case FlushReason::count:
      ++stats_.flushes_by_count;
      break;
    case FlushReason::time:
      ++stats_.flushes_by_time;
      break;
    case FlushReason::explicit_call:
      ++stats_.flushes_explicit;
      break;
  }
  on_flush_(std::move(batch));
}

void MessageAggregator::recycle(ByteBuffer&& buffer) {
  buffer.clear();
  // A few spares cover the batches in flight; more would only hold memory.
  if (spare_buffers_.size() < 64) spare_buffers_.push_back(std::move(buffer));
}

BatchUnpacker::BatchUnpacker(MessageHandler on_message, std::uint64_t first_sequence)
    : on_message_(std::move(on_message)), next_sequence_(first_sequence) {}

std::uint64_t BatchUnpacker::for_each_message(std::span<const std::byte> batch, const MessageHandler& visit) {
  const BatchHeader header = read_batch_header(batch);
  // Validate all frames before delivering any, so a truncated batch delivers nothing.
  std::size_t offset = kBatchHeaderBytes;
  for (std::uint32_t i = 0; i < header.message_count; ++i) {
    std::uint32_t length = 0;
    if (batch.size() - offset < kMessageLengthBytes) throw std::runtime_error("batch truncated in a length field");
    std::memcpy(&length, batch.data() + offset, kMessageLengthBytes);
    offset += kMessageLengthBytes;
    if (batch.size() - offset < length) throw std::runtime_error("batch truncated inside a message");
    offset += length;
  }
  if (offset != batch.size()) {
    throw std::runtime_error(
        fmt::format("batch has {} bytes after its {} messages", batch.size() - offset, header.message_count));
  }
  offset = kBatchHeaderBytes;
  for (std::uint32_t i = 0; i < header.message_count; ++i) {
    std::uint32_t length = 0;
    std::memcpy(&length, batch.data() + offset, kMessageLengthBytes);
    offset += kMessageLengthBytes;
    visit(header.first_sequence + i, batch.subspan(offset, length));
    offset += length;
  }
  return header.first_sequence;
}

void BatchUnpacker::push(std::span<const std::byte> batch) {
  const BatchHeader header = read_batch_header(batch);
  if (header.first_sequence < next_sequence_ || held_.count(header.first_sequence) != 0) {
    throw std::runtime_error(fmt::format("batch starting at message {} was already received (next expected {})",
                                         header.first_sequence, next_sequence_));
  }
  if (header.first_sequence > next_sequence_) {
    for_each_message(batch, [](std::uint64_t, std::span<const std::byte>) {});  // reject malformed batches now
    held_.emplace(header.first_sequence, std::vector<std::byte>(batch.begin(), batch.end()));
    return;
  }
  for_each_message(batch, on_message_);
  next_sequence_ += header.message_count;
  // Deliver held batches that have become next in line.
  for (auto it = held_.find(next_sequence_); it != held_.end(); it = held_.find(next_sequence_)) {
    const std::vector<std::byte> held = std::move(it->second);
    held_.erase(it);
    const std::uint64_t count = read_batch_header(held).message_count;
    for_each_message(held, on_message_);
    next_sequence_ += count;
  }
}

}  // namespace commtune::kernels::batching
