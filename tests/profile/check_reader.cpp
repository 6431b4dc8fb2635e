// Checks the profile reader (pmpi_hooks/profile) on a profile a real run wrote: every typed value
// read_profile() returns equals the value in profile.json, section by section, and the sections
// the program plants (wait states, requests, compressibility, counters) are there. With --hardware
// it also checks `commtune run`'s DIR/hardware.json: it reads back with HardwareFingerprint::
// from_json, and its id is the one the tuner computes for this machine, the profile's MPI library,
// our environment and the launcher words given after "--".
//
// usage: profile_check_reader OUT [--expect-wait] [--expect-requests] [--expect-compressibility]
//                             [--expect-counters] [--partial] [--hardware -- LAUNCHER WORDS...]
#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "commtune/pmpi/run_directory.hpp"
#include "commtune/tuner/fingerprint.hpp"
#include "profile/reader.hpp"

namespace {

using nlohmann::json;
namespace fs = std::filesystem;
namespace run_directory = commtune::run_directory;
using commtune::profile::Profile;

int g_problems = 0;
int g_checks = 0;

template <typename A, typename B>
void expect_equal(const std::string& what, const A& read, const B& in_file) {
  ++g_checks;
  if (json(read) == json(in_file)) return;
  ++g_problems;
  std::printf("FAILED: %s: got %s, expected %s\n", what.c_str(), json(read).dump().c_str(),
              json(in_file).dump().c_str());
}

void expect(const std::string& what, bool holds) {
  ++g_checks;
  if (holds) return;
  ++g_problems;
  std::printf("FAILED: %s\n", what.c_str());
}

json load(const fs::path& file) {
  std::ifstream in(file);
  return json::parse(in);  // throws, failing the check, on anything that is not JSON
}

void check_run(const Profile& profile, const json& file) {
  expect_equal("schema", profile.schema, file["schema"]);
  expect_equal("complete", profile.complete, file["complete"]);
  expect_equal("partial_reason", profile.partial_reason, file.value("partial_reason", std::string()));
  expect_equal("ranks", profile.ranks, file["ranks"]);
  expect_equal("ranks_reported", profile.ranks_reported, file["ranks_reported"]);
  expect_equal("missing_ranks", profile.missing_ranks, file["missing_ranks"]);
  for (const char* key : {"command", "program", "mpi_library", "started_at", "finished_at"}) {
    const std::string& read = key == std::string("command")       ? profile.command
                              : key == std::string("program")     ? profile.program
                              : key == std::string("mpi_library") ? profile.mpi_library
                              : key == std::string("started_at")  ? profile.started_at
                                                                  : profile.finished_at;
    expect_equal(key, read, file[key]);
  }
  expect_equal("clock.source", profile.clock_source, file["clock"]["source"]);
  expect_equal("wall_time_s", profile.wall_time_s, file["wall_time_s"]);
  expect_equal("mpi_time_s", profile.mpi_time_s, file["mpi_time_s"]);
  expect_equal("communication_s", profile.communication_s, file["communication_s"]);
  expect_equal("callsite_depth", profile.callsite_depth, file["callsite_depth"]);
  expect_equal("functions", profile.functions.size(), file["functions"].size());
  for (std::size_t i = 0; i < profile.functions.size() && i < file["functions"].size(); ++i) {
    const auto& read = profile.functions[i];
    const json& entry = file["functions"][i];
    const std::string where = "functions[" + std::to_string(i) + "].";
    expect_equal(where + "name", read.name, entry["name"]);
    expect_equal(where + "category", read.category, entry["category"]);
    expect_equal(where + "calls", read.calls, entry["calls"]);
    expect_equal(where + "time_s", read.time_s, entry["time_s"]);
    expect_equal(where + "bytes_sent", read.bytes_sent, entry["bytes_sent"]);
  }
  expect_equal("per_rank", profile.per_rank.size(), file["per_rank"].size());
  for (std::size_t i = 0; i < profile.per_rank.size() && i < file["per_rank"].size(); ++i) {
    const json& entry = file["per_rank"][i];
    const std::string where = "per_rank[" + std::to_string(i) + "].";
    expect_equal(where + "rank", profile.per_rank[i].rank, entry["rank"]);
    expect_equal(where + "host", profile.per_rank[i].host, entry["host"]);
    expect_equal(where + "pid", profile.per_rank[i].pid, entry["pid"]);
    expect_equal(where + "reason", profile.per_rank[i].reason, entry["reason"]);
    expect_equal(where + "mpi_time_s", profile.per_rank[i].mpi_time_s, entry["mpi_time_s"]);
    expect_equal(where + "functions", profile.per_rank[i].functions.size(), entry["functions"].size());
  }
}

void check_callsites(const Profile& profile, const json& file) {
  expect_equal("callsites", profile.callsites.size(), file["callsites"].size());
  for (std::size_t i = 0; i < profile.callsites.size() && i < file["callsites"].size(); ++i) {
    const auto& site = profile.callsites[i];
    const json& entry = file["callsites"][i];
    const std::string where = "callsites[" + std::to_string(i) + "].";
    expect_equal(where + "id", site.id, entry["id"]);
    expect("callsite(id) finds " + where, profile.callsite(site.id) == &site);
    expect_equal(where + "function", site.function, entry["function"]);
    expect_equal(where + "category", site.category, entry["category"]);
    expect_equal(where + "region", site.region, entry["region"]);
    expect_equal(where + "file", site.location().file, entry["file"]);
    expect_equal(where + "line", site.location().line, entry["line"]);
    expect_equal(where + "module", site.location().module, entry["module"]);
    expect_equal(where + "offset", site.location().offset,
                 std::stoull(entry["offset"].get<std::string>(), nullptr, 16));
    expect_equal(where + "frames", site.frames.size(), entry["frames"].size());
    expect_equal(where + "calls", site.calls, entry["calls"]);
    expect_equal(where + "time_s", site.time_s, entry["time_s"]);
    expect_equal(where + "bytes_received", site.bytes_received, entry["bytes_received"]);
    expect_equal(where + "ranks", site.ranks, entry["ranks"]);
    expect_equal(where + "time_per_rank.cv", site.time_per_rank.cv, entry["time_per_rank"]["cv"]);
    expect_equal(where + "time_per_rank.max_rank", site.time_per_rank.max_rank, entry["time_per_rank"]["max_rank"]);
    if (entry.contains("counters")) {
      expect_equal(where + "counters", site.counters, entry["counters"].get<std::map<std::string, std::uint64_t>>());
    }
    expect_equal(where + "compressibility", site.compressibility.has_value(), entry.contains("compressibility"));
    if (site.compressibility && entry.contains("compressibility")) {
      expect_equal(where + "compressibility.samples", site.compressibility->samples,
                   entry["compressibility"]["samples"]);
      expect_equal(where + "compressibility.zstd1_ratio", site.compressibility->zstd1_ratio,
                   entry["compressibility"]["zstd1_ratio"]);
    }
  }
}

// message_sizes, wait_states and requests refer to sites by id; the reader joins them on.
void check_joined_sections(const Profile& profile, const json& file) {
  std::set<int> with_sizes, with_wait, with_requests;
  for (const json& entry : file["message_sizes"]["callsites"]) {
    const auto* site = profile.callsite(entry["id"].get<int>());
    with_sizes.insert(entry["id"].get<int>());
    if (!site) continue;
    expect_equal("message_sizes of site " + entry["id"].dump(), site->sizes.sent.size(), entry["sent"].size());
    for (std::size_t b = 0; b < site->sizes.sent.size() && b < entry["sent"].size(); ++b) {
      expect_equal("message_sizes sent bin", site->sizes.sent[b].bin, entry["sent"][b]["bin"]);
      expect_equal("message_sizes sent count", site->sizes.sent[b].count, entry["sent"][b]["count"]);
      expect_equal("message_sizes max_bytes null", !site->sizes.sent[b].max_bytes.has_value(),
                   entry["sent"][b]["max_bytes"].is_null());
    }
  }
  for (const json& entry : file["wait_states"]["callsites"]) {
    const auto* site = profile.callsite(entry["id"].get<int>());
    with_wait.insert(entry["id"].get<int>());
    expect("wait_states site " + entry["id"].dump() + " has its wait", site && site->wait);
    if (site && site->wait) {
      expect_equal("wait kind", site->wait->kind, entry["kind"]);
      expect_equal("wait time_s", site->wait->time_s, entry["time_s"]);
      expect_equal("wait instances", site->wait->instances, entry["instances"]);
    }
  }
  for (const json& entry : file["requests"]["callsites"]) {
    const auto* site = profile.callsite(entry["id"].get<int>());
    with_requests.insert(entry["id"].get<int>());
    expect("requests site " + entry["id"].dump() + " has its requests", site && site->requests);
    if (site && site->requests) {
      expect_equal("requests", site->requests->requests, entry["requests"]);
      expect_equal("overlap_fraction", site->requests->overlap_fraction, entry["overlap_fraction"]);
    }
  }
  for (const auto& site : profile.callsites) {
    expect("site " + std::to_string(site.id) + " has sizes only where the file gives them",
           with_sizes.count(site.id) == 1 || (site.sizes.sent.empty() && site.sizes.received.empty()));
    expect("site " + std::to_string(site.id) + " has a wait only where the file gives one",
           with_wait.count(site.id) == std::size_t(site.wait.has_value()));
    expect("site " + std::to_string(site.id) + " has requests only where the file gives them",
           with_requests.count(site.id) == std::size_t(site.requests.has_value()));
  }
  expect_equal("wait_states.late_sender_s", profile.wait_states.late_sender_s, file["wait_states"]["late_sender_s"]);
}

void check_sections(const Profile& profile, const json& file) {
  const json& matrix = file["comm_matrix"];
  expect_equal("comm_matrix.total_bytes", profile.comm_matrix.total_bytes, matrix["total_bytes"]);
  std::uint64_t bytes = 0;
  for (const auto& pair : profile.comm_matrix.pairs) {
    bytes += pair.bytes;
    if (matrix.contains("bytes")) {
      expect_equal("comm_matrix.bytes[s][r]", pair.bytes, matrix["bytes"][pair.sender][pair.receiver]);
      expect_equal("comm_matrix.messages[s][r]", pair.messages, matrix["messages"][pair.sender][pair.receiver]);
    }
  }
  expect_equal("comm_matrix: the pairs' bytes add up to total_bytes", bytes, matrix["total_bytes"]);
  expect_equal("imbalance.mpi_time.cv", profile.imbalance.mpi_time.cv, file["imbalance"]["mpi_time"]["cv"]);
  expect_equal("imbalance.per_rank", profile.imbalance.per_rank.size(), file["imbalance"]["per_rank"].size());
  expect_equal("imbalance.callsites", profile.imbalance.callsite_ids.size(), file["imbalance"]["callsites"].size());
  expect_equal("regions", profile.regions.size(), file["regions"].size());
  expect_equal("compressibility.sample_every", profile.compressibility.sample_every,
               file["compressibility"]["sample_every"]);
  expect_equal("counters", profile.counters.has_value(), file.contains("counters"));
  if (profile.counters && file.contains("counters")) {
    expect_equal("counters.measured", profile.counters->measured, file["counters"]["measured"]);
    expect_equal("counters.fallback", profile.counters->fallback, file["counters"]["fallback"]);
    expect_equal("counters.totals", profile.counters->totals,
                 file["counters"]["totals"].get<std::map<std::string, std::uint64_t>>());
  }
}

void check_planted(const Profile& profile, const std::set<std::string>& flags) {
  auto any = [&](auto has) {
    for (const auto& site : profile.callsites)
      if (has(site)) return true;
    return false;
  };
  if (flags.count("--expect-wait")) expect("a site with a wait state", any([](const auto& s) { return bool(s.wait); }));
  if (flags.count("--expect-requests")) {
    expect("a site with requests", any([](const auto& s) { return bool(s.requests); }));
  }
  if (flags.count("--expect-compressibility")) {
    expect("a site with compressibility samples", any([](const auto& s) { return bool(s.compressibility); }));
  }
  if (flags.count("--expect-counters")) {
    expect("counters", profile.counters && !profile.counters->measured.empty());
    expect("a site with counters", any([](const auto& s) { return !s.counters.empty(); }));
  }
  if (flags.count("--partial"))
    expect("a partial profile with its reason", !profile.complete && !profile.partial_reason.empty());
}

void check_hardware(const fs::path& out, const Profile& profile, const std::vector<std::string>& launcher_words) {
  using namespace commtune::tuner;
  const fs::path file = run_directory::hardware_path(out);
  expect(file.string() + " exists", fs::exists(file));
  if (!fs::exists(file)) return;
  const json document = load(file);
  const HardwareFingerprint recorded = HardwareFingerprint::from_json(document);  // throws when it does not read
  expect_equal("hardware.json: id as written vs as recomputed from its fields", document["id"], recorded.id());
  HardwareFingerprint expected;
  expected.topology = detect_topology();
  expected.mpi = parse_mpi_library(profile.mpi_library);
  expected.launch = collect_launch_settings(current_environment(), launcher_words);
  expected.launch.nodes = 1;  // ctest runs every rank here
  expected.launch.ranks_per_node = profile.ranks;
  expect_equal("hardware.json identity vs the tuner's", recorded.identity(), expected.identity());
  expect_equal("hardware.json id vs the tuner's", recorded.id(), expected.id());
  expect("hardware.json names the MPI library", !recorded.mpi.implementation.empty() && !recorded.mpi.version.empty());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s OUT [--expect-...] [--hardware -- LAUNCHER WORDS...]\n", argv[0]);
    return 2;
  }
  const fs::path out = argv[1];
  std::set<std::string> flags;
  std::vector<std::string> launcher_words;
  bool after_separator = false;
  for (int i = 2; i < argc; ++i) {
    if (after_separator) {
      launcher_words.emplace_back(argv[i]);
    } else if (std::string(argv[i]) == "--") {
      after_separator = true;
    } else {
      flags.insert(argv[i]);
    }
  }
  try {
    const Profile profile = commtune::profile::read_profile(out);
    const json file = load(run_directory::profile_path(out));
    check_run(profile, file);
    check_callsites(profile, file);
    check_joined_sections(profile, file);
    check_sections(profile, file);
    check_planted(profile, flags);
    if (flags.count("--hardware")) check_hardware(out, profile, launcher_words);
  } catch (const std::exception& error) {
    std::printf("FAILED: %s\n", error.what());
    return 1;
  }
  std::printf("check_reader: %d checks, %d failed\n", g_checks, g_problems);
  return g_problems == 0 ? 0 : 1;
}
