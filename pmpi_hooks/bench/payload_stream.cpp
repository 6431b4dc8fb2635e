// The cost of compressibility sampling: rank 0 streams MESSAGES sends of BYTES (default 1 MiB) to
// rank 1, which receives them; the time is rank 0's wall time from the first send to rank 1's
// acknowledgement of the last. Run it under the preload library with COMMTUNE_COMPRESS_SAMPLE on
// and off (payload_overhead.py alternates the two).
//   commtune-bench-payload [messages] [bytes] [ids|random|doubles] [sample_bytes]
// Prints one JSON object from rank 0: {"messages", "bytes", "data", "seconds", "codec_cpu_us"}:
// codec_cpu_us is what one sample of sample_bytes (default 32768) of the buffer costs to compress
// with lz4 and zstd-1, in thread CPU time (which a busy machine does not inflate), median of 101.
#include <lz4.h>
#include <mpi.h>
#include <time.h>
#include <zstd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

// ids: runs of one int64 id (compresses > 100x); random: xorshift bytes (does not compress);
// doubles: a smooth field (compresses little, and is the slowest for zstd to try).
void fill(std::vector<std::uint64_t>& words, const char* kind) {
  std::uint64_t state = 0x9E3779B97F4A7C15ull;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (std::strcmp(kind, "ids") == 0) {
      words[i] = 100000 + i / 256;
    } else if (std::strcmp(kind, "random") == 0) {
      state ^= state << 13, state ^= state >> 7, state ^= state << 17;
      words[i] = state;
    } else {
      const double value = std::sin(double(i) * 1e-3) * 1e3;
      std::memcpy(&words[i], &value, sizeof value);
    }
  }
}

double cpu_us() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return double(t.tv_sec) * 1e6 + double(t.tv_nsec) * 1e-3;
}

// One sample as the library takes it: lz4 and zstd-1 (a reused context) on `size` bytes.
double codec_cpu_us(const char* data, std::size_t size) {
  std::vector<char> lz4(static_cast<std::size_t>(LZ4_compressBound(int(size))));
  std::vector<char> zstd(ZSTD_compressBound(size));
  ZSTD_CCtx* context = ZSTD_createCCtx();
  std::vector<double> samples;
  for (int i = 0; i < 101; ++i) {
    const double start = cpu_us();
    LZ4_compress_default(data, lz4.data(), int(size), int(lz4.size()));
    ZSTD_compressCCtx(context, zstd.data(), zstd.size(), data, size, 1);
    samples.push_back(cpu_us() - start);
  }
  ZSTD_freeCCtx(context);
  std::sort(samples.begin(), samples.end());
  return samples[samples.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const int messages = argc > 1 ? std::atoi(argv[1]) : 2000;
  const long bytes = argc > 2 ? std::atol(argv[2]) : 1 << 20;
  const char* data = argc > 3 ? argv[3] : "doubles";
  const long sample_bytes = argc > 4 ? std::atol(argv[4]) : 32768;
  std::vector<std::uint64_t> buffer(std::size_t(bytes) / 8);
  fill(buffer, data);
  const int count = int(buffer.size());
  MPI_Barrier(MPI_COMM_WORLD);
  const double start = MPI_Wtime();
  for (int m = 0; m < messages && size >= 2; ++m) {
    if (rank == 0) MPI_Send(buffer.data(), count, MPI_UINT64_T, 1, 0, MPI_COMM_WORLD);
    if (rank == 1) MPI_Recv(buffer.data(), count, MPI_UINT64_T, 0, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  }
  int ack = 0;
  if (rank == 1) MPI_Send(&ack, 1, MPI_INT, 0, 1, MPI_COMM_WORLD);
  if (rank == 0 && size >= 2) MPI_Recv(&ack, 1, MPI_INT, 1, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  const double seconds = MPI_Wtime() - start;
  if (rank == 0) {
    const double codec =
        codec_cpu_us(reinterpret_cast<const char*>(buffer.data()), std::size_t(std::min(sample_bytes, bytes)));
    std::printf("{\"messages\": %d, \"bytes\": %ld, \"data\": \"%s\", \"seconds\": %.6f, \"codec_cpu_us\": %.2f}\n",
                messages, bytes, data, seconds, codec);
  }
  MPI_Finalize();
  return 0;
}
