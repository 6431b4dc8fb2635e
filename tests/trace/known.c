// Known MPI calls on 2 ranks, for tests/trace/check_known.py (which holds the same counts):
// blocking ping-pong, nonblocking exchange, collectives on MPI_COMM_WORLD and on a split
// communicator whose rank order is reversed, and a second thread with calls of its own.
#include <mpi.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

enum { kPingPongs = 20, kExchanges = 10, kAllreduces = 5, kBcasts = 3, kSubAllreduces = 2, kThreadCalls = 7 };

static void* second_thread(void* unused) {
  (void)unused;
  int rank = 0;
  for (int i = 0; i < kThreadCalls; ++i) MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return NULL;
}

int main(int argc, char** argv) {
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
  int rank = 0, size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (size != 2) MPI_Abort(MPI_COMM_WORLD, 2);
  const int other = 1 - rank;

  int small[4] = {0};
  for (int i = 0; i < kPingPongs; ++i) {  // 16 bytes each way, tag i
    if (rank == 0) {
      MPI_Send(small, 4, MPI_INT, other, i, MPI_COMM_WORLD);
      MPI_Recv(small, 4, MPI_INT, other, i, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    } else {
      MPI_Recv(small, 4, MPI_INT, MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      MPI_Send(small, 4, MPI_INT, other, i, MPI_COMM_WORLD);
    }
  }

  double in[8] = {0}, out[8] = {0};
  for (int i = 0; i < kExchanges; ++i) {  // 64 bytes each way, tag 100 + i
    MPI_Request requests[2];
    MPI_Irecv(in, 8, MPI_DOUBLE, MPI_ANY_SOURCE, 100 + i, MPI_COMM_WORLD, &requests[0]);
    MPI_Isend(out, 8, MPI_DOUBLE, other, 100 + i, MPI_COMM_WORLD, &requests[1]);
    MPI_Wait(&requests[0], MPI_STATUS_IGNORE);
    MPI_Wait(&requests[1], MPI_STATUS_IGNORE);
  }

  int value = rank;
  for (int i = 0; i < kAllreduces; ++i) MPI_Allreduce(MPI_IN_PLACE, &value, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  for (int i = 0; i < kBcasts; ++i) MPI_Bcast(&value, 1, MPI_INT, 1, MPI_COMM_WORLD);

  MPI_Comm reversed;  // world rank 1 is rank 0 here
  MPI_Comm_split(MPI_COMM_WORLD, 0, -rank, &reversed);
  for (int i = 0; i < kSubAllreduces; ++i) MPI_Allreduce(MPI_IN_PLACE, &value, 1, MPI_INT, MPI_SUM, reversed);
  if (rank == 1) MPI_Send(&value, 1, MPI_INT, 1, 77, reversed);  // to world rank 0
  if (rank == 0) MPI_Recv(&value, 1, MPI_INT, 0, 77, reversed, MPI_STATUS_IGNORE);
  MPI_Comm_free(&reversed);

  if (provided == MPI_THREAD_MULTIPLE) {
    pthread_t thread;
    pthread_create(&thread, NULL, second_thread, NULL);
    pthread_join(thread, NULL);
  }
  printf("rank %d threads %d\n", rank, provided == MPI_THREAD_MULTIPLE ? 2 : 1);
  MPI_Finalize();
  return 0;
}
