// The fast path every wrapper runs: a re-entry guard and a recording check (one predictable
// branch), two clock reads, and additions to this thread's own counters. No lock, no allocation,
// no system call: a thread's counters are allocated once, at its first recorded call.
#pragma once

#include <atomic>
#include <cstdint>

#include "functions.hpp"
#include "runtime/clock.hpp"

namespace commtune::pmpi {

struct FunctionStats {
  std::uint64_t calls = 0;
  std::uint64_t ticks = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t bytes_received = 0;
};

struct ThreadStats {
  FunctionStats functions[kFunctionCount];
};

struct ThreadContext {
  ThreadStats* stats = nullptr;
  std::uint32_t depth = 0;  // > 0 inside a wrapper: MPI calls made by MPI itself are not counted
};

// initial-exec: the library is loaded at start-up (LD_PRELOAD or linked), so its thread-locals sit
// in the static TLS block and cost one %fs-relative access, not a __tls_get_addr call.
extern constinit thread_local ThreadContext t_context __attribute__((tls_model("initial-exec")));

// True between our MPI_Init and MPI_Finalize hooks while recording is on (mode, Pcontrol, fork).
extern std::atomic<bool> g_recording;

// Allocates and registers this thread's counters (slow path, once per thread).
[[gnu::cold, gnu::noinline]] ThreadStats* register_thread() noexcept;

class CallScope {
 public:
  // Inlined into every wrapper: an out-of-line call here costs a few ns per MPI call.
  [[gnu::always_inline]] explicit CallScope(FunctionId id) noexcept : id_(id) {
    ThreadContext& context = t_context;
    if (context.depth++ != 0 || !g_recording.load(std::memory_order_relaxed)) return;
    stats_ = context.stats ? context.stats : register_thread();
    start_ = clock::now();
  }
  [[gnu::always_inline]] ~CallScope() { --t_context.depth; }
  CallScope(const CallScope&) = delete;
  CallScope& operator=(const CallScope&) = delete;

  // Ends the timed interval; called as soon as the PMPI call returns.
  [[gnu::always_inline]] void stop() noexcept {
    if (!stats_) return;
    FunctionStats& stats = stats_->functions[index()];
    stats.ticks += clock::now() - start_;
    stats.calls += 1;
  }
  bool recording() const noexcept { return stats_ != nullptr; }
  FunctionId id() const noexcept { return id_; }
  void add_sent(std::int64_t bytes) noexcept { stats_->functions[index()].bytes_sent += std::uint64_t(bytes); }
  void add_received(std::int64_t bytes) noexcept {
    stats_->functions[index()].bytes_received += std::uint64_t(bytes);
  }
  // Received bytes that belong to another function (a receive completed by MPI_Wait* belongs to
  // the MPI_Irecv that posted it).
  void add_received_to(FunctionId owner, std::int64_t bytes) noexcept {
    stats_->functions[std::size_t(owner)].bytes_received += std::uint64_t(bytes);
  }
  void add_sent_to(FunctionId owner, std::int64_t bytes) noexcept {
    stats_->functions[std::size_t(owner)].bytes_sent += std::uint64_t(bytes);
  }

 private:
  std::size_t index() const noexcept { return std::size_t(id_); }
  ThreadStats* stats_ = nullptr;
  std::uint64_t start_ = 0;
  FunctionId id_;
};

}  // namespace commtune::pmpi
