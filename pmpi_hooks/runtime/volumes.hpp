// Bytes described by an MPI call's arguments, for the generated wrappers (templates in
// generator/mpiwrap.py say which helper each function uses).
#pragma once

#include <mpi.h>

#include <cstdint>

namespace commtune::pmpi {

inline std::int64_t type_bytes(std::int64_t count, MPI_Datatype type) noexcept {
  if (count <= 0 || type == MPI_DATATYPE_NULL) return 0;
  int size = 0;
  PMPI_Type_size(type, &size);
  return count * std::int64_t(size);
}

// A point-to-point message's bytes; none travel to or from MPI_PROC_NULL.
inline std::int64_t peer_bytes(int peer, std::int64_t count, MPI_Datatype type) noexcept {
  return peer == MPI_PROC_NULL ? 0 : type_bytes(count, type);
}

template <class Count>
std::int64_t sum_bytes(const Count* counts, int n, MPI_Datatype type) noexcept {
  if (!counts || n <= 0) return 0;
  std::int64_t total = 0;
  for (int i = 0; i < n; ++i) total += std::int64_t(counts[i]);
  return type_bytes(total, type);
}

// An array of datatypes as a C binding passes it, or a Fortran one (handles converted as read:
// the array's length is known only where it is read).
class Datatypes {
 public:
  Datatypes(const MPI_Datatype* c_types) noexcept : c_(c_types) {}  // NOLINT: as the C argument
  static Datatypes fortran(const MPI_Fint* fortran_types) noexcept {
    Datatypes types(nullptr);
    types.fortran_ = fortran_types;
    return types;
  }
  explicit operator bool() const noexcept { return c_ || fortran_; }
  MPI_Datatype operator[](int i) const noexcept { return c_ ? c_[i] : PMPI_Type_f2c(fortran_[i]); }

 private:
  const MPI_Datatype* c_ = nullptr;
  const MPI_Fint* fortran_ = nullptr;
};

template <class Count>
std::int64_t sum_bytes(const Count* counts, int n, Datatypes types) noexcept {
  if (!counts || !types || n <= 0) return 0;
  std::int64_t total = 0;
  for (int i = 0; i < n; ++i) total += type_bytes(std::int64_t(counts[i]), types[i]);
  return total;
}

inline bool in_place(const void* buffer) noexcept { return buffer == MPI_IN_PLACE; }

// The number of blocks a collective's "n" refers to: the group size, or the remote group's on an
// intercommunicator.
int group_size(MPI_Comm comm) noexcept;

enum class RootedRole { Root, NonRoot, None };  // None: MPI_PROC_NULL in an intercommunicator's root group
RootedRole rooted_role(int root, MPI_Comm comm) noexcept;

struct NeighborCounts {
  int in = 0;
  int out = 0;
};
NeighborCounts neighbor_counts(MPI_Comm comm) noexcept;

// Reduce_scatter: this rank's block of recvcounts.
template <class Count>
std::int64_t own_bytes(const Count* counts, MPI_Comm comm, MPI_Datatype type) noexcept {
  int rank = 0;
  PMPI_Comm_rank(comm, &rank);
  return counts ? type_bytes(std::int64_t(counts[rank]), type) : 0;
}

// Bytes a completed receive delivered, from its status (0 for MPI_PROC_NULL or a cancelled one).
std::int64_t received_bytes(const MPI_Status* status) noexcept;

}  // namespace commtune::pmpi
