// The results database (tuner/results_db.hpp): schema and version, points with their launches,
// samples and recomputed statistics, failures, resuming, transactions that leave nothing half
// written, and two processes writing at once.
#include "commtune/tuner/results_db.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace commtune::tuner {
namespace {

namespace fs = std::filesystem;

fs::path fresh_directory(const std::string& name) {
  const fs::path directory = fs::path(testing::TempDir()) / ("commtune-results-db-" + name);
  fs::remove_all(directory);
  fs::create_directories(directory);
  return directory;
}

PointKey key_of(const std::string& hardware_id, int message_bytes) {
  return {hardware_id,
          "nonblocking",
          {{"message_bytes", std::to_string(message_bytes)}, {"variant", "blocking"}},
          {{"btl", "vader,self"}},
          4};
}

LaunchRecord launch_of(std::vector<double> samples_s) {
  return {{"mpirun", "-np", "4", "commtune-kernel-run", "nonblocking"}, "", 1.5, 0, 3, std::move(samples_s)};
}

TEST(ResultsDb, CreatesAVersionedSchema) {
  const fs::path path = fresh_directory("schema") / "nested" / "results.sqlite";
  ResultsDb db(path);
  EXPECT_TRUE(fs::exists(path));
  EXPECT_EQ(db.schema_version(), kResultsSchemaVersion);
  EXPECT_EQ(db.integrity_check(), "ok");
  ResultsDb reader(path, ResultsDb::Mode::ReadOnly);
  EXPECT_EQ(reader.schema_version(), kResultsSchemaVersion);
}

TEST(ResultsDb, RefusesWhatItCannotRead) {
  const fs::path directory = fresh_directory("refuses");
  try {
    ResultsDb missing(directory / "missing.sqlite", ResultsDb::Mode::ReadOnly);
    FAIL() << "opened a missing database read-only";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("missing.sqlite: no such file"), std::string::npos) << e.what();
  }
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open((directory / "other.sqlite").c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "CREATE TABLE t (x)", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(other);
  EXPECT_THROW(ResultsDb(directory / "other.sqlite"), std::runtime_error);
  sqlite3* future = nullptr;
  { ResultsDb created(directory / "future.sqlite"); }
  ASSERT_EQ(sqlite3_open((directory / "future.sqlite").c_str(), &future), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(future, "PRAGMA user_version = 2", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(future);
  try {
    ResultsDb newer(directory / "future.sqlite");
    FAIL() << "opened a database of schema version 2";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("schema version 2"), std::string::npos) << e.what();
  }
}

TEST(ResultsDb, DefaultPathFollowsXdgDataHome) {
  const char* saved = std::getenv("XDG_DATA_HOME");
  const std::string restore = saved ? saved : "";
  setenv("XDG_DATA_HOME", "/data/u", 1);
  EXPECT_EQ(ResultsDb::default_path(), fs::path("/data/u/commtune/results.sqlite"));
  unsetenv("XDG_DATA_HOME");
  EXPECT_EQ(ResultsDb::default_path(), fs::path(std::getenv("HOME")) / ".local/share/commtune/results.sqlite");
  if (saved) setenv("XDG_DATA_HOME", restore.c_str(), 1);
}

TEST(ResultsDb, RecordsLaunchesSamplesAndStatistics) {
  ResultsDb db(fresh_directory("record") / "results.sqlite");
  db.add_hardware("hw1", {{"schema", "commtune.hardware/1"}});
  const std::int64_t sweep = db.begin_sweep("hw1", "kernel: nonblocking", 42);
  const PointKey key = key_of("hw1", 4096);
  EXPECT_FALSE(db.is_finished(key));
  db.record_measurement(sweep, key, {launch_of({5, 1, 3}), launch_of({2, 4})});
  EXPECT_TRUE(db.is_finished(key));
  EXPECT_FALSE(db.is_finished(key, 6));                                            // 5 samples so far
  const std::int64_t point = db.record_measurement(sweep, key, {launch_of({6})});  // a finalist's second launch
  EXPECT_TRUE(db.is_finished(key, 6));
  EXPECT_EQ(db.samples(point), (std::vector<double>{5, 1, 3, 2, 4, 6}));
  const auto rows = db.list_points();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].status, "measured");
  EXPECT_EQ(rows[0].launch_count, 3);
  EXPECT_EQ(rows[0].key.params, key.params);
  EXPECT_EQ(rows[0].key.settings, key.settings);
  ASSERT_TRUE(rows[0].statistics.has_value());
  EXPECT_EQ(rows[0].statistics->sample_count, 6);
  EXPECT_DOUBLE_EQ(rows[0].statistics->median_s, 3.5);
  EXPECT_DOUBLE_EQ(rows[0].statistics->min_s, 1);
  EXPECT_DOUBLE_EQ(rows[0].statistics->ci_low_s, 1);  // n = 6: [x(1), x(6)], coverage 1 - 2/64
  EXPECT_DOUBLE_EQ(rows[0].statistics->ci_high_s, 6);
  EXPECT_NEAR(rows[0].statistics->ci_coverage, 1 - 2.0 / 64, 1e-12);
  EXPECT_TRUE(db.list_points({"batching", ""}).empty());
  EXPECT_EQ(db.list_points({"nonblocking", "hw1"}).size(), 1u);
  db.set_sweep_status(sweep, SweepStatus::Finished);
  EXPECT_THROW(db.set_sweep_status(sweep + 100, SweepStatus::Finished), std::invalid_argument);
}

