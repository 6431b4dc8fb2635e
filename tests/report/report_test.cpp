// Tests of the report (pmpi_hooks/report): synthetic rank dumps with known numbers go through
// write_report(); profile.json and summary.txt must hold exactly the merged figures.
//
// The run of kRank0..kRank2 (3 ranks, rank 2 on a clock twice as fast), in milliseconds:
//   site                         rank 0         rank 1         rank 2      total
//   MPI_Allreduce [solver]       5 (min 0.5)    3 (min 0.4)    2 (min 0.3) 10     collective
//   MPI_Recv                     -              5              1           6      late sender
//   MPI_Send                     2              1.5            -           3.5    late receiver
//   MPI_Init                     1              1              1           3
//   MPI_Send [solver]            0.1            -              -           0.1
//   MPI_Irecv                    0.04           -              -           0.04   4 requests
//   MPI_Finalize                 0              0              0           0
// Module ids differ between ranks (heat and libsolver.so swap on rank 1); regions too.
#include "report/report.hpp"

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <link.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "commtune/pmpi/size_bins.hpp"
#include "functions.hpp"  // generated from the installed mpi.h
#include "report/category.hpp"

namespace {

namespace fs = std::filesystem;
using commtune::report::Options;
using commtune::report::Result;
using nlohmann::json;

const char* const kRank0 = R"json({
 "schema": "commtune.rank/1", "reason": "finalize", "rank": 0, "size": 3, "pid": 100, "host": "node1",
 "program": "heat", "command": "mpirun -np 3 ./heat", "mpi_library": "Open MPI v4.1.4",
 "clock": "tsc", "ticks_per_second": 1000000000, "start_unix_ns": 1700000000000000000,
 "wall_ns": 20000000, "init_ns": 1000000, "threads": 1, "untracked_requests": 0, "callsite_depth": 2,
 "regions": ["", "solver"],
 "modules": [{"id": 0, "path": "/opt/app/heat"}, {"id": 1, "path": "/usr/lib/libsolver.so"}],
 "size_floor_ticks": [[11, 50000]],
 "sites": [
  {"function": "MPI_Init", "region": 0, "frames": [], "calls": 1, "ticks": 1000000,
   "min_ticks": 1000000, "max_ticks": 1000000},
  {"function": "MPI_Send", "region": 0, "frames": [[0, 4096]], "calls": 10, "ticks": 2000000,
   "min_ticks": 100000, "max_ticks": 400000, "bytes_sent": 10240, "bytes_received": 0,
   "sent_sizes": [[11, 10]], "received_sizes": [], "wait_kind": "late_receiver",
   "wait_calls": 10, "wait_ticks": 2000000, "wait_bytes": 10240, "comm_size": 0,
   "requests": 0, "request_life_ticks": 0, "request_inside_ticks": 0},
  {"function": "MPI_Send", "region": 1, "frames": [[0, 4096]], "calls": 2, "ticks": 100000,
   "min_ticks": 50000, "max_ticks": 50000, "bytes_sent": 200000, "sent_sizes": [[17, 2]],
   "wait_kind": "none"},
  {"function": "MPI_Allreduce", "region": 1, "frames": [[0, 12288], [0, 16384]], "calls": 5,
   "ticks": 5000000, "min_ticks": 500000, "max_ticks": 2000000, "bytes_sent": 40, "bytes_received": 40,
   "sent_sizes": [[4, 5]], "received_sizes": [[4, 5]], "wait_kind": "collective", "wait_calls": 5,
   "wait_ticks": 5000000, "wait_bytes": 40, "comm_size": 3},
  {"function": "MPI_Irecv", "region": 0, "frames": [[0, 20480]], "calls": 4, "ticks": 40000,
   "min_ticks": 10000, "max_ticks": 10000, "requests": 4, "request_life_ticks": 8000000,
   "request_inside_ticks": 2000000},
  {"function": "MPI_Finalize", "region": 0, "frames": [], "calls": 1, "ticks": 0}
 ],
 "matrix": [[1, 12, 210240]]
})json";

const char* const kRank1 = R"json({
 "schema": "commtune.rank/1", "reason": "finalize", "rank": 1, "size": 3, "pid": 101, "host": "node1",
 "program": "heat", "command": "mpirun -np 3 ./heat", "mpi_library": "Open MPI v4.1.4",
 "clock": "tsc", "ticks_per_second": 1000000000, "start_unix_ns": 1700000000000000001,
 "wall_ns": 20000000, "init_ns": 1000000, "threads": 1, "untracked_requests": 2, "callsite_depth": 2,
 "regions": ["", "io", "solver"],
 "modules": [{"id": 0, "path": "/usr/lib/libsolver.so"}, {"id": 1, "path": "/opt/app/heat"}],
 "size_floor_ticks": [[4, 1000], [11, 30000]],
 "sites": [
  {"function": "MPI_Init", "region": 0, "frames": [], "calls": 1, "ticks": 1000000},
  {"function": "MPI_Send", "region": 0, "frames": [[1, 4096]], "calls": 10, "ticks": 1500000,
   "min_ticks": 100000, "max_ticks": 300000, "bytes_sent": 10240, "sent_sizes": [[11, 10]],
   "wait_kind": "late_receiver", "wait_calls": 10, "wait_ticks": 1500000, "wait_bytes": 10240},
  {"function": "MPI_Recv", "region": 0, "frames": [[0, 8192]], "calls": 10, "ticks": 5000000,
   "min_ticks": 50000, "max_ticks": 2000000, "bytes_received": 10240, "received_sizes": [[11, 10]],
   "wait_kind": "late_sender", "wait_calls": 4, "wait_ticks": 4000000, "wait_bytes": 4096},
  {"function": "MPI_Allreduce", "region": 2, "frames": [[1, 12288], [1, 16384]], "calls": 5,
   "ticks": 3000000, "min_ticks": 400000, "max_ticks": 1000000, "bytes_sent": 40, "bytes_received": 40,
   "sent_sizes": [[4, 5]], "received_sizes": [[4, 5]], "wait_kind": "collective", "wait_calls": 5,
   "wait_ticks": 3000000, "wait_bytes": 40, "comm_size": 3},
  {"function": "MPI_Finalize", "region": 0, "frames": [], "calls": 1, "ticks": 0}
 ],
 "matrix": [[0, 10, 10240]]
})json";

