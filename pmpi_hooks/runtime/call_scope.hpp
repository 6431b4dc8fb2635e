// The fast path every wrapper runs: a re-entry guard and a recording check (one predictable
// branch), two clock reads, a lookup of the call site in this thread's own table (a hash of the
// return address: a hit costs a few ns) and additions to its counters. No lock, no system call;
// memory is allocated only when a thread or a call site is first seen. With COMMTUNE_PAPI, two
// counter reads (counters.hpp) behind one more predictable branch.
#pragma once

#include <atomic>
#include <cstdint>

#include "functions.hpp"
#include "runtime/clock.hpp"
#include "runtime/counters.hpp"
#include "runtime/sites.hpp"

namespace commtune::pmpi {

struct ThreadTrace;  // trace mode's per-thread buffer (runtime/trace.cpp)

struct ThreadContext {
  SiteTable* sites = nullptr;
  ThreadTrace* trace = nullptr;
  std::uint32_t depth = 0;  // > 0 inside a wrapper: MPI calls made by MPI itself are not counted
};

// initial-exec: the library is loaded at start-up (LD_PRELOAD or linked), so its thread-locals sit
// in the static TLS block and cost one %fs-relative access, not a __tls_get_addr call.
extern constinit thread_local ThreadContext t_context __attribute__((tls_model("initial-exec")));

// True between our MPI_Init and MPI_Finalize hooks while recording is on (mode, Pcontrol, fork).
extern std::atomic<bool> g_recording;
// True while trace mode records (COMMTUNE_MODE=trace, between MPI_Init and MPI_Finalize).
extern std::atomic<bool> g_tracing;
// The innermost MPI_Pcontrol region (0: none), process-wide as in IPM.
extern std::atomic<std::uint16_t> g_region;
// COMMTUNE_CALLSITE_DEPTH: return addresses per call site (1 = the caller of the MPI function).
extern int g_callsite_depth;
// Size of MPI_COMM_WORLD once MPI is initialised.
extern int g_world_size;

// Allocates and registers this thread's table (slow path, once per thread).
[[gnu::cold, gnu::noinline]] SiteTable* register_thread() noexcept;
[[gnu::noinline]] SiteStats& find_deep_site(SiteTable& table, FunctionId function, std::uintptr_t caller) noexcept;

// Sends this large or larger may wait for their receiver (rendezvous protocols); smaller ones
// are buffered and count as late receivers only when synchronous.
inline constexpr std::int64_t kRendezvousBytes = 65536;

class CallScope;
namespace trace {
// Appends the call's record to its thread's trace (runtime/trace.cpp).
void record_call(const CallScope& call) noexcept;
// Communicator, peer and tag of the call, translated for the trace (world ranks, trace ids).
void set_args(CallScope& call, MPI_Comm comm, int peer, int tag, const MPI_Status* status) noexcept;
}  // namespace trace

// What a trace record carries beyond function, times and site; filled only in trace mode, except
// the byte counts, which cost an addition.
struct TraceFields {
  std::uint8_t mask = 0;   // trace/format.hpp CallField bits of comm, peer, tag and request
  std::uint32_t comm = 0;  // trace id of the communicator
  MPI_Comm comm_handle;    // set with comm
  int peer = -1;
  int tag = -1;
  std::uint64_t request = 0;
  std::uint64_t sent_bytes = 0;
  std::uint64_t received_bytes = 0;
};

class CallScope {
 public:
  // Inlined into every wrapper: an out-of-line call here costs a few ns per MPI call. `caller` is
  // the wrapper's own return address (__builtin_return_address(0) in the wrapper).
  [[gnu::always_inline]] CallScope(FunctionId id, const void* caller) noexcept
      : caller_(reinterpret_cast<std::uintptr_t>(caller)), id_(id) {
    ThreadContext& context = t_context;
    if (context.depth++ != 0 || !g_recording.load(std::memory_order_relaxed)) return;
    table_ = context.sites ? context.sites : register_thread();
    if (counters::g_counting) [[unlikely]]
      counters::phase_end();  // before the clock: not MPI time
    start_ = clock::now();
  }
  // The next application phase starts after our own work for this call (the record, the trace
  // event, payload samples), so that none of it counts as the application's.
  [[gnu::always_inline]] ~CallScope() {
    --t_context.depth;
    if (table_ && g_tracing.load(std::memory_order_relaxed)) [[unlikely]]
      trace::record_call(*this);
    if (counters::g_counting && table_) [[unlikely]]
      counters::phase_start();
  }
  CallScope(const CallScope&) = delete;
  CallScope& operator=(const CallScope&) = delete;

