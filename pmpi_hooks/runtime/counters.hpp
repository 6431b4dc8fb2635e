// COMMTUNE_PAPI: hardware or software counters over each call site's application phase, the
// computation between the previous MPI call's exit and this call's entry in the same thread. The
// wrappers read the counters at entry (the phase ends) and at exit (the next begins) only when
// counting is on, behind one predictable branch; each thread gets its own PAPI event set at its
// first MPI call. PAPI itself lives in libcommtune_papi.so, loaded only when COMMTUNE_PAPI is set.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/sites.hpp"

namespace commtune::pmpi::counters {

// True once start() chose at least one event; set before recording begins, never changed after.
extern bool g_counting;

// Chooses and starts the events named in `requested` (COMMTUNE_PAPI) on the calling thread (the
// one that initialised MPI). Unknown names go to `warnings`; events that stand in for others, and
// why, to `notes`. Never fails: at worst it counts software events.
void start(const std::string& requested, std::vector<std::string>& warnings, std::vector<std::string>& notes) noexcept;

// At a recorded call's entry: reads the counters (the application phase ends here).
[[gnu::noinline]] void phase_end() noexcept;
// Once the call's site is known: adds the phase that ended at entry to it.
[[gnu::noinline]] void attribute(SiteStats& site) noexcept;
// At a recorded call's exit, after our own bookkeeping: the next phase starts.
[[gnu::noinline]] void phase_start() noexcept;

// For the rank dump; fixed storage, readable from a signal handler.
int requested_count() noexcept;
const char* requested(int i) noexcept;
int measured_count() noexcept;  // 0 when counting is off
const char* measured(int i) noexcept;
int note_count() noexcept;
const char* note(int i) noexcept;
bool fallback() noexcept;  // software events stand in for requested ones

}  // namespace commtune::pmpi::counters
