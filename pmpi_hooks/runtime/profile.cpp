#include "runtime/profile.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <system_error>

#include "commtune/pmpi/settings.hpp"

extern char* program_invocation_short_name;

namespace commtune::pmpi {
namespace {

namespace fs = std::filesystem;
using nlohmann::ordered_json;

// What each rank sends to rank 0: a header, then one record per function it called.
struct RankHeader {
  double wall_time_s;
  double mpi_time_s;
  std::uint64_t untracked_requests;
  std::uint32_t threads;
  std::uint32_t records;
  std::int32_t pid;
  char host[64];
};

struct FunctionRecord {
  std::uint32_t id;
  std::uint64_t calls;
  std::uint64_t bytes_sent;
  std::uint64_t bytes_received;
  double time_s;
};

std::vector<char> pack_rank(const RunFacts& facts, const std::vector<const ThreadStats*>& threads) {
  std::vector<FunctionRecord> records;
  double mpi_time_s = 0;
  for (std::size_t id = 0; id < kFunctionCount; ++id) {
    FunctionRecord record{std::uint32_t(id), 0, 0, 0, 0.0};
    std::uint64_t ticks = 0;
    for (const ThreadStats* thread : threads) {
      const FunctionStats& stats = thread->functions[id];
      record.calls += stats.calls;
      ticks += stats.ticks;
      record.bytes_sent += stats.bytes_sent;
      record.bytes_received += stats.bytes_received;
    }
    record.time_s = double(ticks) * facts.seconds_per_tick;
    if (FunctionId(id) == facts.init_function) {  // MPI_Init ran before our clock existed
      record.calls += 1;
      record.time_s += double(facts.init_duration_ns) * 1e-9;
    }
    if (FunctionId(id) == FunctionId::MPI_Finalize) record.calls += 1;  // timed by nobody: we write first
    if (record.calls == 0) continue;
    mpi_time_s += record.time_s;
    records.push_back(record);
  }
  RankHeader header{};
  header.wall_time_s = double(facts.finalize_entry_ns - facts.init_entry_ns) * 1e-9;
  header.mpi_time_s = mpi_time_s;
  header.untracked_requests = facts.untracked_requests;
  header.threads = std::uint32_t(threads.size());
  header.records = std::uint32_t(records.size());
  header.pid = std::int32_t(getpid());
  gethostname(header.host, sizeof header.host - 1);
  std::vector<char> bytes(sizeof header + records.size() * sizeof(FunctionRecord));
  std::memcpy(bytes.data(), &header, sizeof header);
  if (!records.empty()) std::memcpy(bytes.data() + sizeof header, records.data(), records.size() * sizeof(FunctionRecord));
  return bytes;
}

ordered_json function_json(const FunctionRecord& r) {
  return ordered_json{{"name", kFunctionNames[r.id]},
                      {"category", kFunctionCategories[r.id]},
                      {"calls", r.calls},
                      {"time_s", r.time_s},
                      {"bytes_sent", r.bytes_sent},
                      {"bytes_received", r.bytes_received}};
}

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  return text;
}

std::string local_stamp() {
  const std::time_t now = std::time(nullptr);
  char text[32];
  std::strftime(text, sizeof text, "%Y%m%d-%H%M%S", std::localtime(&now));
  return text;
}

std::string own_command_line() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::replace(raw.begin(), raw.end(), '\0', ' ');
  while (!raw.empty() && raw.back() == ' ') raw.pop_back();
  return raw;
}

// Writes `text` to dir/name through a temporary file, so a reader never sees half a profile.
bool write_file(const fs::path& dir, const std::string& name, const std::string& text, std::string& error) {
  std::error_code code;
  fs::create_directories(dir, code);
  if (code) {
    error = "cannot create " + dir.string() + ": " + code.message();
    return false;
  }
  const fs::path temporary = dir / (name + ".tmp");
  FILE* out = std::fopen(temporary.c_str(), "w");
  if (!out) {
    error = "cannot write " + temporary.string() + ": " + std::strerror(errno);
    return false;
  }
  const bool written = std::fwrite(text.data(), 1, text.size(), out) == text.size();
  const bool closed = std::fclose(out) == 0;
  if (!written || !closed || std::rename(temporary.c_str(), (dir / name).c_str()) != 0) {
    error = "cannot write " + (dir / name).string() + ": " + std::strerror(errno);
    std::remove(temporary.c_str());
    return false;
  }
  return true;
}

}  // namespace