const char* const kRank2 = R"json({
 "schema": "commtune.rank/1", "reason": "finalize", "rank": 2, "size": 3, "pid": 200, "host": "node2",
 "program": "not-from-rank-0", "command": "not from rank 0", "mpi_library": "Open MPI v4.1.4",
 "clock": "tsc", "ticks_per_second": 2000000000, "start_unix_ns": 1700000000000000002,
 "wall_ns": 19000000, "init_ns": 1000000, "threads": 1, "untracked_requests": 0, "callsite_depth": 1,
 "regions": ["", "solver"],
 "modules": [{"id": 0, "path": "/opt/app/heat"}, {"id": 1, "path": "/usr/lib/libsolver.so"}],
 "size_floor_ticks": [[11, 40000]],
 "sites": [
  {"function": "MPI_Init", "region": 0, "frames": [], "calls": 1, "ticks": 2000000},
  {"function": "MPI_Recv", "region": 0, "frames": [[1, 8192]], "calls": 10, "ticks": 2000000,
   "min_ticks": 100000, "max_ticks": 400000, "bytes_received": 10240, "received_sizes": [[11, 10]],
   "wait_kind": "late_sender", "wait_calls": 2, "wait_ticks": 1000000, "wait_bytes": 100},
  {"function": "MPI_Allreduce", "region": 1, "frames": [[0, 12288], [0, 16384]], "calls": 5,
   "ticks": 4000000, "min_ticks": 600000, "max_ticks": 1000000, "bytes_sent": 40, "bytes_received": 40,
   "sent_sizes": [[4, 5]], "received_sizes": [[4, 5]], "wait_kind": "collective", "wait_calls": 5,
   "wait_ticks": 4000000, "wait_bytes": 40, "comm_size": 3},
  {"function": "MPI_Finalize", "region": 0, "frames": [], "calls": 1, "ticks": 0}
 ],
 "matrix": []
})json";

constexpr double kMs = 1e-3;
constexpr double kTolerance = 1e-12;

std::vector<std::string> three_ranks() { return {kRank2, kRank0, kRank1}; }  // any order

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Changes one key of a dump's text.
std::string with(const std::string& dump, const std::string& key, const json& value) {
  json parsed = json::parse(dump);
  parsed[key] = value;
  return parsed.dump();
}

// A one-site dump of a world of `size` ranks: `mpi_ms` milliseconds in MPI_Barrier, a send of
// `bytes` to `destination`.
std::string small_dump(int rank, int size, double mpi_ms, int destination, std::uint64_t bytes) {
  json dump = json::parse(kRank0);
  dump["rank"] = rank;
  dump["size"] = size;
  dump["host"] = "node" + std::to_string(rank / 4);
  dump["sites"] = json::array({json{{"function", "MPI_Barrier"},
                                    {"region", 0},
                                    {"frames", json::array({json::array({0, 0x1000 + rank})})},
                                    {"calls", 1},
                                    {"ticks", std::uint64_t(mpi_ms * 1e6)},
                                    {"min_ticks", std::uint64_t(mpi_ms * 1e6)}}});
  dump["matrix"] = json::array({json::array({destination, 1, bytes})});
  return dump.dump();
}

Options quiet_options() {
  Options options;
  options.quiet = true;
  return options;
}

class Report : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("commtune-report-test-" + std::to_string(getpid()) + "-" + test->test_suite_name() + "-" + test->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs write_report quietly; profile_ and summary_ hold what it wrote.
  Result report(const std::vector<std::string>& dumps, Options options = {}) {
    options.quiet = true;
    Result result = commtune::report::write_report(dumps, dir_, options);
    if (result.ok) load();
    return result;
  }

  void load() {
    profile_ = json::parse(read_text(dir_ / "profile.json"));
    summary_ = read_text(dir_ / "summary.txt");
  }

  const json& site(const std::string& function, const std::string& region = "") const {
    for (const json& each : profile_["callsites"])
      if (each["function"] == function && each["region"] == region) return each;
    ADD_FAILURE() << "no call site " << function << " [" << region << "]";
    static const json none = json::object();
    return none;
  }

  const json& function(const std::string& name) const {
    for (const json& each : profile_["functions"])
      if (each["name"] == name) return each;
    ADD_FAILURE() << "no function " << name;
    static const json none = json::object();
    return none;
  }

  fs::path dir_;
  json profile_;
  std::string summary_;
};

using Merge = Report;
using Partial = Report;
using Output = Report;

TEST_F(Merge, HeaderAndTotals) {
  const Result result = report(three_ranks());
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_TRUE(result.complete);
  EXPECT_TRUE(result.warnings.empty());
  EXPECT_EQ(result.profile, dir_ / "profile.json");
  EXPECT_EQ(result.summary, dir_ / "summary.txt");
  EXPECT_EQ(profile_["schema"], "commtune.profile/2");
  EXPECT_EQ(profile_["complete"], true);
  EXPECT_FALSE(profile_.contains("partial_reason"));
  EXPECT_EQ(profile_["ranks"], 3);
  EXPECT_EQ(profile_["ranks_reported"], 3);
  EXPECT_EQ(profile_["missing_ranks"], json::array());
  // From the lowest rank.
  EXPECT_EQ(profile_["program"], "heat");
  EXPECT_EQ(profile_["command"], "mpirun -np 3 ./heat");
  EXPECT_EQ(profile_["mpi_library"], "Open MPI v4.1.4");
  EXPECT_EQ(profile_["clock"]["source"], "tsc");
  EXPECT_DOUBLE_EQ(profile_["clock"]["seconds_per_tick"].get<double>(), 1e-9);
  EXPECT_EQ(profile_["started_at"], "2023-11-14T22:13:20Z");
  EXPECT_EQ(profile_["callsite_depth"], 2);
  EXPECT_EQ(profile_["untracked_requests"], 2);

  EXPECT_NEAR(profile_["wall_time_s"].get<double>(), 20 * kMs, kTolerance);
  EXPECT_NEAR(profile_["mpi_time_s"].get<double>(), (8.14 + 10.5 + 4) * kMs, kTolerance);
  EXPECT_NEAR(profile_["app_time_s"].get<double>(), (11.86 + 9.5 + 15) * kMs, kTolerance);
  EXPECT_NEAR(profile_["mpi_time_fraction"].get<double>(), 22.64 / 60, kTolerance);
  // Start-up (MPI_Init: 1 ms on each rank) and shut-down (MPI_Finalize: 0) apart from communication.
  EXPECT_NEAR(profile_["startup_s"].get<double>(), 3 * kMs, kTolerance);
  EXPECT_NEAR(profile_["shutdown_s"].get<double>(), 0.0, kTolerance);
  EXPECT_NEAR(profile_["communication_s"].get<double>(), (22.64 - 3) * kMs, kTolerance);
  EXPECT_NEAR(profile_["communication_fraction"].get<double>(), 19.64 / 60, kTolerance);
  EXPECT_NEAR(profile_["per_rank"][2]["startup_s"].get<double>(), 1 * kMs, kTolerance);
  EXPECT_NEAR(profile_["per_rank"][2]["communication_s"].get<double>(), 3 * kMs, kTolerance);

  const json& per_rank = profile_["per_rank"];
  ASSERT_EQ(per_rank.size(), 3u);
  EXPECT_EQ(per_rank[2]["rank"], 2);
  EXPECT_EQ(per_rank[2]["host"], "node2");
  EXPECT_EQ(per_rank[2]["pid"], 200);
  EXPECT_EQ(per_rank[2]["reason"], "finalize");
  EXPECT_NEAR(per_rank[2]["wall_time_s"].get<double>(), 19 * kMs, kTolerance);
  // Rank 2's ticks are half as long.
  EXPECT_NEAR(per_rank[2]["mpi_time_s"].get<double>(), 4 * kMs, kTolerance);
  EXPECT_NEAR(per_rank[2]["app_time_s"].get<double>(), 15 * kMs, kTolerance);
  EXPECT_EQ(per_rank[2]["functions"][0]["name"], "MPI_Allreduce");
  EXPECT_NEAR(per_rank[2]["functions"][0]["time_s"].get<double>(), 2 * kMs, kTolerance);
}

