# commtune_mpi_shared_libraries(OUT libraries...): the MPI shared libraries among `libraries`
# (FindMPI's lists also name libm, libpthread and linker scripts, which nm cannot read).
function(commtune_mpi_shared_libraries out)
  set(found)
  foreach(lib ${ARGN})
    if(lib MATCHES "mpi[^/]*\\.so")
      list(APPEND found ${lib})
    endif()
  endforeach()
  set(${out} ${found} PARENT_SCOPE)
endfunction()
