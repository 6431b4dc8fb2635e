! Call sites on known lines, from Fortran (`use mpi_f08`; preprocessed, so __LINE__ works). Each MPI
! call shares its source line with the assignment that records that line; the assignment runs on
! every rank (the call itself is guarded by a one-line IF), so rank 0 knows every line. The calls and
! bytes follow from the program's fixed counts; rank 0 writes them to the expected.json named by the
! first argument, in the format of callsites.c, for check_callsites.py.
!   MPI_Send / MPI_Recv  ROUNDS rounds between ranks (0,1), (2,3), ... (an odd last rank sits out)
!   MPI_Allreduce        REDUCTIONS times on every rank
! Build with -g -O0 and no line-length limit (the call lines are long on purpose).
program callsites_f
  use mpi_f08
  implicit none
  integer, parameter :: ROUNDS = 6, NINTS = 9, REDUCTIONS = 3, NDBL = 5
  integer :: ierr, rank, nranks, partner, round, k, pairs, unit
  integer :: line_send, line_recv, line_allreduce
  logical :: sender, receiver
  integer :: ibuf(NINTS)
  double precision :: dsend(NDBL), drecv(NDBL)
  integer(8) :: isz, dsz, p2p_calls, p2p_bytes, red_calls, red_bytes
  character(len=1024) :: path, exe

  if (command_argument_count() < 1) stop 'usage: callsites_f expected.json'
  call get_command_argument(1, path)
  call get_command_argument(0, exe)
  isz = storage_size(ibuf(1)) / 8
  dsz = storage_size(dsend(1)) / 8
  ibuf = 7
  dsend = 1.5d0

  call MPI_Init(ierr)
  call MPI_Comm_rank(MPI_COMM_WORLD, rank, ierr)
  call MPI_Comm_size(MPI_COMM_WORLD, nranks, ierr)
  partner = ieor(rank, 1)
  sender = partner < nranks .and. mod(rank, 2) == 0
  receiver = partner < nranks .and. mod(rank, 2) == 1

  do round = 1, ROUNDS
    line_send = __LINE__; if (sender) call MPI_Send(ibuf, NINTS, MPI_INTEGER, partner, round, MPI_COMM_WORLD, ierr)
    line_recv = __LINE__; if (receiver) call MPI_Recv(ibuf, NINTS, MPI_INTEGER, partner, round, MPI_COMM_WORLD, MPI_STATUS_IGNORE, ierr)
  end do
  do k = 1, REDUCTIONS
    line_allreduce = __LINE__; call MPI_Allreduce(dsend, drecv, NDBL, MPI_DOUBLE_PRECISION, MPI_SUM, MPI_COMM_WORLD, ierr)
  end do

  if (rank == 0) then
    pairs = nranks / 2
    p2p_calls = int(pairs, 8) * ROUNDS
    p2p_bytes = p2p_calls * NINTS * isz
    red_calls = int(nranks, 8) * REDUCTIONS
    red_bytes = red_calls * NDBL * dsz
    open(newunit=unit, file=trim(path), status='replace', action='write')
    write(unit, '(a)') '{'
    write(unit, '(a)') '  "program": "callsites_f",'
    write(unit, '(a,i0,a)') '  "ranks": ', nranks, ','
    write(unit, '(a)') '  "sites": ['
    call site('MPI_Send', line_send, p2p_calls, p2p_bytes, 0_8, pairs, ',')
    call site('MPI_Recv', line_recv, p2p_calls, 0_8, p2p_bytes, pairs, ',')
    call site('MPI_Allreduce', line_allreduce, red_calls, red_bytes, red_bytes, nranks, '')
    write(unit, '(a)') '  ]'
    write(unit, '(a)') '}'
    close(unit)
  end if
  call MPI_Finalize(ierr)

contains

  subroutine site(fname, line, calls, sent, received, ranks, comma)
    character(len=*), intent(in) :: fname, comma
    integer, intent(in) :: line, ranks
    integer(8), intent(in) :: calls, sent, received
    integer :: slash
    slash = index(exe, '/', back=.true.)
    write(unit, '(a,a,a,i0,a,i0,a,i0,a,i0,a,i0,a,a,a,a)') '    {"function": "', fname, &
      '", "file": "callsites_f.F90", "line": ', line, ', "calls": ', calls, ', "bytes_sent": ', sent, &
      ', "bytes_received": ', received, ', "ranks": ', ranks, ', "module": "', trim(exe(slash + 1:)), '"}', comma
  end subroutine site

end program callsites_f
