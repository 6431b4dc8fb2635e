/* SIGUSR1 snapshot. usage: snapshot barriers marker output_dir copy_dir [wait_s=30]
 * Every rank makes K MPI_Barrier calls; rank 0 then creates `marker`, and the test sends SIGUSR1 to
 * every rank process. Each rank sleeps (outside MPI, in short steps) until its own snapshot dump
 * output_dir/ranks/rank-<rank, 5 digits>.json exists and says "snapshot" (at most wait_s seconds),
 * copies it to copy_dir/rank-<rank>.json before the run goes on (or writes copy_dir/rank-<rank>.missing),
 * then makes K more MPI_Barrier calls and finalizes normally. check_snapshot.py reads the copies and
 * the final profile.json. */
#include "profile_test.h"

/* The whole file, or NULL when it does not exist. */
static char* read_file(const char* path, long* length) {
  FILE* in = fopen(path, "rb");
  if (!in) return NULL;
  char* text = NULL;
  long size = 0;
  if (fseek(in, 0, SEEK_END) == 0 && (size = ftell(in)) >= 0 && fseek(in, 0, SEEK_SET) == 0) {
    text = (char*)malloc((size_t)size + 1);
    if (text && fread(text, 1, (size_t)size, in) == (size_t)size) {
      text[size] = '\0';
      *length = size;
    } else {
      free(text);
      text = NULL;
    }
  }
  fclose(in);
  return text;
}

int main(int argc, char** argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: %s barriers marker output_dir copy_dir [wait_s]\n", argv[0]);
    return 2;
  }
  MPI_Init(&argc, &argv);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  const int barriers = pt_arg_int(argc, argv, 1, 5);
  const int wait_s = pt_arg_int(argc, argv, 5, 30);
  for (int i = 0; i < barriers; ++i) pt_check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier");
  PMPI_Barrier(MPI_COMM_WORLD); /* every rank is past its K-th MPI_Barrier (not profiled) */
  if (rank == 0) pt_write_file(argv[2], "barriers done\n");

  char dump[4096], copy[4096], note[4400];
  snprintf(dump, sizeof dump, "%s/ranks/rank-%05d.json", argv[3], rank);
  const double start = pt_now();
  char* text = NULL;
  long length = 0;
  while (pt_now() - start < wait_s) {
    text = read_file(dump, &length);
    if (text && strstr(text, "\"snapshot\"")) break;
    free(text);
    text = NULL;
    pt_sleep(0.05);
  }
  if (text) {
    snprintf(copy, sizeof copy, "%s/rank-%05d.json", argv[4], rank);
    pt_write_file(copy, text);
    free(text);
  } else {
    snprintf(copy, sizeof copy, "%s/rank-%05d.missing", argv[4], rank);
    snprintf(note, sizeof note, "rank %d: no dump saying \"snapshot\" at %s within %d s\n", rank, dump, wait_s);
    pt_write_file(copy, note);
  }

  for (int i = 0; i < barriers; ++i) pt_check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier");
  MPI_Finalize();
  return 0;
}