TEST_F(Merge, FunctionTotalsAreSumsOfSites) {
  ASSERT_TRUE(report(three_ranks()).ok);
  std::vector<std::string> order;
  for (const json& each : profile_["functions"]) order.push_back(each["name"]);
  EXPECT_EQ(order, (std::vector<std::string>{"MPI_Allreduce", "MPI_Recv", "MPI_Send", "MPI_Init", "MPI_Irecv",
                                             "MPI_Finalize"}));
  const json& send = function("MPI_Send");
  EXPECT_EQ(send["category"], "p2p");
  EXPECT_EQ(send["calls"], 22);
  EXPECT_NEAR(send["time_s"].get<double>(), 3.6 * kMs, kTolerance);
  EXPECT_EQ(send["bytes_sent"], 220480);
  EXPECT_EQ(send["bytes_received"], 0);
  EXPECT_EQ(function("MPI_Recv")["calls"], 20);
  EXPECT_EQ(function("MPI_Recv")["bytes_received"], 20480);
  EXPECT_EQ(function("MPI_Allreduce")["category"], "collective");
  EXPECT_NEAR(function("MPI_Allreduce")["time_s"].get<double>(), 10 * kMs, kTolerance);
  EXPECT_EQ(function("MPI_Init")["calls"], 3);
  EXPECT_EQ(function("MPI_Init")["category"], "lifecycle");
  EXPECT_EQ(function("MPI_Irecv")["category"], "p2p");
  EXPECT_EQ(function("MPI_Finalize")["calls"], 3);
}

TEST_F(Merge, CallSitesMatchAcrossRanksByModulePath) {
  ASSERT_TRUE(report(three_ranks()).ok);
  const json& sites = profile_["callsites"];
  ASSERT_EQ(sites.size(), 7u);  // MPI_Send twice: two regions
  std::vector<std::string> order;
  for (std::size_t i = 0; i < sites.size(); ++i) {
    EXPECT_EQ(sites[i]["id"], i + 1);
    order.push_back(sites[i]["function"].get<std::string>() + "@" + sites[i]["region"].get<std::string>());
  }
  EXPECT_EQ(order, (std::vector<std::string>{"MPI_Allreduce@solver", "MPI_Recv@", "MPI_Send@", "MPI_Init@",
                                             "MPI_Send@solver", "MPI_Irecv@", "MPI_Finalize@"}));

  // Rank 1 calls libsolver.so module 0 and heat module 1; the sites still merge.
  const json& recv = site("MPI_Recv");
  EXPECT_EQ(recv["ranks"], 2);
  EXPECT_EQ(recv["calls"], 20);
  EXPECT_EQ(recv["module"], "/usr/lib/libsolver.so");
  EXPECT_EQ(recv["offset"], "0x2000");
  const json& allreduce = site("MPI_Allreduce", "solver");
  EXPECT_EQ(allreduce["ranks"], 3);
  EXPECT_EQ(allreduce["calls"], 15);
  EXPECT_EQ(allreduce["comm_size"], 3);
  EXPECT_EQ(allreduce["bytes_sent"], 120);
  ASSERT_EQ(allreduce["frames"].size(), 2u);
  EXPECT_EQ(allreduce["frames"][0]["module"], "/opt/app/heat");
  EXPECT_EQ(allreduce["frames"][0]["offset"], "0x3000");
  EXPECT_EQ(allreduce["frames"][1]["offset"], "0x4000");
  // The module files do not exist here: module and offset only.
  EXPECT_EQ(allreduce["file"], "");
  EXPECT_EQ(allreduce["line"], 0);
  EXPECT_EQ(allreduce["debug_info"], false);
  EXPECT_EQ(site("MPI_Send")["ranks"], 2);
  EXPECT_EQ(site("MPI_Send", "solver")["calls"], 2);

  // No frames (MPI_Init): empty location.
  const json& init = site("MPI_Init");
  EXPECT_EQ(init["file"], "");
  EXPECT_EQ(init["line"], 0);
  EXPECT_EQ(init["symbol"], "");
  EXPECT_EQ(init["module"], "");
  EXPECT_EQ(init["frames"], json::array());
  EXPECT_EQ(init["offset"], "0x0");
  EXPECT_EQ(init["ranks"], 3);
}

