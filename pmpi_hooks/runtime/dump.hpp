// This rank's record as a rank dump (schema commtune.rank/1, docs/profile.md): JSON with integers
// and strings only, written without allocation or locks so that a signal handler can write it.
// At MPI_Finalize the dumps are gathered to rank 0 and merged into profile.json by the report
// library; after MPI_Abort, a fatal signal or a SIGUSR1 snapshot each rank writes its own to
// DIR/ranks/rank-NNNNN.json, for `commtune run` or `commtune report DIR` to merge.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "functions.hpp"
#include "runtime/sites.hpp"

namespace commtune::pmpi::dump {

// What the dump says about the run besides the counters; set once, after MPI_Init.
struct RunIdentity {
  int rank = 0;
  int size = 1;
  int pid = 0;
  int callsite_depth = 1;
  FunctionId init_function{};
  std::uint64_t init_entry_ns = 0;     // CLOCK_MONOTONIC at MPI_Init entry
  std::uint64_t init_duration_ns = 0;  // spent inside PMPI_Init
  std::uint64_t start_unix_ns = 0;     // CLOCK_REALTIME at MPI_Init entry
  modules::Location init_site;         // where MPI_Init and MPI_Finalize were called from
  modules::Location finalize_site;
  char host[256] = {};
  char program[256] = {};
  char command[4096] = {};
  char mpi_library[256] = {};
  char directory[4096] = {};  // the output directory
};

RunIdentity& identity() noexcept;

// Where the dump text goes: a file descriptor (signal-safe) or memory (the normal path).
class Sink {
 public:
  virtual void write(const char* data, std::size_t size) noexcept = 0;

 protected:
  ~Sink() = default;
};

class MemorySink final : public Sink {
 public:
  void write(const char* data, std::size_t size) noexcept override { text.insert(text.end(), data, data + size); }
  std::vector<char> text;
};

// Writes the dump; `reason` is "finalize", "abort", "snapshot" or a signal's name.
void write(Sink& sink, const char* reason) noexcept;

// Writes DIR/ranks/rank-NNNNN.json through a temporary file and a rename; async-signal-safe.
// Returns false when the file could not be written.
bool write_rank_file(const char* reason) noexcept;
// Removes this rank's file, if any (the complete profile supersedes it).
void remove_rank_file() noexcept;

}  // namespace commtune::pmpi::dump
