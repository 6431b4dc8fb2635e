! Exact-counting test, Fortran with include 'mpif.h' (the Fortran 77 bindings: mpi_send_ etc.).
! Every rank records, next to each MPI call, the call and the bytes the profiler must attribute to
! it (from the program's own counts and its own type sizes); the records are summed on rank 0 with
! one MPI_Reduce (itself recorded before it is made) and written to the expected.json named by the
! first argument. Works for any number of ranks >= 2. The body is exact_body.inc, shared with
! exact_usempi.f90; exact_f08.f90 does the same through `use mpi_f08`.
program exact_mpif
  implicit none
  include 'mpif.h'
  character(len=*), parameter :: program_name = 'exact_mpif'
  include 'exact_body.inc'
end program exact_mpif
