// Support for the Fortran wrappers. Open MPI's and MPICH's Fortran bindings call PMPI_* directly,
// so C wrappers never see a Fortran call: we define the Fortran symbols themselves (every
// mangling the MPI library exports), time the real binding (found with dlsym(RTLD_NEXT)), and
// convert the arguments we need to C afterwards. Every Fortran argument is passed by reference.
#pragma once

#include <mpi.h>

#include <array>
#include <cstddef>

namespace commtune::pmpi::fortran {

static_assert(sizeof(MPI_Fint) == sizeof(int), "Fortran INTEGER arrays are read as C int arrays");

#ifdef MPI_F_STATUS_SIZE
inline constexpr int kStatusInts = MPI_F_STATUS_SIZE;
#else
inline constexpr int kStatusInts = int(sizeof(MPI_Status) / sizeof(MPI_Fint));
#endif

// The next definition of a Fortran symbol after ours; never null (aborts with a message naming
// the symbol: the program called it, so the MPI library must define it).
void* resolve(const char* symbol) noexcept;

bool succeeded(const void* ierror) noexcept;  // ierror may be null (optional in mpi_f08)

// The Fortran sentinels (MPI_STATUS_IGNORE, MPI_IN_PLACE, MPI_BOTTOM) are addresses of Fortran
// variables, not the C constants.
bool is_status_ignore(const void* status) noexcept;
bool is_statuses_ignore(const void* statuses) noexcept;
const void* buffer(const void* fortran_buffer) noexcept;  // maps the Fortran sentinels to C's

struct StatusBuffer {
  std::array<MPI_Fint, 16> ints{};
  MPI_Fint* data() noexcept { return ints.data(); }
};
static_assert(kStatusInts <= 16);

const MPI_Status* status_to_c(const void* fortran_status, MPI_Status* c_status) noexcept;

inline const int* int_array(const void* fortran_array) noexcept { return static_cast<const int*>(fortran_array); }

// A C request handle for a record function that reads `*request`.
MPI_Request& request_slot(const void* fortran_request) noexcept;

enum class Binding { Legacy, F08 };  // mpif.h and `use mpi`, or `use mpi_f08`

// The index of the first request that MPI_Waitany/Testany/Waitsome/Testsome report: 1 in Fortran,
// but 0 in MPICH's mpi_f08 bindings before 4.1 (pmodels/mpich#6270).
int index_base(Binding binding) noexcept;

// Hand-written Fortran bindings (called by the generated per-mangling entry points).
void init(Binding binding, const void* caller, void (*real)(void*), void* ierror);
void init_thread(Binding binding, const void* caller, void (*real)(void*, void*, void*), void* required, void* provided,
                 void* ierror);
void finalize(Binding binding, const void* caller, void (*real)(void*), void* ierror);
void pcontrol(Binding binding, const void* caller, void (*real)(void*), void* level);
void wait(Binding binding, const void* caller, void (*real)(void*, void*, void*), void* request, void* status,
          void* ierror);
void test(Binding binding, const void* caller, void (*real)(void*, void*, void*, void*), void* request, void* flag,
          void* status, void* ierror);
void waitall(Binding binding, const void* caller, void (*real)(void*, void*, void*, void*), void* count, void* requests,
             void* statuses, void* ierror);
void testall(Binding binding, const void* caller, void (*real)(void*, void*, void*, void*, void*), void* count,
             void* requests, void* flag, void* statuses, void* ierror);
void waitany(Binding binding, const void* caller, void (*real)(void*, void*, void*, void*, void*), void* count,
             void* requests, void* index, void* status, void* ierror);
void testany(Binding binding, const void* caller, void (*real)(void*, void*, void*, void*, void*, void*), void* count,
             void* requests, void* index, void* flag, void* status, void* ierror);
void waitsome(Binding binding, const void* caller, void (*real)(void*, void*, void*, void*, void*, void*),
              void* incount, void* requests, void* outcount, void* indices, void* statuses, void* ierror);
void testsome(Binding binding, const void* caller, void (*real)(void*, void*, void*, void*, void*, void*),
              void* incount, void* requests, void* outcount, void* indices, void* statuses, void* ierror);
void start(Binding binding, const void* caller, void (*real)(void*, void*), void* request, void* ierror);
void startall(Binding binding, const void* caller, void (*real)(void*, void*, void*), void* count, void* requests,
              void* ierror);
void request_free(Binding binding, const void* caller, void (*real)(void*, void*), void* request, void* ierror);

}  // namespace commtune::pmpi::fortran