  // Ends the timed interval; called as soon as the PMPI call returns.
  [[gnu::always_inline]] void stop() noexcept {
    if (!table_) return;
    end_ = clock::now();
    const std::uint64_t elapsed = end_ - start_;
    site_ = g_callsite_depth == 1 ? &table_->find(id_, caller_, g_region.load(std::memory_order_relaxed))
                                  : &find_deep_site(*table_, id_, caller_);
    SiteStats& site = *site_;
    if (counters::g_counting) [[unlikely]]
      counters::attribute(site);
    site.calls += 1;
    site.ticks += elapsed;
    site.min_ticks = elapsed < site.min_ticks ? elapsed : site.min_ticks;
    site.max_ticks = elapsed > site.max_ticks ? elapsed : site.max_ticks;
  }
  // Restarts the timed interval (after a probe that is ours, not the application's).
  void restart() noexcept {
    if (table_) start_ = clock::now();
  }
  bool recording() const noexcept { return table_ != nullptr; }
  bool tracing() const noexcept { return table_ && g_tracing.load(std::memory_order_relaxed); }
  void trace_args(MPI_Comm comm, int peer, int tag, const MPI_Status* status) noexcept {
    trace::set_args(*this, comm, peer, tag, status);
  }
  FunctionId function() const noexcept { return id_; }
  std::uint64_t start_ticks() const noexcept { return start_; }
  const SiteStats* site_if_any() const noexcept { return site_; }
  TraceFields trace_fields;
  SiteTable& table() const noexcept { return *table_; }
  SiteStats& site() const noexcept { return *site_; }
  std::uint64_t end_ticks() const noexcept { return end_; }
  std::uint64_t elapsed() const noexcept { return end_ - start_; }

  void add_sent(std::int64_t bytes) noexcept {
    count_sent(*site_, bytes);
    trace_fields.sent_bytes += std::uint64_t(bytes);
  }
  void add_received(std::int64_t bytes) noexcept {
    count_received(*site_, bytes);
    trace_fields.received_bytes += std::uint64_t(bytes);
  }
  // A point-to-point message to `world_peer` (-1: none, e.g. MPI_PROC_NULL).
  void add_message(int world_peer, std::int64_t bytes) noexcept {
    count_sent(*site_, bytes);
    trace_fields.sent_bytes += std::uint64_t(bytes);
    table_->count_message(world_peer, bytes);
  }
  // A blocking send: large and synchronous sends may have waited for their receiver.
  void note_send_wait(std::int64_t bytes, bool synchronous) noexcept {
    if (bytes >= kRendezvousBytes || synchronous) note_wait(bytes);
  }
  // A blocking receive: `arrived` says whether its message was there when the call began.
  void note_receive_wait(bool arrived, std::int64_t bytes) noexcept {
    if (!arrived) return note_wait(bytes);
    std::uint64_t& floor = table_->floor_ticks[size_bin(bytes)];
    if (elapsed() < floor) floor = elapsed();
  }
  void note_wait(std::int64_t bytes) noexcept {
    site_->wait_calls += 1;
    site_->wait_ticks += elapsed();
    site_->wait_bytes += std::uint64_t(bytes);
  }
  void note_comm_size(int size) noexcept {
    if (std::uint32_t(size) > site_->comm_size) site_->comm_size = std::uint32_t(size);
  }

  static void count_sent(SiteStats& site, std::int64_t bytes) noexcept {
    site.bytes_sent += std::uint64_t(bytes);
    site.sent_sizes[size_bin(bytes)] += 1;
  }
  static void count_received(SiteStats& site, std::int64_t bytes) noexcept {
    site.bytes_received += std::uint64_t(bytes);
    site.received_sizes[size_bin(bytes)] += 1;
  }

 private:
  SiteTable* table_ = nullptr;
  SiteStats* site_ = nullptr;
  std::uint64_t start_ = 0;
  std::uint64_t end_ = 0;
  std::uintptr_t caller_;
  FunctionId id_;
};

}  // namespace commtune::pmpi
