// The run-directory layout and the profile reader without MPI: the report merges two synthetic
// rank dumps with known numbers into profile.json, the reader must return those numbers, and a
// missing, broken or mistyped file must be refused with its name and the key.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "commtune/pmpi/run_directory.hpp"
#include "profile/reader.hpp"
#include "report/report.hpp"

namespace {

namespace fs = std::filesystem;
namespace run_directory = commtune::run_directory;
using commtune::profile::Profile;
using commtune::profile::ProfileError;
using commtune::profile::read_profile;
using nlohmann::json;

// ---- layout ----------------------------------------------------------------------------------------

TEST(Layout, RankDumpPathsArePaddedAndNeverCollide) {
  char path[64];
  ASSERT_TRUE(run_directory::rank_dump_path(path, sizeof path, "/out", 7));
  EXPECT_STREQ(path, "/out/ranks/rank-00007.json");
  ASSERT_TRUE(run_directory::rank_dump_path(path, sizeof path, "/out", 123456, ".tmp"));
  EXPECT_STREQ(path, "/out/ranks/rank-123456.json.tmp");  // not cut to five digits
  EXPECT_EQ(run_directory::rank_dump_path("/out", 42), fs::path("/out/ranks/rank-00042.json"));
}

TEST(Layout, TraceLogPaths) {
  char path[64];
  ASSERT_TRUE(run_directory::trace_log_path(path, sizeof path, "d", 3, 12));
  EXPECT_STREQ(path, "d/trace/rank-00003.thread-012.ctrace");
  EXPECT_TRUE(run_directory::is_trace_log_name("rank-00003.thread-012.ctrace"));
  EXPECT_FALSE(run_directory::is_trace_log_name("notes.ctrace"));
}

TEST(Layout, APathThatDoesNotFitIsRefusedWithinTheBuffer) {
  char path[16];
  std::memset(path, 'x', sizeof path);
  EXPECT_FALSE(run_directory::rank_dump_path(path, sizeof path, "/a/long/directory", 1));
  EXPECT_EQ(std::strlen(path), sizeof path - 1);  // terminated inside the buffer
}

class TemporaryDirectory : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("commtune-reader-test-" + std::to_string(getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  static void write(const fs::path& file, const std::string& text) {
    fs::create_directories(file.parent_path());
    std::ofstream(file) << text;
  }
  fs::path dir_;
};

using Listing = TemporaryDirectory;

TEST_F(Listing, RankDumpsAndTraceLogsOnly) {
  write(run_directory::rank_dump_path(dir_, 1), "{}");
  write(run_directory::rank_dump_path(dir_, 0), "{}");
  write(run_directory::ranks_path(dir_) / "rank-00002.json.tmp.77", "{}");  // a dump being written
  write(run_directory::ranks_path(dir_) / "README", "");
  fs::create_directories(run_directory::ranks_path(dir_) / "rank-00003.json");  // a folder
  write(run_directory::trace_path(dir_) / "rank-00000.thread-000.ctrace", "");
  EXPECT_EQ(run_directory::rank_dumps(dir_),
            (std::vector<fs::path>{run_directory::rank_dump_path(dir_, 0), run_directory::rank_dump_path(dir_, 1)}));
  EXPECT_EQ(run_directory::trace_logs(dir_).size(), 1u);
  EXPECT_TRUE(run_directory::rank_dumps(dir_ / "missing").empty());
}

// ---- reader ----------------------------------------------------------------------------------------

// Two ranks on two hosts: rank 0 sends 4 x 1 KiB to rank 1 from one site, which waits for them in
// MPI_Recv (a late sender) and posts one MPI_Irecv followed to completion; 1 tick = 1 ns.
std::string dump(int rank) {
  json site_send = {{"function", "MPI_Send"},  {"region", 0},          {"frames", {{0, 4096}}}, {"calls", 4},
                    {"ticks", 4000000},        {"min_ticks", 1000000}, {"max_ticks", 1000000},  {"bytes_sent", 4096},
                    {"sent_sizes", {{11, 4}}}, {"wait_kind", "none"}};
  json site_recv = {{"function", "MPI_Recv"},
                    {"region", 0},
                    {"frames", {{0, 8192}}},
                    {"calls", 4},
                    {"ticks", 30000000},
                    {"min_ticks", 5000000},
                    {"max_ticks", 10000000},
                    {"bytes_received", 4096},
                    {"received_sizes", {{11, 4}}},
                    {"wait_kind", "late_sender"},
                    {"wait_calls", 4},
                    {"wait_ticks", 30000000},
                    {"wait_bytes", 4096}};
  json site_irecv = {
      {"function", "MPI_Irecv"}, {"region", 0},   {"frames", {{0, 12288}}},        {"calls", 1},
      {"ticks", 1000},           {"requests", 1}, {"request_life_ticks", 2000000}, {"request_inside_ticks", 500000}};
  return json{{"schema", run_directory::kRankDumpSchema},
              {"reason", "finalize"},
              {"rank", rank},
              {"size", 2},
              {"pid", 100 + rank},
              {"host", rank == 0 ? "node1" : "node2"},
              {"program", "pair"},
              {"command", "mpirun -np 2 ./pair"},
              {"mpi_library", "Open MPI v4.1.4, package: Debian"},
              {"clock", "clock_gettime"},
              {"ticks_per_second", 1000000000},
              {"start_unix_ns", 1700000000000000000},
              {"wall_ns", 100000000},
              {"threads", 1},
              {"modules", {{{"id", 0}, {"path", "/opt/pair"}}}},
              {"sites", rank == 0 ? json::array({site_send}) : json::array({site_recv, site_irecv})},
              {"matrix", rank == 0 ? json::array({json::array({1, 4, 4096})}) : json::array()}}
      .dump();
}

class Reader : public TemporaryDirectory {
 protected:
  void SetUp() override {
    TemporaryDirectory::SetUp();
    commtune::report::Options options;
    options.quiet = true;
    const commtune::report::Result result = commtune::report::write_report({dump(0), dump(1)}, dir_, options);
    ASSERT_TRUE(result.ok) << result.error;
    std::ifstream in(run_directory::profile_path(dir_));
    document_ = json::parse(in);
  }
  // profile.json with one value replaced, written back.
  void replace(const json::json_pointer& key, const json& value) {
    document_[key] = value;
    std::ofstream(run_directory::profile_path(dir_)) << document_.dump();
  }
  std::string error_of_reading() {
    try {
      read_profile(dir_);
    } catch (const ProfileError& error) {
      return error.what();
    }
    return "no error";
  }
  json document_;
};

TEST_F(Reader, ReturnsTheRunAsTheReportWroteIt) {
  const Profile profile = read_profile(dir_);
  EXPECT_EQ(profile.file, run_directory::profile_path(dir_));
  EXPECT_EQ(profile.schema, run_directory::kProfileSchema);
  EXPECT_TRUE(profile.complete);
  EXPECT_EQ(profile.ranks, 2);
  EXPECT_EQ(profile.program, "pair");
  EXPECT_EQ(profile.mpi_library, "Open MPI v4.1.4, package: Debian");
  EXPECT_DOUBLE_EQ(profile.wall_time_s, 0.1);
  EXPECT_EQ(profile.node_count(), 2);
  EXPECT_EQ(profile.max_ranks_per_node(), 1);
  ASSERT_EQ(profile.per_rank.size(), 2u);
  EXPECT_EQ(profile.per_rank[1].host, "node2");
  EXPECT_EQ(profile.per_rank[1].pid, 101);

  ASSERT_EQ(profile.callsites.size(), 3u);
  const auto& recv = profile.callsites[0];  // most time first
  EXPECT_EQ(recv.id, 1);
  EXPECT_EQ(recv.function, "MPI_Recv");
  EXPECT_EQ(recv.category, "p2p");
  EXPECT_EQ(recv.location().module, "/opt/pair");
  EXPECT_EQ(recv.location().offset, 8192u);
  EXPECT_DOUBLE_EQ(recv.time_s, 0.03);
  EXPECT_EQ(recv.ranks, 1);
  EXPECT_EQ(recv.time_per_rank.max_rank, 1);
  ASSERT_EQ(recv.sizes.received.size(), 1u);
  EXPECT_EQ(recv.sizes.received[0].bin, 11);
  EXPECT_EQ(recv.sizes.received[0].min_bytes, 1024u);
  EXPECT_EQ(recv.sizes.received[0].max_bytes, 2047u);
  EXPECT_EQ(recv.sizes.received[0].count, 4u);
  ASSERT_TRUE(recv.wait.has_value());
  EXPECT_EQ(recv.wait->kind, "late_sender");
  EXPECT_FALSE(recv.requests.has_value());

  const auto* irecv = profile.callsite(3);
  ASSERT_NE(irecv, nullptr);
  EXPECT_EQ(irecv->function, "MPI_Irecv");
  ASSERT_TRUE(irecv->requests.has_value());
  EXPECT_EQ(irecv->requests->requests, 1u);
  EXPECT_DOUBLE_EQ(irecv->requests->overlap_fraction, 0.75);
  EXPECT_EQ(profile.callsite(4), nullptr);

  ASSERT_EQ(profile.comm_matrix.pairs.size(), 1u);
  EXPECT_EQ(profile.comm_matrix.pairs[0].sender, 0);
  EXPECT_EQ(profile.comm_matrix.pairs[0].receiver, 1);
  EXPECT_EQ(profile.comm_matrix.pairs[0].bytes, 4096u);
  EXPECT_EQ(profile.comm_matrix.total_messages, 4u);
  const auto send = std::find_if(profile.functions.begin(), profile.functions.end(),
                                 [](const auto& f) { return f.name == "MPI_Send"; });
  ASSERT_NE(send, profile.functions.end());
  ASSERT_EQ(send->sizes.sent.size(), 1u);
  EXPECT_EQ(send->sizes.sent[0].count, 4u);
  EXPECT_FALSE(profile.counters.has_value());
}

TEST_F(Reader, TheMatrixAsAPairListReadsTheSame) {
  replace(json::json_pointer("/comm_matrix/pairs"), json::array({json::array({0, 1, 4, 4096})}));
  document_["comm_matrix"].erase("bytes");
  document_["comm_matrix"].erase("messages");
  std::ofstream(run_directory::profile_path(dir_)) << document_.dump();
  const Profile profile = read_profile(dir_);
  ASSERT_EQ(profile.comm_matrix.pairs.size(), 1u);
  EXPECT_EQ(profile.comm_matrix.pairs[0].messages, 4u);
}

TEST_F(Reader, AMissingFileIsNamed) {
  fs::remove(run_directory::profile_path(dir_));
  const std::string error = error_of_reading();
  EXPECT_NE(error.find(run_directory::profile_path(dir_).string() + ": cannot open"), std::string::npos) << error;
}

TEST_F(Reader, NotJsonIsNamed) {
  std::ofstream(run_directory::profile_path(dir_)) << "{\"schema\": ";
  EXPECT_EQ(error_of_reading(), run_directory::profile_path(dir_).string() + ": not valid JSON");
}

TEST_F(Reader, AnotherSchemaIsRefused) {
  replace(json::json_pointer("/schema"), "commtune.profile/1");
  const std::string error = error_of_reading();
  EXPECT_NE(error.find("key \"schema\": \"commtune.profile/1\" is not commtune.profile/2"), std::string::npos) << error;
}

TEST_F(Reader, AMistypedValueIsNamedWithItsKey) {
  replace(json::json_pointer("/callsites/1/calls"), "ten");
  EXPECT_EQ(error_of_reading(), run_directory::profile_path(dir_).string() +
                                    ": key \"callsites[1].calls\": expected a non-negative integer, got \"ten\"");
}

TEST_F(Reader, AMissingKeyIsNamed) {
  document_["per_rank"][0].erase("host");
  std::ofstream(run_directory::profile_path(dir_)) << document_.dump();
  EXPECT_NE(error_of_reading().find("key \"per_rank[0].host\": missing"), std::string::npos);
}

TEST_F(Reader, AReferenceToAnUnknownSiteIsRefused) {
  replace(json::json_pointer("/wait_states/callsites/0/id"), 9);
  EXPECT_NE(error_of_reading().find("key \"wait_states.callsites[0].id\": call site 9 is not in \"callsites\""),
            std::string::npos);
}

}  // namespace