TEST(ResultsDb, RecordsFailuresAndTheSweepGoesOn) {
  const fs::path path = fresh_directory("failures") / "results.sqlite";
  {
    ResultsDb db(path);
    db.add_hardware("hw1", {});
    const std::int64_t sweep = db.begin_sweep("hw1", "spec", 1);
    db.record_failure(sweep, key_of("hw1", 1), FailureKind::Timeout, "exceeded 60 s", launch_of({9, 9}));
    db.record_failure(sweep, key_of("hw1", 2), FailureKind::Crashed, "signal 11");
    db.record_measurement(sweep, key_of("hw1", 3), {launch_of({1, 2, 3})});
    // A measured point whose later launch fails stays measured; the failed launch's samples are kept
    // in the file but not trusted.
    const std::int64_t point =
        db.record_failure(sweep, key_of("hw1", 3), FailureKind::Failed, "exit 1", launch_of({100}));
    EXPECT_EQ(db.samples(point), (std::vector<double>{1, 2, 3}));
  }
  ResultsDb reopened(path);  // a re-run of the sweep: every recorded point counts as finished
  for (int bytes : {1, 2, 3}) EXPECT_TRUE(reopened.is_finished(key_of("hw1", bytes))) << bytes;
  EXPECT_FALSE(reopened.is_finished(key_of("hw1", 4)));
  const auto rows = reopened.list_points();
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].status, "timeout");
  EXPECT_EQ(rows[0].failure, "timeout: exceeded 60 s");
  EXPECT_FALSE(rows[0].statistics.has_value());
  EXPECT_EQ(rows[1].status, "crashed");
  EXPECT_EQ(rows[1].launch_count, 0);
  EXPECT_EQ(rows[2].status, "measured");
  EXPECT_EQ(rows[2].failure, "failed: exit 1");
  EXPECT_EQ(rows[2].statistics->sample_count, 3);
}

TEST(ResultsDb, AFailedTransactionLeavesNothingOfThePoint) {
  ResultsDb db(fresh_directory("rollback") / "results.sqlite");
  db.add_hardware("hw1", {});
  const std::int64_t sweep = db.begin_sweep("hw1", "spec", 1);
  db.record_measurement(sweep, key_of("hw1", 1), {launch_of({1})});
  // An unknown sweep violates a foreign key after the point row was written: all of it rolls back.
  EXPECT_THROW(db.record_measurement(sweep + 7, key_of("hw1", 2), {launch_of({1, 2})}), std::runtime_error);
  EXPECT_FALSE(db.is_finished(key_of("hw1", 2)));
  EXPECT_EQ(db.list_points().size(), 1u);
  db.record_measurement(sweep, key_of("hw1", 2), {launch_of({1, 2})});  // the connection is still usable
  EXPECT_EQ(db.list_points().size(), 2u);
}

