#include "runtime/profile.hpp"

#include <dlfcn.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "commtune/pmpi/run_directory.hpp"
#include "runtime/dump.hpp"

namespace commtune::pmpi {
namespace {

using ReportWrite = int (*)(const char* const*, const unsigned long*, unsigned long, const char*, int, char*,
                            unsigned long);

// libcommtune_report.so beside this library: it brings libdw and the JSON code, which an MPI
// program should not have to load until the very end, and then only on rank 0.
ReportWrite load_report(std::string& error) {
  Dl_info self;
  if (!dladdr(reinterpret_cast<void*>(&write_profile), &self) || !self.dli_fname) {
    error = "cannot locate libcommtune_pmpi.so";
    return nullptr;
  }
  std::string path = self.dli_fname;
  path = path.substr(0, path.find_last_of('/') + 1) + "libcommtune_report.so";
  void* library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!library) {
    error = dlerror();
    return nullptr;
  }
  auto* entry = reinterpret_cast<ReportWrite>(dlsym(library, "commtune_report_write"));
  if (!entry) error = path + " has no commtune_report_write";
  return entry;
}

// Rank 0: every rank's record as DIR/ranks/rank-NNNNN.json, which `commtune report DIR` (and
// `commtune run`) merge.
bool keep_dumps(const std::vector<const char*>& dumps, const std::vector<unsigned long>& lengths) {
  const std::filesystem::path dir = dump::identity().directory;
  std::error_code ignored;
  std::filesystem::create_directories(run_directory::ranks_path(dir), ignored);
  bool saved = true;
  for (std::size_t r = 0; r < dumps.size() && saved; ++r) {
    std::FILE* out = std::fopen(run_directory::rank_dump_path(dir, int(r)).c_str(), "w");
    saved = out && std::fwrite(dumps[r], 1, lengths[r], out) == lengths[r];
    if (out) saved = std::fclose(out) == 0 && saved;
  }
  return saved;
}

}  // namespace

void write_profile(MPI_Comm comm, bool quiet, bool in_rank0) noexcept {
  const dump::RunIdentity& id = dump::identity();
  dump::MemorySink mine;
  dump::write(mine, "finalize");
  int my_size = int(mine.text.size());
  std::vector<int> sizes(id.rank == 0 ? std::size_t(id.size) : 0);
  PMPI_Gather(&my_size, 1, MPI_INT, sizes.data(), 1, MPI_INT, 0, comm);
  std::vector<int> offsets;
  std::vector<char> all;
  if (id.rank == 0) {
    offsets.resize(std::size_t(id.size));
    long total = 0;
    for (int r = 0; r < id.size; ++r) {
      offsets[std::size_t(r)] = int(total);
      total += sizes[std::size_t(r)];
    }
    all.resize(std::size_t(total));
  }
  PMPI_Gatherv(mine.text.data(), my_size, MPI_CHAR, all.data(), sizes.data(), offsets.data(), MPI_CHAR, 0, comm);
  if (id.rank != 0 || !id.directory[0]) return;

  std::vector<const char*> dumps;
  std::vector<unsigned long> lengths;
  for (int r = 0; r < id.size; ++r) {
    dumps.push_back(all.data() + offsets[std::size_t(r)]);
    lengths.push_back(static_cast<unsigned long>(sizes[std::size_t(r)]));
  }
  std::string error;
  // `commtune run` merges the saved records after the launcher exits: the application is spared
  // loading the report library, libdw and the call-site resolution.
  if (!in_rank0) {
    if (keep_dumps(dumps, lengths)) return;
    error = "the ranks' records could not be saved in " + run_directory::ranks_path(id.directory).string();
  }
  if (const ReportWrite report = load_report(error)) {
    char message[1024] = {};
    if (report(dumps.data(), lengths.data(), dumps.size(), id.directory, quiet ? 1 : 0, message, sizeof message) == 0) {
      return;
    }
    error = message;
  }
  // No report: keep the records, which `commtune report DIR` can merge later.
  const bool saved = keep_dumps(dumps, lengths);
  const std::string kept = run_directory::ranks_path(id.directory).string();
  std::fprintf(stderr, "commtune: warning: the profile could not be written (%s)%s%s\n", error.c_str(),
               saved ? "; the ranks' records are in " : "",
               saved ? (kept + " (merge them with `commtune report`)").c_str() : "");
}

}  // namespace commtune::pmpi
