// Trace mode (COMMTUNE_MODE=trace): every recorded MPI call is also appended, as a compact binary
// record (trace/format.hpp), to its thread's buffer, and the buffer's blocks are written to
// DIR/trace/rank-R.thread-T.ctrace. The buffers come from a per-rank budget
// (COMMTUNE_TRACE_BUDGET); a block is written with one write(2) by the thread that fills it or
// finds it older than COMMTUNE_TRACE_FLUSH, so memory never grows and a stall is one write of a
// block into the page cache (no thread of ours runs beside the application's). Definitions are
// written into each file before their first use; communicators get ids that match across ranks
// (trace/format.hpp, CommOrigin).
#pragma once

#include <mpi.h>

#include <cstdint>
#include <string>

#include "runtime/call_scope.hpp"

namespace commtune::pmpi::trace {

struct Options {
  std::uint64_t budget_bytes = 64ull << 20;
  double flush_seconds = 1.0;
  std::string functions = "all";  // "all" or a comma list of categories (functions.hpp)
  double window_start_s = 0;      // seconds since MPI_Init
  double window_end_s = -1;       // < 0: no end
};

// After MPI_Init (rank, size known, the run directory agreed): opens this rank's trace directory,
// the initialising thread's file, measures the clock offset to rank 0 (collective over `comm`)
// and records MPI_Init. Returns false (with a warning) when tracing cannot start.
bool start(const Options& options, MPI_Comm comm, const char* run_directory, int rank, int size,
           FunctionId init_function, std::uint64_t init_entry_ns, const void* init_caller, const char* host,
           const char* program, const char* command, std::uint64_t init_unix_ns) noexcept;

// Before PMPI_Finalize, collective over `comm`: the end clock offset, the MPI_Finalize record,
// every thread's last block and End record. Tracing stops.
void finish(MPI_Comm comm, std::uint64_t finalize_entry_ticks, const void* caller) noexcept;

// MPI_Abort, fatal signals: every thread's committed records are written (no End record: the
// log reads as incomplete). Safe in a signal handler.
void flush_for_exit() noexcept;

// A communicator returned by a constructor (MPI_Comm_split, MPI_Comm_dup, ...): its members are
// recorded now, in creation order, so that ids match across ranks.
void comm_created(MPI_Comm comm, const char* function) noexcept;

// The id of request tracking for a posted request, repeated by its completion (unique per rank).
std::uint64_t next_request_id() noexcept;

// A request completed in `call` (recorded before the call's own record).
void completion(const CallScope& call, std::uint64_t request, bool receive, int world_peer, int tag,
                std::int64_t bytes) noexcept;

}  // namespace commtune::pmpi::trace
