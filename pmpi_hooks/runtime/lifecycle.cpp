// Hand-written C wrappers: MPI_Init, MPI_Init_thread, MPI_Finalize, MPI_Pcontrol.
#include <mpi.h>

#include <cstdarg>

#include "runtime/export.hpp"
#include "runtime/runtime.hpp"

using namespace commtune::pmpi;

namespace {
// MPI's own calls while it starts or stops are not the application's.
struct NotRecorded {
  NotRecorded() { ++t_context.depth; }
  ~NotRecorded() { --t_context.depth; }
};
}  // namespace

extern "C" COMMTUNE_EXPORT int MPI_Init(int* argc, char*** argv) {
  const std::uint64_t entry_ns = clock::monotonic_ns();
  int result;
  {
    NotRecorded guard;
    result = PMPI_Init(argc, argv);
  }
  if (result == MPI_SUCCESS) runtime::after_init(FunctionId::MPI_Init, entry_ns, __builtin_return_address(0));
  return result;
}

extern "C" COMMTUNE_EXPORT int MPI_Init_thread(int* argc, char*** argv, int required, int* provided) {
  const std::uint64_t entry_ns = clock::monotonic_ns();
  int result;
  {
    NotRecorded guard;
    result = PMPI_Init_thread(argc, argv, required, provided);
  }
  if (result == MPI_SUCCESS) runtime::after_init(FunctionId::MPI_Init_thread, entry_ns, __builtin_return_address(0));
  return result;
}

extern "C" COMMTUNE_EXPORT int MPI_Finalize(void) {
  runtime::before_finalize(__builtin_return_address(0));
  NotRecorded guard;
  return PMPI_Finalize();
}

extern "C" COMMTUNE_EXPORT int MPI_Pcontrol(const int level, ...) {
  CallScope call(FunctionId::MPI_Pcontrol, __builtin_return_address(0));
  call.stop();
  const char* name = nullptr;
  if (level == 2 || level == -2) {  // a named region: MPI_Pcontrol(2, "solver") ... MPI_Pcontrol(-2, "solver")
    va_list arguments;
    va_start(arguments, level);
    name = va_arg(arguments, const char*);
    va_end(arguments);
  }
  runtime::pcontrol(level, name);
  return MPI_SUCCESS;
}
