// Per-call-site records: what the fast path adds to. A call site is the MPI function, the
// Pcontrol region it ran in, and the return address(es) of the call; each thread owns a table of
// them, so the fast path takes no lock and shares no cache line. Addresses are resolved to
// module + offset once, when a site is first seen, and to file:line only in the report.
#pragma once

#include <mpi.h>

#include <atomic>
#include <bit>
#include <cstdint>

#include "commtune/pmpi/size_bins.hpp"
#include "functions.hpp"

namespace commtune::pmpi {

inline constexpr int kMaxCallsiteDepth = 8;
// COMMTUNE_PAPI: events counted per call site (runtime/counters.hpp).
inline constexpr int kMaxCounterEvents = 4;

struct SiteKey {
  FunctionId function{};
  std::uint16_t region = 0;
  std::uintptr_t frames[kMaxCallsiteDepth] = {};  // return addresses, innermost first; zero-padded

  bool operator==(const SiteKey&) const = default;
};

// Compressibility samples of a call site's send payloads (runtime/payload.hpp).
struct PayloadSamples {
  std::uint64_t eligible = 0;  // contiguous-size-eligible sends seen: the sampling counter
  std::uint64_t samples = 0;
  std::uint64_t sampled_bytes = 0;
  std::uint64_t lz4_bytes = 0;   // compressed sizes of the samples
  std::uint64_t zstd_bytes = 0;  // zstd level 1
  std::uint64_t lz4_ticks = 0;   // time spent compressing them
  std::uint64_t zstd_ticks = 0;
};

// What every call touches (the counters, then the start of the key the lookup compares) shares
// one cache line.
struct alignas(64) SiteStats {
  std::uint64_t calls = 0;
  std::uint64_t ticks = 0;
  std::uint64_t min_ticks = ~std::uint64_t(0);
  std::uint64_t max_ticks = 0;
  SiteKey key;
  // Where each frame lies: index into the module registry and offset from the module's load
  // bias, filled in when the site is created (the signal-time dump cannot call the loader).
  std::uint16_t modules[kMaxCallsiteDepth] = {};
  std::uint64_t offsets[kMaxCallsiteDepth] = {};
  std::uint8_t depth = 0;  // frames known

  std::uint64_t bytes_sent = 0;
  std::uint64_t bytes_received = 0;
  // Blocked instances (late sender: the message had not arrived at entry; late receiver: large
  // or synchronous sends).
  std::uint64_t wait_calls = 0;
  std::uint64_t wait_ticks = 0;
  std::uint64_t wait_bytes = 0;
  // Requests this site posted, followed to completion.
  std::uint64_t requests = 0;
  std::uint64_t request_life_ticks = 0;
  std::uint64_t request_inside_ticks = 0;
  std::uint32_t comm_size = 0;
  std::uint32_t trace_site = 0;  // trace mode: this site's index + 1 in its thread's log (0: not yet defined)
  std::uint64_t sent_sizes[kSizeBins] = {};
  std::uint64_t received_sizes[kSizeBins] = {};
  // COMMTUNE_PAPI: the counters' increments over the application phases that ended at this site
  // (from the previous MPI call's exit to this call's entry), in the order counters::measured().
  std::uint64_t counters[kMaxCounterEvents] = {};
  PayloadSamples payload;
};

struct PeerTraffic {
  std::uint64_t messages = 0;
  std::uint64_t bytes = 0;
};

// One thread's records. Open addressing over pointers; records are allocated once and never move,
// so a request can point at the site that posted it.
class SiteTable {
 public:
  static constexpr std::size_t kSlots = 8192;
  static constexpr std::size_t kMaxSites = 6144;  // beyond this, calls fold into one site per function

  explicit SiteTable(int world_size);

  // The record for a depth-1 site; the hit is inlined, a miss creates the record.
  [[gnu::always_inline]] SiteStats& find(FunctionId function, std::uintptr_t caller, std::uint16_t region) noexcept {
    std::size_t index = hash(function, caller, region);
    for (;;) {
      SiteStats* site = slots_[index];
      if (!site) break;
      if (site->key.frames[0] == caller && site->key.function == function && site->key.region == region &&
          site->key.frames[1] == 0) {
        return *site;
      }
      index = (index + 1) & (kSlots - 1);
    }
    return add(function, caller, region);
  }
  // Any key (deeper call paths, completions attributed to the posting site).
  SiteStats& find_or_add(const SiteKey& key) noexcept;
  // The miss of find(), out of line so that the hit stays small.
  [[gnu::noinline, gnu::cold]] SiteStats& add(FunctionId function, std::uintptr_t caller,
                                              std::uint16_t region) noexcept;

  // The sites in creation order; safe to read from a signal handler (count published last).
  std::uint32_t size() const noexcept { return count_.load(std::memory_order_acquire); }
  const SiteStats& site(std::uint32_t i) const noexcept { return *list_[i]; }

  // A point-to-point message to `world_peer` (-1: none, e.g. MPI_PROC_NULL), for the matrix.
  void count_message(int world_peer, std::int64_t bytes) noexcept {
    if (world_peer < 0 || world_peer >= world_size_) return;
    peers_[world_peer].messages += 1;
    peers_[world_peer].bytes += std::uint64_t(bytes);
  }
  const PeerTraffic* peers() const noexcept { return peers_; }
  int world_size() const noexcept { return world_size_; }

  // The fastest receive whose message had already arrived, per size bin: the cost of a receive
  // without waiting, which the late-sender estimate subtracts.
  std::uint64_t floor_ticks[kSizeBins];

 private:
  static std::size_t hash(FunctionId function, std::uintptr_t caller, std::uint16_t region) noexcept {
    const std::uint64_t mixed =
        (std::uint64_t(caller) ^ (std::uint64_t(function) << 48) ^ (std::uint64_t(region) << 32)) *
        0x9E3779B97F4A7C15ull;
    return std::size_t(mixed >> (64 - 13));
  }
  static std::size_t hash(const SiteKey& key) noexcept;

  SiteStats* slots_[kSlots] = {};
  SiteStats* list_[kSlots] = {};
  std::atomic<std::uint32_t> count_{0};
  PeerTraffic* peers_ = nullptr;
  int world_size_ = 0;
};
static_assert(SiteTable::kSlots == 1u << 13);

// The loaded modules that call sites lie in, registered as sites are created.
namespace modules {
struct Location {
  std::uint16_t module = 0;
  std::uint64_t offset = 0;
};
// Module and offset of `address` (a return address); module 0 is "unknown" when none holds it.
Location locate(std::uintptr_t address) noexcept;
std::uint32_t count() noexcept;
const char* path(std::uint32_t module) noexcept;
}  // namespace modules

// Every thread's table, for the dumps; readable from a signal handler.
namespace tables {
void add(SiteTable* table) noexcept;
std::uint32_t count() noexcept;
const SiteTable& at(std::uint32_t i) noexcept;
}  // namespace tables

// MPI_Pcontrol region names; region 0 is "" (outside any region).
namespace regions {
std::uint16_t intern(const char* name) noexcept;
std::uint32_t count() noexcept;
const char* name(std::uint32_t region) noexcept;
}  // namespace regions

// The call path above our wrapper, for COMMTUNE_CALLSITE_DEPTH > 1: frames[0] = caller.
void capture_frames(SiteKey& key, std::uintptr_t caller, int depth) noexcept;

}  // namespace commtune::pmpi
