/* Calls MPI_Finalize without MPI_Init: MPI decides what happens; the library adds nothing. */
#include <mpi.h>
#include <stdio.h>

int main(void) {
  printf("finalize_without_init: calling MPI_Finalize\n");
  fflush(stdout);
  const int result = MPI_Finalize();
  printf("finalize_without_init: MPI_Finalize returned %d\n", result);
  return 0;
}
