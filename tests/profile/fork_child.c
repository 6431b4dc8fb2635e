/* A forked child records nothing and writes nothing. usage: fork_child
 * Every rank makes 3 MPI_Barrier calls, forks a child that is killed by SIGTERM (the signal the
 * library turns into a partial profile in an MPI rank) and runs system("true"), then makes 3 more
 * barriers and finalizes. check_fork.py: the profile is complete, counts 6 barriers per rank and
 * nothing else wrote a rank dump. */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "profile_test.h"

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  for (int i = 0; i < 3; ++i) pt_check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier");
  const pid_t child = fork();
  if (child == 0) {
    raise(SIGTERM);
    _exit(3); /* not reached: SIGTERM's default action ends the child */
  }
  int status = 0;
  if (child < 0 || waitpid(child, &status, 0) != child || !WIFSIGNALED(status) || WTERMSIG(status) != SIGTERM) {
    fprintf(stderr, "fork_child: the child did not end on SIGTERM (status %d)\n", status);
    PMPI_Abort(MPI_COMM_WORLD, 4);
  }
  if (system("true") != 0) PMPI_Abort(MPI_COMM_WORLD, 5);
  for (int i = 0; i < 3; ++i) pt_check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier");
  MPI_Finalize();
  return 0;
}
