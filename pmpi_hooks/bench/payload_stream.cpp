// The cost of compressibility sampling: rank 0 streams MESSAGES sends of BYTES (default 1 MiB) to
// rank 1, which receives them; the time is rank 0's wall time from the first send to rank 1's
// acknowledgement of the last. Run it under the preload library with COMMTUNE_COMPRESS_SAMPLE on
// and off (payload_overhead.py alternates the two).
//   commtune-bench-payload [messages] [bytes] [ids|random|doubles]
// Prints one JSON object from rank 0: {"messages", "bytes", "data", "seconds"}.
#include <mpi.h>

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

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const int messages = argc > 1 ? std::atoi(argv[1]) : 2000;
  const long bytes = argc > 2 ? std::atol(argv[2]) : 1 << 20;
  const char* data = argc > 3 ? argv[3] : "doubles";
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
  if (rank == 0)
    std::printf("{\"messages\": %d, \"bytes\": %ld, \"data\": \"%s\", \"seconds\": %.6f}\n", messages, bytes, data,
                seconds);
  MPI_Finalize();
  return 0;
}
