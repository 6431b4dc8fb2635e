/* One-sided operations aimed at MPI_PROC_NULL move no data (MPI-3.1 section 11.3: "MPI_PROC_NULL
 * is a valid target rank in all MPI RMA communication calls. The effect is the same as for
 * MPI_PROC_NULL in MPI point-to-point communication"), so, like point-to-point traffic with
 * MPI_PROC_NULL, they must be counted with 0 bytes. A Put and a Get to a real neighbour in the
 * same epochs keep the test honest about the non-null case.
 *
 * LIBRARY BUG (tests/pmpi/README.md, bug 3): the RMA template (pmpi_hooks/generator/mpiwrap.py,
 * RMA table) counts tb(origin_count, origin_datatype) whatever the target rank, so the MPI_PROC_NULL
 * calls below are credited with bytes. The expectations are right: keep them. */
#include <mpi.h>
#include <stdio.h>

#include "expect.h"

static const char* const kFunctions[] = {"MPI_Init",     "MPI_Finalize",  "MPI_Comm_rank",  "MPI_Comm_size",
                                         "MPI_Win_create", "MPI_Win_fence", "MPI_Win_free", "MPI_Put",
                                         "MPI_Get",      "MPI_Accumulate"};

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s expected.json\n", argv[0]);
    return 2;
  }
  static int window[64], buf[64];
  const long long I = (long long)sizeof(int);
  int rank, size;
  MPI_Win win;
  MPI_Init(&argc, &argv);
  expect_begin(kFunctions, (int)(sizeof kFunctions / sizeof kFunctions[0]));
  expect_add("MPI_Init", 1, 0, 0);
  X(MPI_Comm_rank(MPI_COMM_WORLD, &rank), "MPI_Comm_rank", 0, 0);
  X(MPI_Comm_size(MPI_COMM_WORLD, &size), "MPI_Comm_size", 0, 0);
  const int right = (rank + 1) % size;
  X(MPI_Win_create(window, (MPI_Aint)sizeof window, (int)sizeof(int), MPI_INFO_NULL, MPI_COMM_WORLD, &win),
    "MPI_Win_create", 0, 0);
  X(MPI_Win_fence(0, win), "MPI_Win_fence", 0, 0);
  X(MPI_Put(buf, 4, MPI_INT, MPI_PROC_NULL, 0, 4, MPI_INT, win), "MPI_Put", 0, 0);
  X(MPI_Get(buf + 8, 3, MPI_INT, MPI_PROC_NULL, 0, 3, MPI_INT, win), "MPI_Get", 0, 0);
  X(MPI_Accumulate(buf, 2, MPI_INT, MPI_PROC_NULL, 0, 2, MPI_INT, MPI_SUM, win), "MPI_Accumulate", 0, 0);
  X(MPI_Put(buf, 5, MPI_INT, right, 10, 5, MPI_INT, win), "MPI_Put", 5 * I, 0);
  X(MPI_Win_fence(0, win), "MPI_Win_fence", 0, 0);
  X(MPI_Get(buf + 16, 6, MPI_INT, right, 20, 6, MPI_INT, win), "MPI_Get", 0, 6 * I);
  X(MPI_Win_fence(0, win), "MPI_Win_fence", 0, 0);
  X(MPI_Win_free(&win), "MPI_Win_free", 0, 0);
  expect_add("MPI_Finalize", 1, 0, 0);
  expect_write(argv[1], 0);
  MPI_Finalize();
  return 0;
}
