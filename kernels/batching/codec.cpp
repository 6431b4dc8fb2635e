#include "commtune/kernels/batching/codec.hpp"

#include <fmt/format.h>
#include <lz4.h>
#include <lz4hc.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include <climits>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace commtune::kernels::batching {

std::string_view to_string(Codec codec) {
  switch (codec) {
    case Codec::none:
      return "none";
    case Codec::lz4:
      return "lz4";
    case Codec::zstd:
      return "zstd";
    case Codec::zlib:
      return "zlib";
  }
  return "unknown";
}

std::optional<Codec> parse_codec(std::string_view name) {
  for (Codec codec : {Codec::none, Codec::lz4, Codec::zstd, Codec::zlib}) {
    if (to_string(codec) == name) return codec;
  }
  return std::nullopt;
}

LevelRange level_range(Codec codec) {
  switch (codec) {
    case Codec::none:
      return {0, 0, 0};
    case Codec::lz4:
      return {1, LZ4HC_CLEVEL_MAX, 1};
    // zstd accepts far lower fast levels; below -7 the ratio is close to 1 on our data.
    case Codec::zstd:
      return {-7, 22, ZSTD_CLEVEL_DEFAULT};
    case Codec::zlib:
      return {1, 9, 6};
  }
  return {};
}

std::optional<std::string> check_level(Codec codec, int level) {
  const LevelRange range = level_range(codec);
  if (level == 0 || (level >= range.min && level <= range.max)) return std::nullopt;
  if (codec == Codec::none) {
    return fmt::format("level {} is not valid for codec none: accepted 0 (no compression has no level)", level);
  }
  return fmt::format("level {} is not valid for codec {}: accepted 0 (the codec's default, {}) or {} .. {}", level,
                     to_string(codec), range.default_level, range.min, range.max);
}

namespace {

// Transposes an 8x8 byte matrix held as 8 little-endian rows: byte j of row i moves to byte i of
// row j. Three rounds of block swaps (4x4, 2x2, 1x1) instead of 64 byte moves.
inline void transpose_8x8(std::uint64_t r[8]) {
  for (int i = 0; i < 4; ++i) {
    const std::uint64_t a = r[i], b = r[i + 4];
    r[i] = (a & 0x00000000FFFFFFFFULL) | (b << 32);
    r[i + 4] = (a >> 32) | (b & 0xFFFFFFFF00000000ULL);
  }
  for (int g = 0; g < 8; g += 4) {
    for (int i = g; i < g + 2; ++i) {
      const std::uint64_t a = r[i], b = r[i + 2];
      r[i] = (a & 0x0000FFFF0000FFFFULL) | ((b & 0x0000FFFF0000FFFFULL) << 16);
      r[i + 2] = ((a >> 16) & 0x0000FFFF0000FFFFULL) | (b & 0xFFFF0000FFFF0000ULL);
    }
  }
  for (int i = 0; i < 8; i += 2) {
    const std::uint64_t a = r[i], b = r[i + 1];
    r[i] = (a & 0x00FF00FF00FF00FFULL) | ((b & 0x00FF00FF00FF00FFULL) << 8);
    r[i + 1] = ((a >> 8) & 0x00FF00FF00FF00FFULL) | (b & 0xFF00FF00FF00FF00ULL);
  }
}

void check_sizes(std::span<const std::byte> in, std::span<std::byte> out, std::size_t element_bytes) {
  if (element_bytes == 0) throw std::invalid_argument("byte shuffle: element_bytes must be at least 1");
  if (out.size() < in.size()) throw std::invalid_argument("byte shuffle: output smaller than input");
}

}  // namespace

void byte_shuffle(std::span<const std::byte> in, std::span<std::byte> out, std::size_t element_bytes) {
  check_sizes(in, out, element_bytes);
  const std::size_t elements = in.size() / element_bytes;
  const std::byte* src = in.data();
  std::byte* dst = out.data();
  std::size_t i = 0;
  if (element_bytes == 8) {
    for (; i + 8 <= elements; i += 8) {
      std::uint64_t rows[8];
      std::memcpy(rows, src + i * 8, sizeof rows);
      transpose_8x8(rows);
      for (int k = 0; k < 8; ++k) std::memcpy(dst + std::size_t(k) * elements + i, &rows[k], 8);
    }
  }
  for (; i < elements; ++i) {
    for (std::size_t k = 0; k < element_bytes; ++k) dst[k * elements + i] = src[i * element_bytes + k];
  }
  const std::size_t body = elements * element_bytes;
  if (body < in.size()) std::memcpy(dst + body, src + body, in.size() - body);
}

