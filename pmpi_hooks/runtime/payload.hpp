// Compressibility of send payloads: for one in COMMTUNE_COMPRESS_SAMPLE eligible sends of each
// call site (contiguous data of at least COMMTUNE_COMPRESS_MIN_BYTES), a sample of the buffer is
// compressed with lz4 and zstd level 1 and the sizes and times are added to the site. The
// generated send records call consider() after the timed interval: the compression is overhead
// of ours, not time of the MPI call.
#pragma once

#include <mpi.h>

#include <cstdint>

#include "runtime/sites.hpp"

namespace commtune::pmpi::payload {

// Set once from the settings, before recording begins.
struct Sampling {
  std::uint64_t every = 0;  // 0: off
  std::int64_t min_bytes = 65536;
  std::uint64_t sample_bytes = 32768;  // compressed per sample, gathered from 16 spread pieces
};
extern Sampling g_sampling;

[[gnu::noinline, gnu::cold]] void sample(PayloadSamples& samples, const void* buffer, std::int64_t count,
                                         MPI_Datatype type) noexcept;

// A send of `bytes` (count elements of `type` at `buffer`) at `site`: a counter check, and on
// one send in `every` a sample.
[[gnu::always_inline]] inline void consider(SiteStats& site, const void* buffer, std::int64_t bytes, std::int64_t count,
                                            MPI_Datatype type) noexcept {
  const Sampling& sampling = g_sampling;
  if (sampling.every == 0 || bytes < sampling.min_bytes) return;
  if (site.payload.eligible++ % sampling.every != 0) return;
  sample(site.payload, buffer, count, type);
}

}  // namespace commtune::pmpi::payload
