! Exact-counting test, Fortran with `use mpi`: the program of exact_mpif.f90 (body in
! exact_body.inc) with the `use mpi` module instead of mpif.h.
program exact_usempi
  use mpi
  implicit none
  character(len=*), parameter :: program_name = 'exact_usempi'
  include 'exact_body.inc'
end program exact_usempi