TEST_F(Merge, TimePerRankSpreadCountsAbsentRanksAsZero) {
  ASSERT_TRUE(report(three_ranks()).ok);
  const json& allreduce = site("MPI_Allreduce", "solver")["time_per_rank"];
  const double mean = 10.0 / 3 * kMs;
  const double deviation =
      std::sqrt((std::pow(5 * kMs - mean, 2) + std::pow(3 * kMs - mean, 2) + std::pow(2 * kMs - mean, 2)) / 3);
  EXPECT_NEAR(allreduce["min"].get<double>(), 2 * kMs, kTolerance);
  EXPECT_EQ(allreduce["min_rank"], 2);
  EXPECT_NEAR(allreduce["mean"].get<double>(), mean, kTolerance);
  EXPECT_NEAR(allreduce["max"].get<double>(), 5 * kMs, kTolerance);
  EXPECT_EQ(allreduce["max_rank"], 0);
  EXPECT_NEAR(allreduce["cv"].get<double>(), deviation / mean, 1e-9);

  // Only rank 0 posts MPI_Irecv: ranks 1 and 2 count as 0, the lowest of them is the minimum.
  const json& irecv = site("MPI_Irecv")["time_per_rank"];
  EXPECT_EQ(irecv["min"], 0.0);
  EXPECT_EQ(irecv["min_rank"], 1);
  EXPECT_NEAR(irecv["mean"].get<double>(), 0.04 * kMs / 3, kTolerance);
  EXPECT_EQ(irecv["max_rank"], 0);
  EXPECT_NEAR(irecv["cv"].get<double>(), std::sqrt(2.0), 1e-9);  // one of three ranks

  const json& imbalance = profile_["imbalance"];
  EXPECT_NEAR(imbalance["mpi_time"]["min"].get<double>(), 4 * kMs, kTolerance);
  EXPECT_EQ(imbalance["mpi_time"]["min_rank"], 2);
  EXPECT_NEAR(imbalance["mpi_time"]["max"].get<double>(), 10.5 * kMs, kTolerance);
  EXPECT_EQ(imbalance["mpi_time"]["max_rank"], 1);
  EXPECT_NEAR(imbalance["per_rank"][1]["mpi_fraction"].get<double>(), 10.5 / 20, kTolerance);
  // By standard deviation: MPI_Recv (0, 5, 1 ms) varies most, then MPI_Allreduce.
  ASSERT_GE(imbalance["callsites"].size(), 2u);
  EXPECT_EQ(imbalance["callsites"][0]["function"], "MPI_Recv");
  EXPECT_EQ(imbalance["callsites"][0]["max_rank"], 1);
  EXPECT_EQ(imbalance["callsites"][1]["function"], "MPI_Allreduce");
  for (const json& each : imbalance["callsites"]) EXPECT_NE(each["function"], "MPI_Init");  // 1 ms everywhere
}

TEST_F(Merge, CommunicationMatrixIsDense) {
  ASSERT_TRUE(report(three_ranks()).ok);
  const json& matrix = profile_["comm_matrix"];
  EXPECT_EQ(matrix["ranks"], 3);
  EXPECT_EQ(matrix["total_bytes"], 220480);
  EXPECT_EQ(matrix["total_messages"], 22);
  EXPECT_EQ(matrix["bytes"], json::parse("[[0, 210240, 0], [10240, 0, 0], [0, 0, 0]]"));
  EXPECT_EQ(matrix["messages"], json::parse("[[0, 12, 0], [10, 0, 0], [0, 0, 0]]"));
  EXPECT_FALSE(matrix.contains("pairs"));
}

TEST_F(Merge, MessageSizeBins) {
  ASSERT_TRUE(report(three_ranks()).ok);
  const json& sizes = profile_["message_sizes"];
  EXPECT_NE(sizes["bins"].get<std::string>().find("bin k: [2^(k-1), 2^k - 1]"), std::string::npos);
  const json* send = nullptr;
  for (const json& each : sizes["functions"])
    if (each["function"] == "MPI_Send") send = &each;
  ASSERT_NE(send, nullptr);
  EXPECT_EQ((*send)["sent"], json::parse(R"([{"bin": 11, "min_bytes": 1024, "max_bytes": 2047, "count": 20},
                                             {"bin": 17, "min_bytes": 65536, "max_bytes": 131071, "count": 2}])"));
  EXPECT_EQ((*send)["received"], json::array());
  // Per call site: the MPI_Send in "solver" alone has the 100000-byte messages.
  const int solver_send = site("MPI_Send", "solver")["id"];
  bool found = false;
  for (const json& each : sizes["callsites"])
    if (each["id"] == solver_send) {
      found = true;
      EXPECT_EQ(each["sent"], json::parse(R"([{"bin": 17, "min_bytes": 65536, "max_bytes": 131071, "count": 2}])"));
    }
  EXPECT_TRUE(found);

  EXPECT_EQ(commtune::pmpi::size_bin(0), 0);
  EXPECT_EQ(commtune::pmpi::size_bin(1), 1);
  EXPECT_EQ(commtune::pmpi::size_bin(1024), 11);
  EXPECT_EQ(commtune::pmpi::size_bin(2047), 11);
  EXPECT_EQ(commtune::pmpi::size_bin(std::uint64_t{1} << 50), 40);
  EXPECT_EQ(commtune::pmpi::size_bin_min_bytes(40), std::uint64_t{1} << 39);
  EXPECT_FALSE(commtune::pmpi::size_bin_max_bytes(40).has_value());
}

TEST_F(Merge, WaitStateEstimates) {
  ASSERT_TRUE(report(three_ranks()).ok);
  const json& waits = profile_["wait_states"];
  EXPECT_FALSE(waits["method"].get<std::string>().empty());
  // Floors: bin 4 = 1 us (rank 1), bin 11 = min(50, 30, 20) us (rank 2's 40000 ticks at 2 GHz).
  // Late sender: rank 1 waits 4 ms in 4 receives of 1024 bytes: 4 - 4 * 0.02 = 3.92 ms; rank 2
  // 0.5 ms in 2 receives of 50 bytes (bin 6, unknown: bin 4's floor): 0.5 - 2 * 0.001 = 0.498 ms.
  EXPECT_NEAR(waits["late_sender_s"].get<double>(), 4.418 * kMs, kTolerance);
  // Late receiver: rank 0: 2 - 10 * 0.02 = 1.8 ms; rank 1: 1.5 - 0.2 = 1.3 ms.
  EXPECT_NEAR(waits["late_receiver_s"].get<double>(), 3.1 * kMs, kTolerance);
  // Collective: fastest instance 0.3 ms (rank 2); 5 calls each: 5 - 1.5, 3 - 1.5, 2 - 1.5 ms.
  EXPECT_NEAR(waits["wait_at_collective_s"].get<double>(), 5.5 * kMs, kTolerance);

  const json& sites = waits["callsites"];
  ASSERT_EQ(sites.size(), 3u);
  EXPECT_EQ(sites[0]["function"], "MPI_Allreduce");
  EXPECT_EQ(sites[0]["kind"], "collective");
  EXPECT_NEAR(sites[0]["time_s"].get<double>(), 5.5 * kMs, kTolerance);
  EXPECT_EQ(sites[0]["instances"], 15);
  EXPECT_NEAR(sites[0]["per_rank_max_s"].get<double>(), 3.5 * kMs, kTolerance);
  EXPECT_EQ(sites[0]["max_rank"], 0);
  EXPECT_EQ(sites[1]["function"], "MPI_Recv");
  EXPECT_EQ(sites[1]["kind"], "late_sender");
  EXPECT_EQ(sites[1]["instances"], 6);
  EXPECT_NEAR(sites[1]["per_rank_max_s"].get<double>(), 3.92 * kMs, kTolerance);
  EXPECT_EQ(sites[1]["max_rank"], 1);
  EXPECT_EQ(sites[1]["id"], site("MPI_Recv")["id"]);
  EXPECT_EQ(sites[2]["function"], "MPI_Send");
  EXPECT_EQ(sites[2]["kind"], "late_receiver");
  EXPECT_EQ(sites[2]["instances"], 20);
}

