/* Links MPI but never calls MPI_Init: the library must stay silent and change nothing. */
#include <mpi.h>
#include <stdio.h>

int main(void) {
  int initialized = -1;
  MPI_Initialized(&initialized);
  printf("no_init: initialized=%d\n", initialized);
  return 0;
}
