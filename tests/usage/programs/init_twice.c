/* Calls MPI_Init twice: whatever MPI does (an error, usually fatal), the library must not make it worse. */
#include <mpi.h>
#include <stdio.h>

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  const int second = MPI_Init(&argc, &argv);
  printf("init_twice: second MPI_Init returned %s\n", second == MPI_SUCCESS ? "success" : "an error");
  MPI_Finalize();
  return 0;
}