TEST_F(Merge, RequestOverlap) {
  ASSERT_TRUE(report(three_ranks()).ok);
  const json& requests = profile_["requests"]["callsites"];
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0]["function"], "MPI_Irecv");
  EXPECT_EQ(requests[0]["requests"], 4);
  EXPECT_NEAR(requests[0]["lifetime_s"].get<double>(), 8 * kMs, kTolerance);
  EXPECT_NEAR(requests[0]["mean_lifetime_s"].get<double>(), 2 * kMs, kTolerance);
  EXPECT_NEAR(requests[0]["inside_completion_s"].get<double>(), 2 * kMs, kTolerance);
  EXPECT_NEAR(requests[0]["overlap_fraction"].get<double>(), 0.75, kTolerance);
}

TEST_F(Merge, Regions) {
  ASSERT_TRUE(report(three_ranks()).ok);
  const json& regions = profile_["regions"];
  ASSERT_EQ(regions.size(), 2u);
  EXPECT_EQ(regions[0]["name"], "");
  EXPECT_EQ(regions[0]["calls"], 50);
  EXPECT_NEAR(regions[0]["time_s"].get<double>(), 12.54 * kMs, kTolerance);
  EXPECT_EQ(regions[1]["name"], "solver");
  EXPECT_EQ(regions[1]["calls"], 17);
  EXPECT_NEAR(regions[1]["time_s"].get<double>(), 10.1 * kMs, kTolerance);
  EXPECT_EQ(regions[1]["bytes_sent"], 200120);
  EXPECT_EQ(regions[1]["bytes_received"], 120);
}

TEST_F(Merge, CategoryFromTheDumpOrFromTheName) {
  json dump = json::parse(kRank0);
  dump["size"] = 1;
  dump["matrix"] = json::array();
  dump["sites"][1]["category"] = "completion";  // the dump's word wins
  ASSERT_TRUE(report({dump.dump()}).ok);
  EXPECT_EQ(function("MPI_Send")["category"], "completion");
  EXPECT_EQ(site("MPI_Send")["category"], "completion");
  EXPECT_EQ(site("MPI_Send", "solver")["category"], "p2p");

  using commtune::report::category_of_function;
  EXPECT_EQ(category_of_function("MPI_Isend"), "p2p");
  EXPECT_EQ(category_of_function("MPI_Sendrecv_replace"), "p2p");
  EXPECT_EQ(category_of_function("MPI_Improbe"), "p2p");
  EXPECT_EQ(category_of_function("MPI_Iallreduce"), "collective");
  EXPECT_EQ(category_of_function("MPI_Ineighbor_alltoallw"), "collective");
  EXPECT_EQ(category_of_function("MPI_Reduce_scatter_block"), "collective");
  EXPECT_EQ(category_of_function("MPI_Put"), "rma");
  EXPECT_EQ(category_of_function("MPI_Win_fence"), "rma");
  EXPECT_EQ(category_of_function("MPI_File_write_all"), "io");
  EXPECT_EQ(category_of_function("MPI_Waitall"), "completion");
  EXPECT_EQ(category_of_function("MPI_Testsome"), "completion");
  EXPECT_EQ(category_of_function("MPI_Startall"), "completion");
  EXPECT_EQ(category_of_function("MPI_Request_free"), "completion");
  EXPECT_EQ(category_of_function("MPI_Init_thread"), "lifecycle");
  EXPECT_EQ(category_of_function("MPI_Abort"), "lifecycle");
  EXPECT_EQ(category_of_function("MPI_Comm_split"), "other");
  EXPECT_EQ(category_of_function("MPI_Get_count"), "other");
  EXPECT_EQ(category_of_function("MPI_Reduce_local"), "other");
  EXPECT_EQ(category_of_function("MPI_Not_a_function"), "other");
  // The report decides nothing itself: every function of this MPI has the generator's category.
  for (std::size_t i = 0; i < commtune::pmpi::kFunctionCount; ++i) {
    EXPECT_EQ(category_of_function(commtune::pmpi::kFunctionNames[i]), commtune::pmpi::kFunctionCategories[i])
        << commtune::pmpi::kFunctionNames[i];
  }
}

// COMMTUNE_PAPI and payload samples: ranks that counted different events (one with a PMU, one
// with stand-ins) merge by event name; compressibility sums samples and converts each rank's ticks.
std::vector<std::string> measured_dumps() {
  std::vector<std::string> dumps;
  const json counters[] = {
      json{{"requested", {"PAPI_TOT_CYC"}}, {"measured", {"PAPI_TOT_CYC"}}, {"notes", json::array()}, {"fallback", 0}},
      json{{"requested", {"PAPI_TOT_CYC"}},
           {"measured", {"commtune::TASK-CLOCK", "commtune::PAGE-FAULTS"}},
           {"notes", {"PAPI_TOT_CYC cannot be counted here: no PMU"}},
           {"fallback", 1}}};
  const json values[] = {json::array({500}), json::array({7000, 3})};
  const json payloads[] = {json::array({1, 32768, 4096, 2048, 1000000, 2000000}),
                           json::array({1, 32768, 32768, 32768, 1000, 2000})};
  for (int rank = 0; rank < 2; ++rank) {
    json dump = json::parse(small_dump(rank, 2, 1.0, 1 - rank, 10));
    dump["sites"][0]["frames"] = json::array({json::array({0, 4096})});
    dump["sites"][0]["counters"] = values[rank];
    dump["sites"][0]["payload"] = payloads[rank];
    dump["counters"] = counters[rank];
    dump["payload_sampling"] = json::array({128, 65536, 32768});
    dumps.push_back(dump.dump());
  }
  return dumps;
}

TEST_F(Merge, CountersMergeByEventName) {
  const Result result = report(measured_dumps());
  ASSERT_TRUE(result.ok) << result.error;
  const json& counters = profile_["counters"];
  EXPECT_EQ(counters["requested"], json({"PAPI_TOT_CYC"}));
  EXPECT_EQ(counters["measured"], json({"PAPI_TOT_CYC", "commtune::TASK-CLOCK", "commtune::PAGE-FAULTS"}));
  EXPECT_EQ(counters["fallback"], true);
  EXPECT_EQ(counters["notes"], json({"PAPI_TOT_CYC cannot be counted here: no PMU"}));
  EXPECT_EQ(counters["totals"],
            json({{"PAPI_TOT_CYC", 500}, {"commtune::TASK-CLOCK", 7000}, {"commtune::PAGE-FAULTS", 3}}));
  EXPECT_EQ(counters["per_rank"][1]["values"]["commtune::TASK-CLOCK"], 7000);
  EXPECT_EQ(counters["per_rank"][1]["values"]["PAPI_TOT_CYC"], 0);
  const json& barrier = site("MPI_Barrier");
  EXPECT_EQ(barrier["counters"]["PAPI_TOT_CYC"], 500);
  EXPECT_EQ(barrier["counters"]["commtune::PAGE-FAULTS"], 3);
  EXPECT_NE(summary_.find("software events stand in: fallback"), std::string::npos) << summary_;
}

