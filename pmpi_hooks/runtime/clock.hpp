// The timer of the fast path. Two reads per MPI call must cost as little as possible: the
// time-stamp counter costs ~10 ns a read on this class of machine against ~24 ns for
// clock_gettime, and where the processor says the counter is invariant (constant rate, running in
// every power state, synchronised across cores: the kernel then uses it as its own clocksource),
// its ticks convert to seconds exactly enough once calibrated against CLOCK_MONOTONIC over the whole
// run. Elsewhere, or on request (COMMTUNE_CLOCK=monotonic), ticks are clock_gettime nanoseconds.
#pragma once

#include <time.h>

#include <cstdint>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

namespace commtune::pmpi::clock {

enum class Source { Tsc, Monotonic };

extern bool g_use_tsc;  // set once before recording starts; read-only afterwards

inline std::uint64_t monotonic_ns() noexcept {
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return std::uint64_t(now.tv_sec) * 1000000000u + std::uint64_t(now.tv_nsec);
}

inline std::uint64_t now() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  if (g_use_tsc) return __rdtsc();
#endif
  return monotonic_ns();
}

// True when the time-stamp counter can serve: invariant per CPUID and used by the kernel.
bool tsc_is_reliable() noexcept;

// Chooses the source and marks the start of calibration.
void start(Source requested_or_auto_tsc) noexcept;
Source source() noexcept;

// Seconds per tick, calibrated from start() to now.
double seconds_per_tick() noexcept;

}  // namespace commtune::pmpi::clock
