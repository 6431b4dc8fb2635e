/* Which allreduce algorithm did Open MPI run? MPI_Allreduce of COUNT doubles with a user-defined
 * (commutative) sum counts its own invocations: each algorithm of coll/tuned calls it a different
 * number of times with different lengths on each rank (4 ranks, 1024 doubles: basic_linear 3 calls
 * on rank 0 and none elsewhere, nonoverlapping 1 call on 3 ranks, recursive_doubling 2 full-length
 * calls everywhere, ring 3 calls of a quarter each). Rank 0 prints "calls:elements" per rank.
 * Usage: analysis_coll_rules_probe COUNT */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

static long op_calls;
static long op_elements;

static void counting_sum(void* in, void* inout, int* length, MPI_Datatype* type) {
  (void)type;
  op_calls++;
  op_elements += *length;
  for (int i = 0; i < *length; ++i) ((double*)inout)[i] += ((const double*)in)[i];
}

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const int count = argc > 1 ? atoi(argv[1]) : 1024;
  double* in = malloc(sizeof(double) * (size_t)count);
  double* out = malloc(sizeof(double) * (size_t)count);
  for (int i = 0; i < count; ++i) in[i] = rank + i;
  MPI_Op sum;
  MPI_Op_create(counting_sum, 1, &sum);
  MPI_Allreduce(in, out, count, MPI_DOUBLE, sum, MPI_COMM_WORLD);
  /* The result must be right whatever the algorithm. */
  int wrong = 0;
  for (int i = 0; i < count; ++i) wrong += out[i] != (double)size * i + (double)size * (size - 1) / 2;
  long mine[3] = {op_calls, op_elements, wrong};
  long* all = malloc(sizeof(long) * 3 * (size_t)size);
  MPI_Gather(mine, 3, MPI_LONG, all, 3, MPI_LONG, 0, MPI_COMM_WORLD);
  if (rank == 0) {
    long wrong_total = 0;
    for (int r = 0; r < size; ++r) {
      printf("%s%ld:%ld", r ? " " : "", all[3 * r], all[3 * r + 1]);
      wrong_total += all[3 * r + 2];
    }
    printf("\nwrong %ld\n", wrong_total);
  }
  MPI_Op_free(&sum);
  free(all);
  free(in);
  free(out);
  MPI_Finalize();
  return 0;
}