TEST_F(Merge, CompressibilitySumsSamplesAndConvertsTicks) {
  const Result result = report(measured_dumps());
  ASSERT_TRUE(result.ok) << result.error;
  const json& c = site("MPI_Barrier")["compressibility"];
  EXPECT_EQ(c["samples"], 2);
  EXPECT_EQ(c["sampled_bytes"], 65536);
  EXPECT_EQ(c["lz4_bytes"], 36864);
  EXPECT_EQ(c["zstd1_bytes"], 34816);
  EXPECT_DOUBLE_EQ(c["lz4_ratio"].get<double>(), 65536.0 / 36864.0);
  EXPECT_DOUBLE_EQ(c["zstd1_ratio"].get<double>(), 65536.0 / 34816.0);
  EXPECT_NEAR(c["lz4_mb_per_s"].get<double>(), 65536.0 / 0.001001 / 1e6, 1e-6);
  EXPECT_NEAR(c["zstd1_mb_per_s"].get<double>(), 65536.0 / 0.002002 / 1e6, 1e-6);
  EXPECT_EQ(profile_["compressibility"]["sample_every"], 128);
  EXPECT_EQ(profile_["compressibility"]["sample_bytes"], 32768);
  EXPECT_NE(summary_.find("Compressibility of send payloads"), std::string::npos);
}

TEST_F(Partial, CounterValuesMustMatchTheMeasuredEvents) {
  std::vector<std::string> dumps = measured_dumps();
  json bad = json::parse(dumps[1]);
  bad["sites"][0]["counters"] = json::array({7000});  // two events measured, one value
  dumps[1] = bad.dump();
  const Result result = report(dumps);
  ASSERT_TRUE(result.ok) << result.error;
  ASSERT_EQ(profile_["dump_errors"].size(), 1u);
  EXPECT_NE(profile_["dump_errors"][0].get<std::string>().find("sites[0].counters\": 1 values, expected 2"),
            std::string::npos)
      << profile_["dump_errors"][0];
}

TEST_F(Partial, MissingRank) {
  const Result result = report({kRank0, kRank2});
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_FALSE(result.complete);
  EXPECT_EQ(profile_["complete"], false);
  EXPECT_EQ(profile_["ranks"], 3);
  EXPECT_EQ(profile_["ranks_reported"], 2);
  EXPECT_EQ(profile_["missing_ranks"], json::array({1}));
  EXPECT_EQ(profile_["partial_reason"], "rank 1: no dump");
  // Spread over the ranks reported.
  EXPECT_NEAR(site("MPI_Allreduce", "solver")["time_per_rank"]["mean"].get<double>(), 3.5 * kMs, kTolerance);
  EXPECT_NE(summary_.find("PARTIAL"), std::string::npos);
  EXPECT_NE(summary_.find("rank 1: no dump"), std::string::npos);
}

TEST_F(Partial, SignalsListedCrashFirst) {
  const Result result =
      report({with(kRank0, "reason", "SIGTERM"), with(kRank1, "reason", "SIGSEGV"), with(kRank2, "reason", "SIGTERM")});
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_FALSE(result.complete);
  EXPECT_EQ(profile_["missing_ranks"], json::array());
  EXPECT_EQ(profile_["partial_reason"], "rank 1: SIGSEGV; ranks 0,2: SIGTERM");
  EXPECT_EQ(profile_["per_rank"][1]["reason"], "SIGSEGV");
  EXPECT_NE(summary_.find("PARTIAL"), std::string::npos);
}

TEST_F(Partial, OneRankSigtermOthersFinalized) {
  const Result result = report({kRank0, kRank1, with(kRank2, "reason", "SIGTERM")});
  ASSERT_TRUE(result.ok);
  EXPECT_FALSE(result.complete);
  EXPECT_EQ(profile_["partial_reason"], "rank 2: SIGTERM");
}

TEST_F(Partial, FallbackReasonComesFirst) {
  Options options;
  options.fallback_reason = "timeout after 10 s";
  ASSERT_TRUE(report({with(kRank0, "reason", "SIGTERM")}, options).ok);
  EXPECT_EQ(profile_["partial_reason"], "timeout after 10 s; rank 0: SIGTERM; ranks 1-2: no dump");
  // Not used when the run is complete.
  ASSERT_TRUE(report(three_ranks(), options).ok);
  EXPECT_FALSE(profile_.contains("partial_reason"));
}

TEST_F(Partial, MalformedDumpIsLeftOutWithAnError) {
  json bad = json::parse(kRank1);
  bad["sites"][2]["calls"] = "ten";
  const Result result = report({kRank0, bad.dump(), "{\"schema\": ", kRank2});
  ASSERT_TRUE(result.ok) << result.error;
  ASSERT_EQ(result.warnings.size(), 2u);
  EXPECT_EQ(result.warnings[0],
            "dump #1 (rank 1): key \"sites[2].calls\": expected a non-negative integer, got \"ten\"");
  EXPECT_NE(result.warnings[1].find("dump #2: not valid JSON"), std::string::npos) << result.warnings[1];
  EXPECT_FALSE(result.complete);
  EXPECT_EQ(profile_["ranks_reported"], 2);
  EXPECT_EQ(profile_["missing_ranks"], json::array({1}));
  EXPECT_EQ(profile_["partial_reason"], "rank 1: unreadable dump");
  EXPECT_EQ(profile_["dump_errors"].size(), 2u);
  EXPECT_NE(summary_.find("sites[2].calls"), std::string::npos);
}