void write_profile(const RunFacts& facts, const Settings& settings, const std::vector<const ThreadStats*>& threads) {
  const std::vector<char> mine = pack_rank(facts, threads);
  int my_size = int(mine.size());
  std::vector<int> sizes(facts.rank == 0 ? facts.size : 0);
  PMPI_Gather(&my_size, 1, MPI_INT, sizes.data(), 1, MPI_INT, 0, facts.comm);
  std::vector<int> offsets;
  std::vector<char> all;
  if (facts.rank == 0) {
    offsets.resize(facts.size);
    int total = 0;
    for (int r = 0; r < facts.size; ++r) {
      offsets[r] = total;
      total += sizes[r];
    }
    all.resize(std::size_t(total));
  }
  PMPI_Gatherv(mine.data(), my_size, MPI_BYTE, all.data(), sizes.data(), offsets.data(), MPI_BYTE, 0, facts.comm);
  if (facts.rank != 0) return;

  std::map<std::uint32_t, FunctionRecord> totals;
  ordered_json per_rank = ordered_json::array();
  double wall_max = 0, mpi_sum = 0, app_sum = 0;
  std::uint64_t untracked = 0;
  for (int r = 0; r < facts.size; ++r) {
    RankHeader header;
    std::memcpy(&header, all.data() + offsets[r], sizeof header);
    header.host[sizeof header.host - 1] = 0;
    ordered_json functions = ordered_json::array();
    std::vector<FunctionRecord> records(header.records);
    std::memcpy(records.data(), all.data() + offsets[r] + sizeof header, header.records * sizeof(FunctionRecord));
    std::sort(records.begin(), records.end(), [](const auto& a, const auto& b) { return a.time_s > b.time_s; });
    for (const FunctionRecord& record : records) {
      functions.push_back(function_json(record));
      FunctionRecord& total = totals.try_emplace(record.id, FunctionRecord{record.id, 0, 0, 0, 0.0}).first->second;
      total.calls += record.calls;
      total.bytes_sent += record.bytes_sent;
      total.bytes_received += record.bytes_received;
      total.time_s += record.time_s;
    }
    // With several threads in MPI at once, MPI time can exceed wall time; application time is
    // then reported as zero rather than negative.
    const double app_time_s = std::max(0.0, header.wall_time_s - header.mpi_time_s);
    wall_max = std::max(wall_max, header.wall_time_s);
    mpi_sum += header.mpi_time_s;
    app_sum += app_time_s;
    untracked += header.untracked_requests;
    per_rank.push_back(ordered_json{{"rank", r},
                                    {"host", header.host},
                                    {"pid", header.pid},
                                    {"threads", header.threads},
                                    {"wall_time_s", header.wall_time_s},
                                    {"mpi_time_s", header.mpi_time_s},
                                    {"app_time_s", app_time_s},
                                    {"functions", std::move(functions)}});
  }
  std::vector<FunctionRecord> summed;
  for (const auto& [id, record] : totals) summed.push_back(record);
  std::sort(summed.begin(), summed.end(), [](const auto& a, const auto& b) { return a.time_s > b.time_s; });
  ordered_json functions = ordered_json::array();
  for (const FunctionRecord& record : summed) functions.push_back(function_json(record));

  char library[MPI_MAX_LIBRARY_VERSION_STRING] = {};
  int library_length = 0;
  PMPI_Get_library_version(library, &library_length);
  std::string library_text(library, std::size_t(std::max(0, library_length)));
  library_text = library_text.substr(0, library_text.find_first_of("\n,"));

  ordered_json profile{
      {"schema", kProfileSchema},
      {"tool", {{"name", "commtune"}, {"version", COMMTUNE_VERSION}}},
      {"complete", true},
      {"command", settings.command.empty() ? own_command_line() : settings.command},
      {"program", program_invocation_short_name},
      {"mpi_library", library_text},
      {"finished_at", utc_now()},
      {"clock", {{"source", facts.clock_source}, {"seconds_per_tick", facts.seconds_per_tick}}},
      {"ranks", facts.size},
      {"wall_time_s", wall_max},
      {"mpi_time_s", mpi_sum},
      {"app_time_s", app_sum},
      {"mpi_time_fraction", wall_max > 0 ? mpi_sum / (wall_max * facts.size) : 0.0},
      {"untracked_requests", untracked},
      {"functions", std::move(functions)},
      {"per_rank", std::move(per_rank)},
  };

  fs::path dir = settings.output.empty()
                     ? fs::current_path() / ("commtune-" + std::string(program_invocation_short_name) + "-" + local_stamp())
                     : fs::path(settings.output);
  std::string error;
  const std::string text = profile.dump(1) + "\n";
  if (!write_file(dir, "profile.json", text, error)) {
    const char* tmp = std::getenv("TMPDIR");
    const fs::path fallback = fs::path(tmp && *tmp ? tmp : "/tmp") /
                              ("commtune-" + std::string(program_invocation_short_name) + "-" + std::to_string(getpid()));
    std::string second_error;
    if (write_file(fallback, "profile.json", text, second_error)) {
      std::fprintf(stderr, "commtune: warning: %s; the profile was written to %s instead\n", error.c_str(),
                   (fallback / "profile.json").c_str());
      dir = fallback;
    } else {
      std::fprintf(stderr, "commtune: warning: %s, and %s; no profile was written\n", error.c_str(),
                   second_error.c_str());
      return;
    }
  }
  if (!settings.quiet) {
    std::fprintf(stderr, "commtune: %d rank%s, wall %.3f s, %.1f%% in MPI; profile: %s\n", facts.size,
                 facts.size == 1 ? "" : "s", wall_max, wall_max > 0 ? 100.0 * mpi_sum / (wall_max * facts.size) : 0.0,
                 (dir / "profile.json").c_str());
  }
}

}  // namespace commtune::pmpi
