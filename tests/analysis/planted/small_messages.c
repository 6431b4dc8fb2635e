/* Planted problem: many small messages to one peer. Every rank exchanges kMessages messages of
 * kMessageBytes with its right/left neighbour (with 2 ranks: the one other rank), one MPI_Sendrecv
 * per message, as the batching kernel's "individual" variant does. The fix (--fixed) packs them
 * into batches of kBatchBytes with the framing of commtune::kernels::MessageAggregator (a 4-byte
 * length before each message) and exchanges one batch per MPI_Sendrecv; the receiver unpacks them
 * in order, so the checksum over the received messages is the same. */
#include "planted.h"

enum { kMessageBytes = 128, kBatchBytes = 64 * 1024, kMessages = 400000, kRounds = 2 };

/* Cheap to make and to check (the programs are built with -O0): the exchange must dominate. */
static void fill_message(unsigned char* message, int rank, long index) {
  memset(message, rank + 1, kMessageBytes);
  uint64_t tag = (uint64_t)index * 2654435761u + (uint64_t)rank;
  memcpy(message + kMessageBytes - sizeof tag, &tag, sizeof tag);
}

/* Hashes the last 16 bytes of a message (where fill_message puts what differs between messages). */
static uint64_t hash_message(uint64_t hash, const unsigned char* message, size_t bytes) {
  uint64_t tail[2];
  memcpy(tail, message + bytes - sizeof tail, sizeof tail);
  return planted_hash_words(hash, tail, 2);
}

static uint64_t exchange_one_by_one(int rank, int right, int left, long messages) {
  unsigned char out[kMessageBytes], in[kMessageBytes];
  uint64_t hash = PLANTED_HASH_SEED;
  for (long i = 0; i < messages; ++i) {
    fill_message(out, rank, i);
    /* PLANTED: batching (the call below) */
    MPI_Sendrecv(out, kMessageBytes, MPI_BYTE, right, 1, in, kMessageBytes, MPI_BYTE, left, 1, MPI_COMM_WORLD,
                 MPI_STATUS_IGNORE);
    hash = hash_message(hash, in, kMessageBytes);
  }
  return hash;
}

static uint64_t exchange_batched(int rank, int right, int left, long messages) {
  const long frame_bytes = 4 + kMessageBytes;
  const long per_batch = kBatchBytes / frame_bytes;
  unsigned char* out = malloc(kBatchBytes);
  unsigned char* in = malloc(kBatchBytes);
  uint64_t hash = PLANTED_HASH_SEED;
  for (long first = 0; first < messages; first += per_batch) {
    long count = messages - first < per_batch ? messages - first : per_batch;
    for (long i = 0; i < count; ++i) {
      uint32_t length = kMessageBytes;
      memcpy(out + i * frame_bytes, &length, 4);
      fill_message(out + i * frame_bytes + 4, rank, first + i);
    }
    MPI_Sendrecv(out, (int)(count * frame_bytes), MPI_BYTE, right, 2, in, kBatchBytes, MPI_BYTE, left, 2,
                 MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    for (long i = 0; i < count; ++i) {
      uint32_t length = 0;
      memcpy(&length, in + i * frame_bytes, 4);
      hash = hash_message(hash, in + i * frame_bytes + 4, length);
    }
  }
  free(out);
  free(in);
  return hash;
}

int main(int argc, char** argv) {
  const planted_world world = planted_start(&argc, &argv);
  const planted_options options = world.options;
  const int rank = world.rank, right = world.right, left = world.left;
  const long messages = planted_scaled(kMessages, &options);
  MPI_Barrier(MPI_COMM_WORLD);
  const double started_s = MPI_Wtime();
  uint64_t checksum = 0;
  for (int round = 0; round < kRounds; ++round) {
    checksum += planted_compute((uint64_t)(rank + round), 20000000); /* a little work between the rounds */
    checksum += options.fixed ? exchange_batched(rank, right, left, messages)
                              : exchange_one_by_one(rank, right, left, messages);
  }
  planted_finish("small_messages", &options, checksum, started_s);
  MPI_Finalize();
  return 0;
}
