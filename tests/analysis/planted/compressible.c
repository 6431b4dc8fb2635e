/* Planted problem: large messages of compressible data. Every step each rank exchanges kBlockBytes
 * of sorted, repetitive int64 ids (runs of one id from a slowly advancing window, as unstructured-
 * mesh codes send them) with its neighbours. On a slow link compressing them pays; on shared memory
 * it does not. The fix (--fixed, --codec lz4|zstd) compresses each block before the exchange and
 * decompresses it after, as commtune::kernels::CompressedChannel does (level: the codec's fastest);
 * the checksum covers the decompressed blocks, the same as the raw ones. */
#include <lz4.h>
#include <zstd.h>

#include "planted.h"

enum { kBlockBytes = 1 << 20, kSteps = 24 };
static const long kUnitsPerStep = 1000000;

static void fill_ids(int64_t* ids, size_t count, int rank, long step) {
  uint64_t state = 0x2f1u + (uint64_t)rank * 101u + (uint64_t)step * 7u;
  int64_t base = 2000000 + 40000 * (int64_t)rank + 1000 * (int64_t)step;
  size_t i = 0;
  while (i < count) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    size_t run = 1 + (size_t)(state >> 60);
    int64_t id = base + (int64_t)((state >> 33) % 512);
    for (size_t k = 0; k < run && i < count; ++k) ids[i++] = id;
    base += (int64_t)((state >> 20) % 3);
  }
}

/* Compressed size in bytes, or -1 when the codec failed. */
static int compress_block(const char* codec, const void* in, int bytes, void* out, int capacity) {
  if (strcmp(codec, "zstd") == 0) {
    size_t n = ZSTD_compress(out, (size_t)capacity, in, (size_t)bytes, 1);
    return ZSTD_isError(n) ? -1 : (int)n;
  }
  int n = LZ4_compress_default(in, out, bytes, capacity);
  return n <= 0 ? -1 : n;
}

static int decompress_block(const char* codec, const void* in, int bytes, void* out, int capacity) {
  if (strcmp(codec, "zstd") == 0) {
    size_t n = ZSTD_decompress(out, (size_t)capacity, in, (size_t)bytes);
    return ZSTD_isError(n) ? -1 : (int)n;
  }
  return LZ4_decompress_safe(in, out, bytes, capacity);
}

int main(int argc, char** argv) {
  const planted_world world = planted_start(&argc, &argv);
  const planted_options options = world.options;
  if (strcmp(options.codec, "lz4") != 0 && strcmp(options.codec, "zstd") != 0) {
    fprintf(stderr, "compressible: --codec %s is unknown: accepted lz4, zstd\n", options.codec);
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  const int rank = world.rank, right = world.right, left = world.left;
  const long steps = planted_scaled(kSteps, &options);
  const int capacity = (int)ZSTD_compressBound(kBlockBytes) > LZ4_compressBound(kBlockBytes)
                           ? (int)ZSTD_compressBound(kBlockBytes)
                           : LZ4_compressBound(kBlockBytes);
  int64_t* out = malloc(kBlockBytes);
  int64_t* in = malloc(kBlockBytes);
  char* packed_out = malloc((size_t)capacity);
  char* packed_in = malloc((size_t)capacity);
  MPI_Barrier(MPI_COMM_WORLD);
  const double started_s = MPI_Wtime();
  uint64_t checksum = 0;
  for (long step = 0; step < steps; ++step) {
    checksum += planted_compute((uint64_t)(rank + step), kUnitsPerStep);
    fill_ids(out, kBlockBytes / sizeof *out, rank, step);
    if (!options.fixed) {
      /* PLANTED: compression (the call below) */
      MPI_Sendrecv(out, kBlockBytes, MPI_BYTE, right, 7, in, kBlockBytes, MPI_BYTE, left, 7, MPI_COMM_WORLD,
                   MPI_STATUS_IGNORE);
    } else {
      int packed = compress_block(options.codec, out, kBlockBytes, packed_out, capacity);
      if (packed < 0) MPI_Abort(MPI_COMM_WORLD, 3);
      MPI_Status status;
      MPI_Sendrecv(packed_out, packed, MPI_BYTE, right, 7, packed_in, capacity, MPI_BYTE, left, 7, MPI_COMM_WORLD,
                   &status);
      int received = 0;
      MPI_Get_count(&status, MPI_BYTE, &received);
      if (decompress_block(options.codec, packed_in, received, in, kBlockBytes) != kBlockBytes)
        MPI_Abort(MPI_COMM_WORLD, 4);
    }
    checksum = planted_hash_words(checksum, (const uint64_t*)in, kBlockBytes / 8);
  }
  free(out);
  free(in);
  free(packed_out);
  free(packed_in);
  planted_finish("compressible", &options, checksum, started_s);
  MPI_Finalize();
  return 0;
}
