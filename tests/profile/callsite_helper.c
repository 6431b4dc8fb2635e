/* The shared library of the call-site test: its one MPI call must be reported at this file and
 * line, in module libcallsite_helper.so, with debug_info true (built with -g -O0). */
#include "callsite_helper.h"

int helper_barrier(MPI_Comm comm) {
  int line = 0;
  for (int i = 0; i < HELPER_BARRIER_CALLS; ++i) {
    // The call and the statement recording its line stay on one line:
    // clang-format off
    line = __LINE__; if (MPI_Barrier(comm) != MPI_SUCCESS) return -1;
    // clang-format on
  }
  return line;
}
