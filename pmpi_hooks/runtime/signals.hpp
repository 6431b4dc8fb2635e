// Crash safety: on SIGTERM, SIGINT, SIGSEGV, SIGBUS or SIGABRT each rank writes its partial
// record (dump::write_rank_file) and then lets the signal take its course, so the program ends
// exactly as it would have; SIGUSR1 writes a snapshot and the program carries on. The handlers are
// installed after MPI_Init, so they run before MPI's own (Open MPI prints a stack trace on
// SIGSEGV), which they then call.
#pragma once

namespace commtune::pmpi::signals {

void install() noexcept;

// Marks this rank's final record as written (MPI_Abort did): a later signal only passes through.
// Returns false if it already was.
bool claim_final_record() noexcept;

}  // namespace commtune::pmpi::signals