// Each child opens the (possibly not yet created) file itself and records `count` points.
int write_points(const fs::path& path, const std::string& hardware_id, int count) {
  try {
    ResultsDb db(path);
    db.add_hardware(hardware_id, {{"writer", hardware_id}});
    const std::int64_t sweep = db.begin_sweep(hardware_id, "concurrent", 7);
    for (int i = 0; i < count; ++i) {
      db.record_measurement(sweep, key_of(hardware_id, i), {launch_of({1e-3 * (i + 1), 2e-3, 3e-3})});
    }
    db.set_sweep_status(sweep, SweepStatus::Finished);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "writer %s: %s\n", hardware_id.c_str(), e.what());
    return 1;
  }
}

TEST(ResultsDb, TwoProcessesWritingAtOnceCorruptNothing) {
  const fs::path path = fresh_directory("concurrent") / "results.sqlite";
  constexpr int kPointsPerWriter = 1000;
  std::vector<pid_t> writers;
  for (const char* hardware_id : {"writer-a", "writer-b"}) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) _exit(write_points(path, hardware_id, kPointsPerWriter));
    writers.push_back(pid);
  }
  for (pid_t pid : writers) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "a writer failed, status " << status;
  }
  ResultsDb db(path, ResultsDb::Mode::ReadOnly);
  EXPECT_EQ(db.integrity_check(), "ok");
  for (const char* hardware_id : {"writer-a", "writer-b"}) {
    const auto rows = db.list_points({"", hardware_id});
    ASSERT_EQ(rows.size(), std::size_t(kPointsPerWriter)) << hardware_id;
    for (int i = 0; i < kPointsPerWriter; ++i) {
      ASSERT_TRUE(db.is_finished(key_of(hardware_id, i), 3)) << hardware_id << " point " << i;
    }
    EXPECT_DOUBLE_EQ(rows.back().statistics->min_s, 2e-3);  // samples 1.0, 2e-3, 3e-3 of the last point
  }
}

TEST(ResultsDb, AWriterKilledMidSweepLosesNoFinishedPoint) {
  const fs::path path = fresh_directory("killed") / "results.sqlite";
  int committed_pipe[2];
  ASSERT_EQ(pipe(committed_pipe), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // Reports each point after its commit returns, then goes on until it is killed.
    close(committed_pipe[0]);
    try {
      ResultsDb db(path);
      db.add_hardware("hw", {});
      const std::int64_t sweep = db.begin_sweep("hw", "killed", 1);
      for (int i = 0;; ++i) {
        db.record_measurement(sweep, key_of("hw", i), {launch_of({1e-3, 2e-3, 3e-3, 4e-3})});
        if (write(committed_pipe[1], &i, sizeof i) != sizeof i) _exit(1);
      }
    } catch (...) {
      _exit(1);
    }
  }
  close(committed_pipe[1]);
  int last_committed = -1;
  while (last_committed < 300) {
    ASSERT_EQ(read(committed_pipe[0], &last_committed, sizeof last_committed), ssize_t(sizeof last_committed));
  }
  kill(pid, SIGKILL);  // no destructor, no clean close: like a power cut of the process alone
  int status = 0;
  waitpid(pid, &status, 0);
  close(committed_pipe[0]);
  ResultsDb db(path);
  EXPECT_EQ(db.integrity_check(), "ok");
  for (int i = 0; i <= last_committed; ++i) ASSERT_TRUE(db.is_finished(key_of("hw", i), 4)) << "point " << i;
  // Whatever was in flight is either complete or absent: no point without its samples.
  for (const PointRow& row : db.list_points()) {
    ASSERT_TRUE(row.statistics.has_value()) << row.id;
    EXPECT_EQ(row.statistics->sample_count, 4) << row.id;
  }
}

}  // namespace
}  // namespace commtune::tuner
