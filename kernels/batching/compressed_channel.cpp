#include "commtune/kernels/batching/compressed_channel.hpp"

#include <fmt/format.h>

#include <chrono>
#include <climits>
#include <cstring>
#include <stdexcept>

namespace commtune::kernels::batching {
namespace {

// Raw messages below this size are copied behind the header (one contiguous send); larger ones
// travel from the caller's buffer through a two-block datatype, which costs about a microsecond to
// build but saves a copy of the whole message.
constexpr std::size_t kCopyRawBelowBytes = 16 * 1024;

// Bigger than any message this channel sends; guards allocations against corrupt headers.
constexpr std::uint64_t kMaxRawBytes = std::uint64_t{1} << 40;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

int checked_count(std::size_t bytes) {
  if (bytes > static_cast<std::size_t>(INT_MAX)) {
    throw std::invalid_argument(fmt::format("compressed channel: a frame of {} bytes exceeds MPI's int count", bytes));
  }
  return static_cast<int>(bytes);
}

}  // namespace

FrameCodec::FrameCodec(const ChannelConfig& config) : config_(config), codec_(config.codec, config.level) {
  if (config_.shuffle && (config_.shuffle_element_bytes == 0 || config_.shuffle_element_bytes > 255)) {
    throw std::invalid_argument(
        fmt::format("shuffle_element_bytes = {} is not valid: accepted 1 .. 255", config_.shuffle_element_bytes));
  }
}

bool FrameCodec::encode(std::span<const std::byte> message, ByteBuffer& frame) {
  FrameHeader header;
  header.codec = static_cast<std::uint8_t>(config_.codec);
  header.raw_bytes = message.size();
  if (config_.codec != Codec::none && message.size() >= config_.min_compress_bytes && !message.empty()) {
    std::span<const std::byte> input = message;
    std::uint8_t flags = FrameHeader::kCompressed;
    if (config_.shuffle && message.size() >= config_.shuffle_element_bytes) {
      shuffled_.resize_uninitialized(message.size());
      byte_shuffle(message, shuffled_.span(), config_.shuffle_element_bytes);
      input = shuffled_.view();
      flags |= FrameHeader::kShuffled;
      header.shuffle_element_bytes = static_cast<std::uint8_t>(config_.shuffle_element_bytes);
    }
    const std::size_t bound = codec_.compress_bound(input.size());
    frame.resize_uninitialized(kFrameHeaderBytes + bound);
    const std::size_t compressed_bytes = codec_.compress(input, {frame.data() + kFrameHeaderBytes, bound});
    if (compressed_bytes != 0 && compressed_bytes < message.size()) {
      header.flags = flags;
      std::memcpy(frame.data(), &header, kFrameHeaderBytes);
      frame.resize_uninitialized(kFrameHeaderBytes + compressed_bytes);
      return true;
    }
    header.shuffle_element_bytes = 0;  // compression did not pay: the raw message goes unshuffled
  }
  frame.resize_uninitialized(kFrameHeaderBytes);
  std::memcpy(frame.data(), &header, kFrameHeaderBytes);
  return false;
}

FrameHeader FrameCodec::read_header(std::span<const std::byte> frame) {
  if (frame.size() < kFrameHeaderBytes) {
    throw std::runtime_error(
        fmt::format("frame of {} bytes is shorter than its {}-byte header", frame.size(), kFrameHeaderBytes));
  }
  FrameHeader header;
  std::memcpy(&header, frame.data(), kFrameHeaderBytes);
  if (header.version != FrameHeader::kVersion) {
    throw std::runtime_error(
        fmt::format("frame version {} is not supported (expected {})", header.version, FrameHeader::kVersion));
  }
  if (header.raw_bytes > kMaxRawBytes) throw std::runtime_error("frame header announces an implausible size");
  return header;
}

std::span<const std::byte> FrameCodec::decode(std::span<const std::byte> frame) {
  const FrameHeader header = read_header(frame);
  const std::span<const std::byte> payload = frame.subspan(kFrameHeaderBytes);
  if ((header.flags & FrameHeader::kCompressed) == 0) {
    if (payload.size() != header.raw_bytes) {
      throw std::runtime_error(
          fmt::format("raw frame carries {} bytes but announces {}", payload.size(), header.raw_bytes));
    }
    return payload;
  }
  if (header.codec != static_cast<std::uint8_t>(config_.codec)) {
    throw std::runtime_error(fmt::format("frame compressed with codec {} but this channel uses {}",
                                         to_string(static_cast<Codec>(header.codec)), to_string(config_.codec)));
  }
  const std::size_t raw_bytes = header.raw_bytes;
  decoded_.resize_uninitialized(raw_bytes);
  if ((header.flags & FrameHeader::kShuffled) != 0) {
    if (header.shuffle_element_bytes == 0) throw std::runtime_error("shuffled frame without an element size");
    shuffled_.resize_uninitialized(raw_bytes);
    codec_.decompress(payload, shuffled_.span());
    byte_unshuffle(shuffled_.view(), decoded_.span(), header.shuffle_element_bytes);
  } else {
    codec_.decompress(payload, decoded_.span());
  }
  return decoded_.view();
}

CompressedChannel::CompressedChannel(MPI_Comm comm, const ChannelConfig& config) : comm_(comm), codec_(config) {}

CompressedChannel::~CompressedChannel() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) wait_sends();
}