void byte_unshuffle(std::span<const std::byte> in, std::span<std::byte> out, std::size_t element_bytes) {
  check_sizes(in, out, element_bytes);
  const std::size_t elements = in.size() / element_bytes;
  const std::byte* src = in.data();
  std::byte* dst = out.data();
  std::size_t i = 0;
  if (element_bytes == 8) {
    for (; i + 8 <= elements; i += 8) {
      std::uint64_t rows[8];
      for (int k = 0; k < 8; ++k) std::memcpy(&rows[k], src + std::size_t(k) * elements + i, 8);
      transpose_8x8(rows);
      std::memcpy(dst + i * 8, rows, sizeof rows);
    }
  }
  for (; i < elements; ++i) {
    for (std::size_t k = 0; k < element_bytes; ++k) dst[i * element_bytes + k] = src[k * elements + i];
  }
  const std::size_t body = elements * element_bytes;
  if (body < in.size()) std::memcpy(dst + body, src + body, in.size() - body);
}

struct BlockCodec::State {
  ZSTD_CCtx* zstd_compress = nullptr;
  ZSTD_DCtx* zstd_decompress = nullptr;
  std::vector<std::uint64_t> lz4_state;  // 8-byte aligned, as LZ4 requires
  z_stream deflater{};
  z_stream inflater{};
  bool zlib_ready = false;

  ~State() {
    ZSTD_freeCCtx(zstd_compress);
    ZSTD_freeDCtx(zstd_decompress);
    if (zlib_ready) {
      deflateEnd(&deflater);
      inflateEnd(&inflater);
    }
  }
};

BlockCodec::BlockCodec(Codec codec, int level) : codec_(codec), state_(std::make_unique<State>()) {
  if (auto error = check_level(codec, level)) throw std::invalid_argument(*error);
  level_ = level == 0 ? level_range(codec).default_level : level;
  switch (codec_) {
    case Codec::none:
      break;
    case Codec::lz4: {
      const int state_bytes = level_ == 1 ? LZ4_sizeofState() : LZ4_sizeofStateHC();
      state_->lz4_state.resize((static_cast<std::size_t>(state_bytes) + 7) / 8);
      break;
    }
    case Codec::zstd:
      state_->zstd_compress = ZSTD_createCCtx();
      state_->zstd_decompress = ZSTD_createDCtx();
      if (!state_->zstd_compress || !state_->zstd_decompress) throw std::bad_alloc();
      break;
    case Codec::zlib:
      // One deflate/inflate stream reset per message: compress2() would allocate ~256 KiB each time.
      if (deflateInit(&state_->deflater, level_) != Z_OK) throw std::runtime_error("zlib: deflateInit failed");
      if (inflateInit(&state_->inflater) != Z_OK) {
        deflateEnd(&state_->deflater);
        throw std::runtime_error("zlib: inflateInit failed");
      }
      state_->zlib_ready = true;
      break;
  }
}

BlockCodec::~BlockCodec() = default;
BlockCodec::BlockCodec(BlockCodec&&) noexcept = default;
BlockCodec& BlockCodec::operator=(BlockCodec&&) noexcept = default;

std::size_t BlockCodec::compress_bound(std::size_t raw_bytes) const {
  switch (codec_) {
    case Codec::none:
      return raw_bytes;
    case Codec::lz4:
      return raw_bytes > LZ4_MAX_INPUT_SIZE ? 0 : static_cast<std::size_t>(LZ4_compressBound(int(raw_bytes)));
    case Codec::zstd:
      return ZSTD_compressBound(raw_bytes);
    case Codec::zlib:
      return deflateBound(&state_->deflater, static_cast<uLong>(raw_bytes));
  }
  return 0;
}