TEST_F(Partial, DumpChecks) {
  auto error_of = [&](const std::string& dump) {
    const Result result = report({dump});
    EXPECT_FALSE(result.ok);
    return result.warnings.empty() ? std::string() : result.warnings.front();
  };
  json dump = json::parse(kRank0);
  dump["sites"][1]["frames"][0][0] = 7;
  EXPECT_EQ(error_of(dump.dump()), "dump #0 (rank 0): key \"sites[1].frames[0]\": module id 7 is not in \"modules\"");
  dump = json::parse(kRank0);
  dump["sites"][2]["region"] = 5;
  EXPECT_EQ(error_of(dump.dump()),
            "dump #0 (rank 0): key \"sites[2].region\": 5 is not an index of \"regions\" (size 2)");
  EXPECT_EQ(error_of(with(kRank0, "schema", "commtune.rank/9")),
            "dump #0 (rank 0): key \"schema\": \"commtune.rank/9\", expected \"commtune.rank/1\"");
  EXPECT_EQ(error_of(with(kRank0, "rank", 3)), "dump #0: key \"rank\": 3 is not below \"size\" (3)");
  EXPECT_EQ(error_of(with(kRank0, "ticks_per_second", -5)),
            "dump #0 (rank 0): key \"ticks_per_second\": expected a non-negative integer, got -5");
  dump = json::parse(kRank0);
  dump.erase("sites");
  EXPECT_EQ(error_of(dump.dump()), "dump #0 (rank 0): key \"sites\": missing");
  dump = json::parse(kRank0);
  dump["matrix"][0][0] = 3;
  EXPECT_EQ(error_of(dump.dump()), "dump #0 (rank 0): key \"matrix[0][0]\": rank 3 is not below \"size\" (3)");
  dump = json::parse(kRank0);
  dump["sites"][1]["sent_sizes"][0][0] = 41;
  EXPECT_EQ(error_of(dump.dump()), "dump #0 (rank 0): key \"sites[1].sent_sizes[0]\": bin 41 is not in 0..40");

  // Nothing usable: nothing written.
  const Result none = report({"[]"});
  EXPECT_FALSE(none.ok);
  EXPECT_NE(none.error.find("no usable rank dump"), std::string::npos) << none.error;
  EXPECT_FALSE(fs::exists(dir_ / "profile.json"));
  EXPECT_FALSE(report({}).ok);
}

// The library writes strict JSON (a byte outside valid UTF-8 as \u00XX): the reader takes the
// escape as the character and leaves out a dump that is not UTF-8.
TEST_F(Partial, InvalidUtf8IsEscapedAtTheSource) {
  std::string escaped = kRank0;
  const std::string command = "mpirun -np 3 ./heat";
  escaped.replace(escaped.find(command), command.size(), "./heat caf\\u00e9 \xc3\xa9");
  ASSERT_TRUE(report({escaped, kRank1, kRank2}).ok);
  EXPECT_EQ(profile_["command"], "./heat caf\xc3\xa9 \xc3\xa9");
  EXPECT_TRUE(profile_["complete"]);

  std::string raw = kRank0;
  raw.replace(raw.find(command), command.size(), "./heat caf\xe9");
  const Result result = report({raw, kRank1, kRank2});
  ASSERT_TRUE(result.ok);
  ASSERT_EQ(result.warnings.size(), 1u);
  EXPECT_EQ(result.warnings[0].rfind("dump #0: not valid JSON", 0), 0u) << result.warnings[0];
  EXPECT_EQ(profile_["missing_ranks"], json::array({0}));
}

TEST_F(Partial, InconsistentWorldsAndDuplicates) {
  const Result result = report({kRank0, kRank1, with(kRank2, "size", 4), kRank1});
  ASSERT_TRUE(result.ok);
  ASSERT_EQ(result.warnings.size(), 2u);
  EXPECT_EQ(result.warnings[0], "dump #3: a second dump of rank 1; the first one was used");
  EXPECT_EQ(result.warnings[1], "dump #2 (rank 2): key \"size\": 4, but rank 0's dump says 3");
  EXPECT_EQ(profile_["missing_ranks"], json::array({2}));
}

// clang-format off
__attribute__((noinline)) std::uintptr_t capture_return_address() {
  return reinterpret_cast<std::uintptr_t>(__builtin_return_address(0));
}

// The call and its __LINE__ must stay on one line.
__attribute__((noinline)) std::uintptr_t call_on_known_line(int* line) {
  const std::uintptr_t address = capture_return_address(); *line = __LINE__;
  return address;
}
// clang-format on

TEST_F(Output, RealCallSiteResolvesToFileAndLine) {
  int line = 0;
  const std::uintptr_t address = call_on_known_line(&line);
  Dl_info info{};
  link_map* map = nullptr;
  ASSERT_NE(dladdr1(reinterpret_cast<void*>(address - 1), &info, reinterpret_cast<void**>(&map), RTLD_DL_LINKMAP), 0);
  json dump = json::parse(kRank0);
  dump["size"] = 1;
  dump["matrix"] = json::array();
  dump["modules"] = json::array({json{{"id", 0}, {"path", fs::read_symlink("/proc/self/exe").string()}},
                                 json{{"id", 1}, {"path", "/nonexistent/libgone.so"}}});
  dump["sites"][1]["frames"] = json::array({json::array({0, address - map->l_addr})});
  dump["sites"][3]["frames"] = json::array({json::array({1, 0x1234})});  // MPI_Allreduce
  ASSERT_TRUE(report({dump.dump()}).ok);

  const json& send = site("MPI_Send");
  EXPECT_EQ(fs::path(send["file"].get<std::string>()).filename(), "report_test.cpp");
  EXPECT_EQ(send["line"], line);
  EXPECT_EQ(send["debug_info"], true);
  EXPECT_NE(send["symbol"].get<std::string>().find("call_on_known_line"), std::string::npos) << send["symbol"];
  EXPECT_EQ(send["frames"][0]["line"], line);
  const std::string location = "report_test.cpp:" + std::to_string(line);
  EXPECT_NE(summary_.find(location), std::string::npos) << summary_;

  const json& allreduce = site("MPI_Allreduce", "solver");
  EXPECT_EQ(allreduce["module"], "/nonexistent/libgone.so");
  EXPECT_EQ(allreduce["offset"], "0x1234");
  EXPECT_EQ(allreduce["debug_info"], false);
  EXPECT_NE(summary_.find("libgone.so+0x1234 (no debug info) [solver]"), std::string::npos) << summary_;
}

TEST_F(Output, SummaryHasEverySection) {
  ASSERT_TRUE(report(three_ranks()).ok);
  for (const char* expected : {"command      mpirun -np 3 ./heat",
                               "MPI library  Open MPI v4.1.4",
                               "ranks        3 on 2 hosts: node1, node2",
                               "status       complete",
                               "Time per rank",
                               "Top call sites by time (7 of 7; all in profile.json)",
                               "per rank in MPI_Init, shut-down ",
                               "(MPI time without start-up and shut-down)",
                               "Message sizes",
                               "[64K, 128K)",
                               "Imbalance",
                               "Wait states (estimated)",
                               "late sender",
                               "wait at collective",
                               "Method: ",
                               "Nonblocking requests",
                               "75.0%",
                               "Regions (MPI_Pcontrol)",
                               "(outside regions)",
                               "solver",
                               "Communication matrix",
                               "205K",
                               "profile.json (schema commtune.profile/2"})
    EXPECT_NE(summary_.find(expected), std::string::npos) << "missing: " << expected << "\n" << summary_;
  EXPECT_EQ(summary_.find("PARTIAL"), std::string::npos);
  std::istringstream lines(summary_);
  for (std::string line; std::getline(lines, line);) EXPECT_LE(line.size(), 112u) << line;
}