void CompressedChannel::send(std::span<const std::byte> message, int dest, int tag) {
  ByteBuffer frame;
  if (!free_frames_.empty()) {
    frame = std::move(free_frames_.back());
    free_frames_.pop_back();
  }
  const auto start = std::chrono::steady_clock::now();
  const bool compressed = codec_.encode(message, frame);
  stats_.encode_s += seconds_since(start);
  ++stats_.messages_sent;
  stats_.messages_compressed += compressed ? 1 : 0;
  stats_.raw_bytes_sent += message.size();
  stats_.wire_bytes_sent += compressed ? frame.size() : kFrameHeaderBytes + message.size();

  InFlight sending;
  if (compressed || message.size() < kCopyRawBelowBytes) {
    if (!compressed) frame.append(message.data(), message.size());
    MPI_Isend(frame.data(), checked_count(frame.size()), MPI_BYTE, dest, tag, comm_, &sending.request);
  } else {
    // Header from our buffer, payload from the caller's: no copy of the message.
    MPI_Aint addresses[2];
    MPI_Get_address(frame.data(), &addresses[0]);
    MPI_Get_address(message.data(), &addresses[1]);
    const int lengths[2] = {static_cast<int>(kFrameHeaderBytes), checked_count(message.size())};
    MPI_Datatype frame_type = MPI_DATATYPE_NULL;
    MPI_Type_create_hindexed(2, lengths, addresses, MPI_BYTE, &frame_type);
    MPI_Type_commit(&frame_type);
    MPI_Isend(MPI_BOTTOM, 1, frame_type, dest, tag, comm_, &sending.request);
    MPI_Type_free(&frame_type);  // MPI keeps it alive until the send completes
  }
  sending.frame = std::move(frame);
  in_flight_.push_back(std::move(sending));
}

void CompressedChannel::wait_sends() {
  for (InFlight& sending : in_flight_) {
    MPI_Wait(&sending.request, MPI_STATUS_IGNORE);
    sending.frame.clear();
    free_frames_.push_back(std::move(sending.frame));
  }
  in_flight_.clear();
}

std::size_t CompressedChannel::test_sends() {
  std::size_t kept = 0;
  for (std::size_t i = 0; i < in_flight_.size(); ++i) {
    int done = 0;
    MPI_Test(&in_flight_[i].request, &done, MPI_STATUS_IGNORE);
    if (done) {
      in_flight_[i].frame.clear();
      free_frames_.push_back(std::move(in_flight_[i].frame));
    } else {
      if (kept != i) in_flight_[kept] = std::move(in_flight_[i]);
      ++kept;
    }
  }
  in_flight_.resize(kept);
  return kept;
}

std::span<const std::byte> CompressedChannel::receive_matched(MPI_Message message, MPI_Status probed) {
  int count = 0;
  MPI_Get_count(&probed, MPI_BYTE, &count);
  received_frame_.resize_uninitialized(static_cast<std::size_t>(count));
  MPI_Mrecv(received_frame_.data(), count, MPI_BYTE, &message, MPI_STATUS_IGNORE);
  const auto start = std::chrono::steady_clock::now();
  const std::span<const std::byte> decoded = codec_.decode(received_frame_.view());
  stats_.decode_s += seconds_since(start);
  ++stats_.messages_received;
  return decoded;
}

std::span<const std::byte> CompressedChannel::receive(int source, int tag, MPI_Status* status) {
  MPI_Status probed;
  MPI_Message message;
  MPI_Mprobe(source, tag, comm_, &message, &probed);
  if (status) *status = probed;
  return receive_matched(message, probed);
}

std::optional<std::span<const std::byte>> CompressedChannel::try_receive(int source, int tag, MPI_Status* status) {
  MPI_Status probed;
  MPI_Message message;
  int found = 0;
  MPI_Improbe(source, tag, comm_, &found, &message, &probed);
  if (!found) return std::nullopt;
  if (status) *status = probed;
  return receive_matched(message, probed);
}

}  // namespace commtune::kernels::batching