std::size_t BlockCodec::compress(std::span<const std::byte> src, std::span<std::byte> dst) {
  switch (codec_) {
    case Codec::none:
      if (dst.size() < src.size()) return 0;
      if (!src.empty()) std::memcpy(dst.data(), src.data(), src.size());
      return src.size();
    case Codec::lz4: {
      if (src.size() > LZ4_MAX_INPUT_SIZE) throw std::invalid_argument("lz4: message larger than LZ4_MAX_INPUT_SIZE");
      const int capacity = static_cast<int>(std::min<std::size_t>(dst.size(), INT_MAX));
      const auto* in = reinterpret_cast<const char*>(src.data());
      auto* out = reinterpret_cast<char*>(dst.data());
      const int written =
          level_ == 1
              ? LZ4_compress_fast_extState(state_->lz4_state.data(), in, out, int(src.size()), capacity, 1)
              : LZ4_compress_HC_extStateHC(state_->lz4_state.data(), in, out, int(src.size()), capacity, level_);
      return written > 0 ? static_cast<std::size_t>(written) : 0;
    }
    case Codec::zstd: {
      // The one-shot call: parameters are derived from the level and this message's size.
      const std::size_t written =
          ZSTD_compressCCtx(state_->zstd_compress, dst.data(), dst.size(), src.data(), src.size(), level_);
      if (ZSTD_isError(written)) {
        if (ZSTD_getErrorCode(written) == ZSTD_error_dstSize_tooSmall) return 0;
        throw std::runtime_error(fmt::format("zstd: {}", ZSTD_getErrorName(written)));
      }
      return written;
    }
    case Codec::zlib: {
      z_stream& stream = state_->deflater;
      deflateReset(&stream);
      stream.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(src.data()));
      stream.avail_in = static_cast<uInt>(src.size());
      stream.next_out = reinterpret_cast<Bytef*>(dst.data());
      stream.avail_out = static_cast<uInt>(std::min<std::size_t>(dst.size(), UINT_MAX));
      const int status = deflate(&stream, Z_FINISH);
      if (status == Z_STREAM_END) return stream.total_out;
      if (status == Z_OK || status == Z_BUF_ERROR) return 0;  // ran out of output space
      throw std::runtime_error(fmt::format("zlib: deflate failed ({})", status));
    }
  }
  return 0;
}

void BlockCodec::decompress(std::span<const std::byte> src, std::span<std::byte> dst) {
  switch (codec_) {
    case Codec::none:
      if (src.size() != dst.size()) throw std::runtime_error("none: stored size differs from the expected size");
      if (!src.empty()) std::memcpy(dst.data(), src.data(), src.size());
      return;
    case Codec::lz4: {
      const int written = LZ4_decompress_safe(reinterpret_cast<const char*>(src.data()),
                                              reinterpret_cast<char*>(dst.data()), int(src.size()), int(dst.size()));
      if (written < 0 || static_cast<std::size_t>(written) != dst.size()) {
        throw std::runtime_error("lz4: corrupt input or wrong decompressed size");
      }
      return;
    }
    case Codec::zstd: {
      const std::size_t written =
          ZSTD_decompressDCtx(state_->zstd_decompress, dst.data(), dst.size(), src.data(), src.size());
      if (ZSTD_isError(written)) throw std::runtime_error(fmt::format("zstd: {}", ZSTD_getErrorName(written)));
      if (written != dst.size()) throw std::runtime_error("zstd: wrong decompressed size");
      return;
    }
    case Codec::zlib: {
      z_stream& stream = state_->inflater;
      inflateReset(&stream);
      stream.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(src.data()));
      stream.avail_in = static_cast<uInt>(src.size());
      stream.next_out = reinterpret_cast<Bytef*>(dst.data());
      stream.avail_out = static_cast<uInt>(dst.size());
      const int status = inflate(&stream, Z_FINISH);
      if (status != Z_STREAM_END || stream.total_out != dst.size()) {
        throw std::runtime_error(fmt::format("zlib: corrupt input or wrong decompressed size ({})", status));
      }
      return;
    }
  }
}

}  // namespace commtune::kernels::batching
