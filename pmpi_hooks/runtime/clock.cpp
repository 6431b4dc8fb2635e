#include "runtime/clock.hpp"

#include <cstdio>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace commtune::pmpi::clock {

bool g_use_tsc = false;

namespace {
std::uint64_t g_start_ticks = 0;
std::uint64_t g_start_ns = 0;
}  // namespace

bool tsc_is_reliable() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  bool invariant = false;
  if (__get_cpuid(0x80000007, &eax, &ebx, &ecx, &edx)) invariant = (edx >> 8) & 1;
  // Hypervisors often hide the CPUID bit while the host keeps the counter stable; the kernel's
  // choice of clocksource is then the better witness.
  char current[32] = {};
  if (FILE* f = std::fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "r")) {
    if (!std::fgets(current, sizeof current, f)) current[0] = 0;
    std::fclose(f);
  }
  return invariant || std::strncmp(current, "tsc", 3) == 0;
#else
  return false;
#endif
}

void start(Source source) noexcept {
  g_use_tsc = source == Source::Tsc;
  g_start_ns = monotonic_ns();
  g_start_ticks = now();
}

Source source() noexcept { return g_use_tsc ? Source::Tsc : Source::Monotonic; }

double seconds_per_tick() noexcept {
  if (!g_use_tsc) return 1e-9;
  const std::uint64_t ticks = now() - g_start_ticks;
  const std::uint64_t ns = monotonic_ns() - g_start_ns;
  return ticks == 0 ? 1e-9 : double(ns) * 1e-9 / double(ticks);
}

}  // namespace commtune::pmpi::clock
