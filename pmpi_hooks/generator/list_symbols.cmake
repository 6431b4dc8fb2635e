# Writes the dynamic symbols that LIBRARIES define, one per line, to OUTPUT (empty without
# LIBRARIES, e.g. an MPI without Fortran bindings).
string(REPLACE "|" ";" LIBRARIES "${LIBRARIES}")
set(symbols "")
foreach(lib ${LIBRARIES})
  execute_process(COMMAND ${NM} -D --defined-only --format=posix ${lib} OUTPUT_VARIABLE listing RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "nm failed on ${lib}")
  endif()
  string(REGEX REPLACE " [A-Za-z] [^\n]*" "" names "${listing}")
  string(APPEND symbols "${names}")
endforeach()
file(WRITE ${OUTPUT} "${symbols}")
