#include "runtime/payload.hpp"

#include <lz4.h>
#include <zstd.h>

#include <cstdlib>
#include <cstring>

#include "runtime/clock.hpp"

namespace commtune::pmpi::payload {

Sampling g_sampling;

namespace {

// Pieces a sample is gathered from: spread over the buffer, so that a header or a zeroed tail
// does not stand for the whole message.
constexpr std::uint64_t kPieces = 16;

// Per thread, allocated at its first sample and kept: nothing is allocated per sample.
struct Scratch {
  char* gathered = nullptr;  // sample_bytes
  char* lz4_out = nullptr;
  int lz4_capacity = 0;
  char* zstd_out = nullptr;
  std::size_t zstd_capacity = 0;
  ZSTD_CCtx* zstd = nullptr;
  bool failed = false;  // allocation failed: this thread samples nothing
};
constinit thread_local Scratch* t_scratch __attribute__((tls_model("initial-exec"))) = nullptr;

Scratch* scratch() noexcept {
  if (t_scratch) return t_scratch->failed ? nullptr : t_scratch;
  auto* s = static_cast<Scratch*>(std::calloc(1, sizeof(Scratch)));
  if (!s) return nullptr;
  const std::size_t size = g_sampling.sample_bytes;
  s->lz4_capacity = LZ4_compressBound(int(size));
  s->zstd_capacity = ZSTD_compressBound(size);
  s->gathered = static_cast<char*>(std::malloc(size));
  s->lz4_out = static_cast<char*>(std::malloc(std::size_t(s->lz4_capacity)));
  s->zstd_out = static_cast<char*>(std::malloc(s->zstd_capacity));
  s->zstd = ZSTD_createCCtx();
  s->failed = !s->gathered || !s->lz4_out || !s->zstd_out || !s->zstd;
  if (!s->failed) {
    // zstd sizes its tables at a context's first use: do that now, so that no sample's time holds it.
    std::memset(s->gathered, 0, size);
    ZSTD_compressCCtx(s->zstd, s->zstd_out, s->zstd_capacity, s->gathered, size, 1);
  }
  t_scratch = s;
  return s->failed ? nullptr : s;
}

// The bytes of `count` elements of `type` as one contiguous run, or nullptr when the type has
// holes or gaps between elements (those are skipped: the sample would not be what is sent).
const char* contiguous(const void* buffer, std::int64_t count, MPI_Datatype type, std::uint64_t& bytes) noexcept {
  int size = 0;
  MPI_Aint lb = 0, extent = 0, true_lb = 0, true_extent = 0;
  if (PMPI_Type_size(type, &size) != MPI_SUCCESS || size <= 0) return nullptr;
  if (PMPI_Type_get_extent(type, &lb, &extent) != MPI_SUCCESS) return nullptr;
  if (PMPI_Type_get_true_extent(type, &true_lb, &true_extent) != MPI_SUCCESS) return nullptr;
  if (true_extent != size || (count > 1 && extent != size)) return nullptr;
  bytes = std::uint64_t(count) * std::uint64_t(size);
  return static_cast<const char*>(buffer) + true_lb;
}

}  // namespace

void sample(PayloadSamples& samples, const void* buffer, std::int64_t count, MPI_Datatype type) noexcept {
  std::uint64_t bytes = 0;
  const char* data = contiguous(buffer, count, type, bytes);
  if (!data || bytes == 0) return;
  Scratch* s = scratch();
  if (!s) return;
  const char* source = data;
  std::uint64_t size = bytes;
  if (bytes > g_sampling.sample_bytes) {
    const std::uint64_t piece = g_sampling.sample_bytes / kPieces;
    const std::uint64_t stride = (bytes - piece) / (kPieces - 1);
    for (std::uint64_t i = 0; i < kPieces; ++i) std::memcpy(s->gathered + i * piece, data + i * stride, piece);
    source = s->gathered;
    size = piece * kPieces;
  }
  const std::uint64_t t0 = clock::now();
  const int lz4 = LZ4_compress_default(source, s->lz4_out, int(size), s->lz4_capacity);
  const std::uint64_t t1 = clock::now();
  const std::size_t zstd = ZSTD_compressCCtx(s->zstd, s->zstd_out, s->zstd_capacity, source, size, 1);
  const std::uint64_t t2 = clock::now();
  samples.samples += 1;
  samples.sampled_bytes += size;
  // A codec that fails would have sent the data as it is.
  samples.lz4_bytes += lz4 > 0 ? std::uint64_t(lz4) : size;
  samples.zstd_bytes += ZSTD_isError(zstd) ? size : std::uint64_t(zstd);
  samples.lz4_ticks += t1 - t0;
  samples.zstd_ticks += t2 - t1;
}

}  // namespace commtune::pmpi::payload
