// Measurement helpers shared by every kernel: timed iterations (max over ranks), summary
// statistics, and a deterministic 64-bit checksum of delivered data combined across ranks.
//
// Typical use inside Kernel::run():
//
//   KernelResult result;
//   result.iteration_times_s = time_iterations(comm, options, [&] { exchange_once(); });
//   Checksum local;
//   local.add(received.data(), received.size() * sizeof(double));
//   result.checksum = combine_checksums(local.value(), comm);
#pragma once

#include <mpi.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "commtune/kernels/kernel.hpp"

namespace commtune::kernels {

// Runs `body` options.warmup times untimed, then options.iterations times timed. Every iteration
// starts after an MPI_Barrier so ranks begin together; its time is the slowest rank's duration of
// `body` (MPI_Wtime), i.e. the max over ranks, which is what a bulk-synchronous program waits for.
// Collective over `comm`; every rank gets the same vector. The barrier is not inside the time.
std::vector<double> time_iterations(MPI_Comm comm, const RunOptions& options, const std::function<void()>& body);

// Several bodies measured in alternation: each timed round runs every body once (barrier before
// each, order rotated from round to round), after options.warmup untimed rounds. Returns one vector
// of options.iterations times per body, max over ranks. Use it when the result is a ratio of the
// bodies' times (e.g. overlap = f(comm alone, compute alone, both)): on a shared machine, bursts of
// background load then hit all of them alike instead of one phase measured at a bad moment.
std::vector<std::vector<double>> time_interleaved(MPI_Comm comm, const RunOptions& options,
                                                  const std::vector<std::function<void()>>& bodies);

// Element-wise max over ranks of per-rank local times (one MPI_Allreduce). Collective.
std::vector<double> max_over_ranks(const std::vector<double>& local_times_s, MPI_Comm comm);

struct Summary {
  double min = 0;
  double median = 0;
  double mean = 0;
  double stddev = 0;  // sample standard deviation (n - 1); 0 for fewer than two samples
};
Summary summarize(const std::vector<double>& samples);  // all zero when empty

// 64-bit FNV-1a over bytes: cheap, deterministic and byte-order independent of the data's type.
// Not cryptographic; it only has to detect a variant that delivered different data.
class Checksum {
 public:
  static constexpr std::uint64_t kOffsetBasis = 0xcbf29ce484222325ULL;
  Checksum& add(const void* data, std::size_t bytes);
  Checksum& add_u64(std::uint64_t value);  // the 8 bytes of `value`, little-endian
  std::uint64_t value() const { return state_; }

 private:
  std::uint64_t state_ = kOffsetBasis;
};

// Combines each rank's local digest into one: gathers the digests and hashes them in rank order,
// so the result depends on which rank holds which data but not on timing. Collective; every rank
// returns the same 16-hex-digit string.
std::string combine_checksums(std::uint64_t local_digest, MPI_Comm comm);

std::string to_hex(std::uint64_t value);  // 16 lowercase hex digits

// Fills `bytes` bytes with a reproducible pseudo-random pattern derived from `seed` (splitmix64),
// so senders can produce data that receivers and checksums can predict.
void fill_pattern(void* data, std::size_t bytes, std::uint64_t seed);

}  // namespace commtune::kernels
