#include "commtune/kernels/measure.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

namespace commtune::kernels {

std::vector<double> max_over_ranks(const std::vector<double>& local_times_s, MPI_Comm comm) {
  std::vector<double> result(local_times_s.size());
  if (!local_times_s.empty()) {
    MPI_Allreduce(local_times_s.data(), result.data(), static_cast<int>(local_times_s.size()), MPI_DOUBLE, MPI_MAX,
                  comm);
  }
  return result;
}

std::vector<double> time_iterations(MPI_Comm comm, const RunOptions& options, const std::function<void()>& body) {
  for (int i = 0; i < options.warmup; ++i) {
    MPI_Barrier(comm);
    body();
  }
  std::vector<double> local_s;
  local_s.reserve(static_cast<std::size_t>(std::max(options.iterations, 0)));
  for (int i = 0; i < options.iterations; ++i) {
    MPI_Barrier(comm);
    const double start_s = MPI_Wtime();
    body();
    local_s.push_back(MPI_Wtime() - start_s);
  }
  // One reduction at the end keeps extra synchronisation out of the timed loop.
  return max_over_ranks(local_s, comm);
}

std::vector<std::vector<double>> time_interleaved(MPI_Comm comm, const RunOptions& options,
                                                  const std::vector<std::function<void()>>& bodies) {
  const std::size_t n = bodies.size();
  const int rounds = std::max(options.iterations, 0);
  std::vector<std::vector<double>> local_s(n);
  for (auto& times : local_s) times.reserve(static_cast<std::size_t>(rounds));
  for (int round = -options.warmup; round < rounds; ++round) {
    for (std::size_t k = 0; k < n; ++k) {
      const std::size_t body = (k + static_cast<std::size_t>(round + options.warmup)) % n;
      MPI_Barrier(comm);
      const double start_s = MPI_Wtime();
      bodies[body]();
      const double elapsed_s = MPI_Wtime() - start_s;
      if (round >= 0) local_s[body].push_back(elapsed_s);
    }
  }
  std::vector<std::vector<double>> result;
  for (const auto& times : local_s) result.push_back(max_over_ranks(times, comm));
  return result;
}

Summary summarize(const std::vector<double>& samples) {
  Summary summary;
  if (samples.empty()) return summary;
  std::vector<double> sorted = samples;
  std::sort(sorted.begin(), sorted.end());
  const std::size_t n = sorted.size();
  summary.min = sorted.front();
  summary.median = n % 2 == 1 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
  summary.mean = std::accumulate(sorted.begin(), sorted.end(), 0.0) / double(n);
  if (n > 1) {
    double squares = 0;
    for (double x : sorted) squares += (x - summary.mean) * (x - summary.mean);
    summary.stddev = std::sqrt(squares / double(n - 1));
  }
  return summary;
}

Checksum& Checksum::add(const void* data, std::size_t bytes) {
  constexpr std::uint64_t kPrime = 0x100000001b3ULL;
  const auto* p = static_cast<const unsigned char*>(data);
  std::uint64_t state = state_;
  for (std::size_t i = 0; i < bytes; ++i) {
    state ^= p[i];
    state *= kPrime;
  }
  state_ = state;
  return *this;
}

Checksum& Checksum::add_u64(std::uint64_t value) {
  unsigned char bytes[8];
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<unsigned char>(value >> (8 * i));
  return add(bytes, sizeof bytes);
}

std::string to_hex(std::uint64_t value) { return fmt::format("{:016x}", value); }

std::string combine_checksums(std::uint64_t local_digest, MPI_Comm comm) {
  int ranks = 0;
  MPI_Comm_size(comm, &ranks);
  std::vector<std::uint64_t> digests(static_cast<std::size_t>(ranks));
  MPI_Allgather(&local_digest, 1, MPI_UINT64_T, digests.data(), 1, MPI_UINT64_T, comm);
  Checksum combined;
  for (std::uint64_t digest : digests) combined.add_u64(digest);
  return to_hex(combined.value());
}

void fill_pattern(void* data, std::size_t bytes, std::uint64_t seed) {
  auto* out = static_cast<unsigned char*>(data);
  std::uint64_t state = seed;
  std::size_t i = 0;
  while (i < bytes) {
    // splitmix64: a full-period generator whose outputs are well mixed even for adjacent seeds.
    state += 0x9e3779b97f4a7c15ULL;
    std::uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    const std::size_t n = std::min<std::size_t>(8, bytes - i);
    for (std::size_t k = 0; k < n; ++k) out[i + k] = static_cast<unsigned char>(z >> (8 * k));
    i += n;
  }
}

}  // namespace commtune::kernels
