// A point-to-point channel that compresses each message with a chosen codec and level (optionally
// byte-shuffled first) and sends it raw when compression does not pay for that message. A 16-byte
// frame header says which, so the receiver needs no out-of-band agreement beyond the channel.
//
//   CompressedChannel channel(comm, {.codec = Codec::zstd, .level = 1, .shuffle = true});
//   channel.send(std::as_bytes(std::span(field)), right, /*tag=*/7);   // like MPI_Isend
//   std::span<const std::byte> got = channel.receive(left, 7);          // valid until next receive
//   channel.wait_sends();                                               // before reusing `field`
#pragma once

#include <mpi.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "commtune/kernels/batching/byte_buffer.hpp"
#include "commtune/kernels/batching/codec.hpp"

namespace commtune::kernels::batching {

struct ChannelConfig {
  Codec codec = Codec::zstd;
  int level = 0;  // 0: the codec's default level
  bool shuffle = false;
  std::size_t shuffle_element_bytes = 8;  // 8 for double/int64, 4 for float/int32
  // Smaller messages are sent raw without trying: no codec saves enough on them to pay its fixed
  // cost (and the frame header).
  std::size_t min_compress_bytes = 64;
};

// On the wire: this header, then the payload (compressed, or the message itself).
struct FrameHeader {
  static constexpr std::uint8_t kVersion = 1;
  static constexpr std::uint8_t kCompressed = 1;  // flags bit: payload is compressed
  static constexpr std::uint8_t kShuffled = 2;    // flags bit: decompressed bytes are byte-shuffled
  std::uint8_t version = kVersion;
  std::uint8_t flags = 0;
  std::uint8_t codec = 0;  // Codec value
  std::uint8_t shuffle_element_bytes = 0;
  std::uint32_t reserved = 0;
  std::uint64_t raw_bytes = 0;  // size of the original message
};
static_assert(sizeof(FrameHeader) == 16);
inline constexpr std::size_t kFrameHeaderBytes = sizeof(FrameHeader);

// Encoding and decoding of one frame, without MPI (what the channel does around each send/receive).
class FrameCodec {
 public:
  explicit FrameCodec(const ChannelConfig& config);  // throws std::invalid_argument on a bad level

  const ChannelConfig& config() const { return config_; }

  // Encodes `message`. Returns true when compressed: `frame` then holds header and payload. Returns
  // false when sent raw: `frame` holds only the header and the payload is `message` itself, so the
  // raw case costs no copy.
  bool encode(std::span<const std::byte> message, ByteBuffer& frame);

  // Decodes a whole frame (header then payload). The result points into `frame` for a raw frame
  // and into this codec's buffer otherwise: valid until the next decode() and while `frame` lives.
  // Throws std::runtime_error on a malformed frame.
  std::span<const std::byte> decode(std::span<const std::byte> frame);

  static FrameHeader read_header(std::span<const std::byte> frame);  // throws on a short/unknown frame

 private:
  ChannelConfig config_;
  BlockCodec codec_;
  ByteBuffer shuffled_;  // shuffled message (sender) or decompressed shuffled bytes (receiver)
  ByteBuffer decoded_;
};

struct ChannelStats {
  std::uint64_t messages_sent = 0;
  std::uint64_t messages_compressed = 0;  // the rest went raw
  std::uint64_t raw_bytes_sent = 0;       // message bytes before compression
  std::uint64_t wire_bytes_sent = 0;      // headers + payloads
  double encode_s = 0;                    // time in encode() (compression and shuffle)
  std::uint64_t messages_received = 0;
  double decode_s = 0;
  double compression_ratio() const {
    return wire_bytes_sent == 0 ? 1.0 : double(raw_bytes_sent) / double(wire_bytes_sent);
  }
};

class CompressedChannel {
 public:
  CompressedChannel(MPI_Comm comm, const ChannelConfig& config);
  ~CompressedChannel();  // waits for sends still in flight
  CompressedChannel(const CompressedChannel&) = delete;
  CompressedChannel& operator=(const CompressedChannel&) = delete;

  // Starts sending `message` to `dest` with `tag` and returns. As with MPI_Isend, `message` must
  // stay unchanged until wait_sends() (a raw message travels from the caller's buffer).
  void send(std::span<const std::byte> message, int dest, int tag);
  // Completes every send started so far.
  void wait_sends();
  // Frees the resources of sends that completed; returns how many are still in flight.
  std::size_t test_sends();

  // Receives and decodes one message (MPI_ANY_SOURCE/MPI_ANY_TAG allowed). The view is valid until
  // the next receive call. `status` (optional) gets the source and tag.
  std::span<const std::byte> receive(int source, int tag, MPI_Status* status = nullptr);
  // Like receive() when a matching message has arrived; nullopt otherwise.
  std::optional<std::span<const std::byte>> try_receive(int source, int tag, MPI_Status* status = nullptr);

  const ChannelStats& stats() const { return stats_; }
  void reset_stats() { stats_ = {}; }

 private:
  struct InFlight {
    MPI_Request request = MPI_REQUEST_NULL;
    ByteBuffer frame;
  };
  std::span<const std::byte> receive_matched(MPI_Message message, MPI_Status probed);

  MPI_Comm comm_;
  FrameCodec codec_;
  std::vector<InFlight> in_flight_;
  std::vector<ByteBuffer> free_frames_;  // recycled so steady-state sending does not allocate
  ByteBuffer received_frame_;
  ChannelStats stats_;
};

}  // namespace commtune::kernels::batching
