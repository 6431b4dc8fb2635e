// Block compression with one of the real codecs (lz4, zstd, zlib), reusing the codec's context
// between messages, plus a byte-shuffle filter that makes floating-point data compressible.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace commtune::kernels::batching {

enum class Codec : std::uint8_t { none = 0, lz4 = 1, zstd = 2, zlib = 3 };

std::string_view to_string(Codec codec);
std::optional<Codec> parse_codec(std::string_view name);  // "none", "lz4", "zstd", "zlib"

// Levels a codec accepts. Level 0 always means "the codec's default level" (default_level).
// lz4: 1 is the fast compressor, 2..12 the high-compression one; zstd: negative levels are its
// fast modes; zlib: 1..9 (its own 0, "store", is what the channel's raw fallback already does).
struct LevelRange {
  int min = 0;
  int max = 0;
  int default_level = 0;
};
LevelRange level_range(Codec codec);

// An error message naming the codec, the level and the accepted range; nullopt when valid.
std::optional<std::string> check_level(Codec codec, int level);

// Byte shuffle (the HDF5/Blosc "shuffle" filter): byte k of every element goes to stream k, so the
// slowly varying sign/exponent bytes of neighbouring doubles end up next to each other. A tail of
// fewer than `element_bytes` bytes is copied unchanged. `out` must be as large as `in`.
void byte_shuffle(std::span<const std::byte> in, std::span<std::byte> out, std::size_t element_bytes);
void byte_unshuffle(std::span<const std::byte> in, std::span<std::byte> out, std::size_t element_bytes);

// One codec at one level. Holds the codec's compression and decompression state so that small
// messages do not pay for setting it up each time. Not thread-safe: one per thread.
class BlockCodec {
 public:
  BlockCodec(Codec codec, int level);  // throws std::invalid_argument when check_level() fails
  ~BlockCodec();
  BlockCodec(BlockCodec&&) noexcept;
  BlockCodec& operator=(BlockCodec&&) noexcept;

  Codec codec() const { return codec_; }
  int level() const { return level_; }  // the effective level (0 resolved to the default)

  // Worst-case compressed size of `raw_bytes` bytes.
  std::size_t compress_bound(std::size_t raw_bytes) const;

  // Compresses `src` into `dst`; returns the compressed size, or 0 when it did not fit into `dst`
  // (pass a buffer of compress_bound() bytes to always succeed). Codec none copies.
  std::size_t compress(std::span<const std::byte> src, std::span<std::byte> dst);

  // Decompresses `src`, which must expand to exactly dst.size() bytes. Throws std::runtime_error
  // when the data is corrupt or has a different size.
  void decompress(std::span<const std::byte> src, std::span<std::byte> dst);

 private:
  struct State;
  Codec codec_ = Codec::none;
  int level_ = 0;
  std::unique_ptr<State> state_;
};

}  // namespace commtune::kernels::batching
