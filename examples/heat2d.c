/* A small 2-D heat-diffusion solver: the example the quick start profiles.
 * Each rank owns a block of rows, exchanges one halo row with each neighbour per step
 * (MPI_Sendrecv), and every `check_every` steps computes the global residual (MPI_Allreduce).
 * Usage: commtune-example-heat [grid_size] [steps] */
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);

  const int n = argc > 1 ? atoi(argv[1]) : 512;
  const int steps = argc > 2 ? atoi(argv[2]) : 500;
  const int check_every = 10;
  const int rows = n / size + (rank < n % size ? 1 : 0);
  const int up = rank > 0 ? rank - 1 : MPI_PROC_NULL;
  const int down = rank < size - 1 ? rank + 1 : MPI_PROC_NULL;

  /* rows + 2 halo rows of n columns */
  double* grid = calloc((size_t)(rows + 2) * n, sizeof(double));
  double* next = calloc((size_t)(rows + 2) * n, sizeof(double));
  if (rank == 0) {
    for (int j = 0; j < n; ++j) grid[j] = next[j] = 100.0; /* hot top edge */
  }

  double residual = 0;
  for (int step = 0; step < steps; ++step) {
    MPI_Sendrecv(&grid[1 * n], n, MPI_DOUBLE, up, 0, &grid[(rows + 1) * n], n, MPI_DOUBLE, down, 0,
                 MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    MPI_Sendrecv(&grid[rows * n], n, MPI_DOUBLE, down, 1, &grid[0], n, MPI_DOUBLE, up, 1, MPI_COMM_WORLD,
                 MPI_STATUS_IGNORE);
    double local = 0;
    for (int i = 1; i <= rows; ++i) {
      for (int j = 1; j < n - 1; ++j) {
        const double v = 0.25 * (grid[(i - 1) * n + j] + grid[(i + 1) * n + j] + grid[i * n + j - 1] +
                                 grid[i * n + j + 1]);
        local += fabs(v - grid[i * n + j]);
        next[i * n + j] = v;
      }
    }
    double* swap = grid;
    grid = next;
    next = swap;
    if (step % check_every == 0) MPI_Allreduce(&local, &residual, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
  }
  if (rank == 0) printf("heat2d: %d x %d grid, %d steps, %d ranks, residual %.6e\n", n, n, steps, size, residual);
  free(grid);
  free(next);
  MPI_Finalize();
  return 0;
}
