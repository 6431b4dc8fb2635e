// The binary trace log of `commtune run --trace`: the one place its layout is defined, shared by
// the writer in the preload library (runtime/trace.cpp) and the reader (reader.cpp). Header-only,
// no allocation. docs/trace.md describes the same layout in prose.
//
// One file per rank and thread: DIR/trace/rank-RRRRR.thread-TTT.ctrace, holding
//   FileHeader                      fixed size, written when the file is created
//   Block*                          BlockHeader + `payload_bytes` bytes of records
// A block is written with one write(2) when its buffer fills, when it is older than the flush
// interval, at MPI_Finalize, at MPI_Abort and on fatal signals. Each block is self-contained for
// times (deltas start from its base_ticks) and carries a checksum, so a torn last block (a kill
// during write, a full disk) is detected and everything before it still reads. Definitions
// (functions, call sites, communicators) are written into a file before the first record that
// refers to them, so every file reads on its own, whatever MPI the preload library was built for.
//
// Records (first byte = kind; integers are LEB128 varints, signed ones zigzag-encoded first):
//   0x00-0x7f  Call: the byte is a mask of CallField; then function, start delta (signed, from
//              the previous call's end or the block's base), duration, and the fields present.
//   Completion  request (signed delta from the previous request id of the block), flags
//              (bit 0 receive, bit 1 peer/tag/bytes follow), [peer, tag, bytes]; it belongs to the
//              next Call record (the completing call), at that call's end.
//   FunctionDef index, category, name            (strings: varint length + bytes)
//   SiteDef     index, module path, offset
//   CommDef     local id, name, origin (CommOrigin), sequence, remote size, size, world ranks
//               (each a signed delta from the previous one)
//   Clock       phase (0 start, 1 end), local CLOCK_MONOTONIC ns, offset ns (signed: this rank's
//               clock minus rank 0's), round trip ns
//   CallNs      the CallField mask byte, then as Call but with start as absolute CLOCK_MONOTONIC
//               ns and duration in ns (MPI_Init, whose entry precedes the clock's start, and
//               MPI_Finalize); it does not move the reference of the next Call's start
//   RunInfo     host, program, command, MPI_Init entry as CLOCK_MONOTONIC ns and CLOCK_REALTIME ns
//   Dropped     count of calls not logged (threads that found no buffer within the budget)
//   End         written last at MPI_Finalize: the file is complete
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace commtune::trace::format {

inline constexpr char kSchema[] = "commtune.trace/1";
inline constexpr std::uint32_t kBlockMagic = 0x4b425443u;  // "CTBK" little-endian
inline constexpr char kFileMagicText[8] = {'C', 'T', 'T', 'R', 'A', 'C', 'E', '1'};

enum class ClockSource : std::uint32_t { Tsc = 0, Monotonic = 1 };

// Little-endian, naturally aligned: written and read with memcpy on the machines we support.
struct FileHeader {
  char magic[8];    // kFileMagicText
  char schema[24];  // kSchema, zero-padded
  std::uint32_t rank;
  std::uint32_t thread;
  std::uint32_t world_size;
  std::uint32_t clock_source;  // ClockSource
  std::uint64_t open_ticks;    // clock reading when the file was created ...
  std::uint64_t open_mono_ns;  // ... and CLOCK_MONOTONIC at the same moment
};
static_assert(sizeof(FileHeader) == 64);

struct BlockHeader {
  std::uint32_t magic;          // kBlockMagic
  std::uint32_t payload_bytes;  // records following this header
  std::uint32_t events;         // Call and CallNs records in the payload
  std::uint32_t checksum;       // checksum() of the header (with this field 0) and the payload
  std::uint64_t base_ticks;     // the first Call's start delta is relative to this
  std::uint64_t close_ticks;    // clock reading when the block was closed ...
  std::uint64_t close_mono_ns;  // ... and CLOCK_MONOTONIC then: with FileHeader::open_*, ticks -> ns
  std::uint64_t sequence;       // 0, 1, 2 ... within the file
};
static_assert(sizeof(BlockHeader) == 48);

enum class Kind : std::uint8_t {
  Completion = 0x80,
  FunctionDef = 0x81,
  SiteDef = 0x82,
  CommDef = 0x83,
  Clock = 0x84,
  CallNs = 0x85,
  RunInfo = 0x86,
  Dropped = 0x87,
  End = 0x88,
};

// Which optional fields a Call record carries (its first byte, < 0x80).
enum CallField : std::uint8_t {
  kHasSite = 0x01,
  kHasComm = 0x02,
  kHasPeer = 0x04,
  kHasTag = 0x08,
  kHasSent = 0x10,
  kHasReceived = 0x20,
  kHasRequest = 0x40,
};

// How a communicator definition was obtained; the reader unifies communicators across ranks by
// (origin, members, sequence): creation is collective over the members, so the n-th communicator
// created with a given member list is the same one on every member.
enum class CommOrigin : std::uint8_t {
  World = 0,     // MPI_COMM_WORLD
  Self = 1,      // MPI_COMM_SELF
  Created = 2,   // seen returned by a communicator constructor; sequence counts per member list
  FirstUse = 3,  // first seen as an argument (e.g. MPI_Comm_idup's result); sequence by first use
};

// Largest encoding of one Call or CallNs record: two bytes (kind, mask) and ten 10-byte varints.
inline constexpr std::size_t kMaxCallBytes = 2 + 10 * 10;
inline constexpr std::size_t kMaxCompletionBytes = 1 + 10 + 1 + 3 * 10;

inline constexpr std::uint64_t zigzag(std::int64_t value) noexcept {
  return (std::uint64_t(value) << 1) ^ std::uint64_t(value >> 63);
}
inline constexpr std::int64_t unzigzag(std::uint64_t value) noexcept {
  return std::int64_t(value >> 1) ^ -std::int64_t(value & 1);
}

// Appends `value` at `out`; returns the byte after it. `out` must have 10 bytes.
[[gnu::always_inline]] inline std::uint8_t* put_varint(std::uint8_t* out, std::uint64_t value) noexcept {
  while (value >= 0x80) {
    *out++ = std::uint8_t(value | 0x80);
    value >>= 7;
  }
  *out++ = std::uint8_t(value);
  return out;
}

inline std::uint8_t* put_string(std::uint8_t* out, std::string_view text) noexcept {
  out = put_varint(out, text.size());
  std::memcpy(out, text.data(), text.size());
  return out + text.size();
}

// A bounds-checked cursor over a payload: every read fails (ok() false) rather than reading past
// the end, so a damaged payload can never crash the reader.
class Cursor {
 public:
  Cursor(const std::uint8_t* data, std::size_t size) noexcept : at_(data), end_(data + size) {}
  bool ok() const noexcept { return ok_; }
  bool done() const noexcept { return at_ >= end_; }
  std::uint8_t byte() noexcept {
    if (at_ >= end_) return fail(), 0;
    return *at_++;
  }
  std::uint64_t varint() noexcept {
    std::uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (at_ >= end_) return fail(), 0;
      const std::uint8_t b = *at_++;
      value |= std::uint64_t(b & 0x7f) << shift;
      if (!(b & 0x80)) return value;
    }
    return fail(), 0;
  }
  std::int64_t svarint() noexcept { return unzigzag(varint()); }
  std::string_view string() noexcept {
    const std::uint64_t length = varint();
    if (!ok_ || length > std::uint64_t(end_ - at_)) return fail(), std::string_view{};
    const std::string_view text(reinterpret_cast<const char*>(at_), std::size_t(length));
    at_ += length;
    return text;
  }

 private:
  void fail() noexcept {
    ok_ = false;
    at_ = end_;
  }
  const std::uint8_t* at_;
  const std::uint8_t* end_;
  bool ok_ = true;
};

// A fast checksum (8 bytes a step): detects torn and stale blocks, not malice.
inline std::uint32_t checksum(const BlockHeader& header, const std::uint8_t* payload, std::size_t size) noexcept {
  BlockHeader copy = header;
  copy.checksum = 0;
  std::uint64_t hash = 0x9E3779B97F4A7C15ull ^ size;
  auto mix = [&hash](std::uint64_t word) {
    hash ^= word;
    hash *= 0xff51afd7ed558ccdull;
    hash ^= hash >> 32;
  };
  const auto* head = reinterpret_cast<const std::uint8_t*>(&copy);
  for (std::size_t i = 0; i < sizeof copy; i += 8) {
    std::uint64_t word;
    std::memcpy(&word, head + i, 8);
    mix(word);
  }
  std::size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    std::uint64_t word;
    std::memcpy(&word, payload + i, 8);
    mix(word);
  }
  std::uint64_t tail = 0;
  std::memcpy(&tail, payload + i, size - i);
  mix(tail ^ 0xa5);
  return std::uint32_t(hash ^ (hash >> 29));
}

}  // namespace commtune::trace::format