TEST_F(Output, BannerOnStderr) {
  ::testing::internal::CaptureStderr();
  const Result result = commtune::report::write_report({kRank0, kRank2}, dir_, Options{});
  const std::string banner = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(result.ok);
  std::istringstream lines(banner);
  std::vector<std::string> banner_lines;
  for (std::string line; std::getline(lines, line);) banner_lines.push_back(line);
  ASSERT_GE(banner_lines.size(), 3u) << banner;
  EXPECT_LE(banner_lines.size(), 6u) << banner;
  for (const std::string& line : banner_lines) EXPECT_EQ(line.rfind("commtune: ", 0), 0u) << line;
  // 12.14 ms of MPI over 2 ranks of 20 ms, of which 2 ms in MPI_Init: 10.14 ms of communication, 25.35%;
  // start-up 1 ms per rank.
  EXPECT_EQ(banner_lines[0].rfind("commtune: 3 ranks, wall 0.020 s, 25.", 0), 0u) << banner_lines[0];
  EXPECT_NE(banner_lines[0].find("% in communication (start-up 0.001 s,"), std::string::npos) << banner_lines[0];
  const std::string profile_suffix = "shut-down 0.000 s per rank); profile: " + (dir_ / "profile.json").string();
  EXPECT_TRUE(banner_lines[0].ends_with(profile_suffix)) << banner_lines[0];
  EXPECT_EQ(banner_lines[1], "commtune: PARTIAL profile (rank 1: no dump)");
  EXPECT_NE(banner.find("MPI_Allreduce"), std::string::npos);
  EXPECT_NE(banner.find("of communication time"), std::string::npos);
  EXPECT_EQ(banner.find("MPI_Init"), std::string::npos) << "start-up is not a call site to look at: " << banner;
  EXPECT_EQ(banner_lines.back(), "commtune: summary: " + (dir_ / "summary.txt").string());
}

TEST_F(Output, FromRankDirectory) {
  EXPECT_FALSE(commtune::report::report_from_directory(dir_, quiet_options()).ok);
  fs::create_directories(dir_ / "ranks");
  std::ofstream(dir_ / "ranks" / "rank-00000.json") << kRank0;
  std::ofstream(dir_ / "ranks" / "rank-00001.json") << "{ truncated";
  std::ofstream(dir_ / "ranks" / "rank-00002.json") << with(kRank2, "reason", "SIGTERM");
  std::ofstream(dir_ / "ranks" / "notes.txt") << "not a dump";
  const Result result = commtune::report::report_from_directory(dir_, quiet_options());
  ASSERT_TRUE(result.ok) << result.error;
  load();
  ASSERT_EQ(result.warnings.size(), 1u);
  EXPECT_EQ(result.warnings[0].rfind((dir_ / "ranks" / "rank-00001.json").string() + ": not valid JSON", 0), 0u)
      << result.warnings[0];
  EXPECT_EQ(profile_["partial_reason"], "rank 2: SIGTERM; rank 1: no dump");
  EXPECT_EQ(profile_["ranks_reported"], 2);
}

TEST_F(Output, LargeRunsShowSpreadAndHeaviestPairs) {
  constexpr int kRanks = 300;
  std::vector<std::string> dumps;
  for (int rank = 0; rank < kRanks; ++rank)
    dumps.push_back(small_dump(rank, kRanks, 1 + rank % 7, (rank + 1) % kRanks, 1000 * std::uint64_t(rank + 1)));
  ASSERT_TRUE(report(dumps).ok);
  const json& matrix = profile_["comm_matrix"];
  EXPECT_FALSE(matrix.contains("bytes"));
  ASSERT_EQ(matrix["pairs"].size(), std::size_t(kRanks));
  EXPECT_EQ(matrix["pairs"][5], json::parse("[5, 6, 1, 6000]"));
  EXPECT_EQ(profile_["callsites"].size(), std::size_t(kRanks));  // each rank's own offset
  EXPECT_NE(summary_.find("300 ranks reported"), std::string::npos);
  EXPECT_NE(summary_.find("most MPI time:"), std::string::npos);
  EXPECT_NE(summary_.find("the 20 heaviest pairs"), std::string::npos);
  EXPECT_NE(summary_.find("     299        0            1         300000"), std::string::npos) << summary_;
  EXPECT_EQ(summary_.find("from\\to"), std::string::npos);
}

TEST_F(Output, CEntryPointThroughDlopen) {
  void* library = dlopen(REPORT_LIBRARY, RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(library, nullptr) << dlerror();
  using WriteFunction =
      int (*)(const char* const*, const unsigned long*, unsigned long, const char*, int, char*, unsigned long);
  auto* write = reinterpret_cast<WriteFunction>(dlsym(library, "commtune_report_write"));
  ASSERT_NE(write, nullptr) << dlerror();

  const std::vector<std::string> texts = three_ranks();
  std::vector<const char*> dumps;
  std::vector<unsigned long> lengths;
  for (const std::string& text : texts) {
    dumps.push_back(text.data());
    lengths.push_back(text.size());
  }
  char error[256] = "unchanged";
  EXPECT_EQ(write(dumps.data(), lengths.data(), dumps.size(), dir_.c_str(), 1, error, sizeof error), 0) << error;
  EXPECT_STREQ(error, "");
  load();
  EXPECT_EQ(profile_["complete"], true);
  EXPECT_EQ(profile_["ranks_reported"], 3);

  EXPECT_EQ(write(dumps.data(), lengths.data(), 0, dir_.c_str(), 1, error, sizeof error), 1);
  EXPECT_STREQ(error, "no rank dumps to merge");
  EXPECT_EQ(write(dumps.data(), lengths.data(), 1, nullptr, 1, error, sizeof error), 1);
  EXPECT_STREQ(error, "no output directory");
  // A short error buffer is cut, not overrun.
  char tiny[8];
  EXPECT_EQ(write(dumps.data(), lengths.data(), 0, dir_.c_str(), 1, tiny, sizeof tiny), 1);
  EXPECT_STREQ(tiny, "no rank");
  dlclose(library);
}

}  // namespace
