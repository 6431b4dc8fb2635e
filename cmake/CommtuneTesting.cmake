# commtune_add_mpi_test(NAME name RANKS n COMMAND exe args... [ENVIRONMENT VAR=value ...]
#                       [PRELOAD] [LABELS l...] [TIMEOUT s])
# Runs COMMAND under the MPI launcher with n ranks (oversubscribed when n exceeds the cores). With
# PRELOAD the commtune preload library is injected through the test's environment.
function(commtune_add_mpi_test)
  cmake_parse_arguments(T "PRELOAD" "NAME;RANKS;TIMEOUT" "COMMAND;ENVIRONMENT;LABELS" ${ARGN})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 120)
  endif()
  set(env ${COMMTUNE_TEST_MPI_ENVIRONMENT} ${T_ENVIRONMENT})
  if(T_PRELOAD)
    list(APPEND env "LD_PRELOAD=$<TARGET_FILE:commtune_pmpi>")
  endif()
  add_test(NAME ${T_NAME}
           COMMAND ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${T_RANKS} ${COMMTUNE_TEST_MPIEXEC_FLAGS}
                   ${MPIEXEC_PREFLAGS} ${T_COMMAND} ${MPIEXEC_POSTFLAGS})
  set_tests_properties(${T_NAME} PROPERTIES ENVIRONMENT "${env}" TIMEOUT ${T_TIMEOUT} LABELS "mpi;${T_LABELS}")
endfunction()
