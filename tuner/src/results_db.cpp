#include "commtune/tuner/results_db.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <stdexcept>
#include <thread>

#include "commtune/tuner/statistics.hpp"

namespace commtune::tuner {
namespace {

// The schema of kResultsSchemaVersion; docs/tuner.md explains every table.
constexpr const char* kSchemaSql = R"sql(
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE hardware (
  id TEXT PRIMARY KEY,
  fingerprint TEXT NOT NULL,
  recorded_at TEXT NOT NULL);
CREATE TABLE sweeps (
  id INTEGER PRIMARY KEY,
  hardware_id TEXT NOT NULL REFERENCES hardware(id),
  spec TEXT NOT NULL,
  seed INTEGER NOT NULL,
  started_at TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('running', 'finished', 'interrupted', 'failed')));
CREATE TABLE points (
  id INTEGER PRIMARY KEY,
  sweep_id INTEGER NOT NULL REFERENCES sweeps(id),
  hardware_id TEXT NOT NULL REFERENCES hardware(id),
  kernel TEXT NOT NULL,
  params TEXT NOT NULL,
  settings TEXT NOT NULL,
  ranks INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('measured', 'failed', 'crashed', 'timeout')),
  UNIQUE (hardware_id, kernel, params, settings, ranks));
CREATE TABLE launches (
  id INTEGER PRIMARY KEY,
  point_id INTEGER NOT NULL REFERENCES points(id),
  sweep_id INTEGER NOT NULL REFERENCES sweeps(id),
  command TEXT NOT NULL,
  started_at TEXT NOT NULL,
  duration_s REAL NOT NULL,
  exit_status INTEGER NOT NULL,
  warmup_iterations INTEGER NOT NULL,
  phase TEXT NOT NULL DEFAULT '',
  stop_reason TEXT NOT NULL DEFAULT '',
  metrics TEXT NOT NULL DEFAULT '{}');
CREATE INDEX launches_by_sweep ON launches(sweep_id, point_id, phase);
CREATE INDEX launches_by_point ON launches(point_id);
CREATE TABLE samples (
  launch_id INTEGER NOT NULL REFERENCES launches(id),
  iteration INTEGER NOT NULL,
  time_s REAL NOT NULL,
  PRIMARY KEY (launch_id, iteration)) WITHOUT ROWID;
CREATE TABLE statistics (
  point_id INTEGER PRIMARY KEY REFERENCES points(id),
  sample_count INTEGER NOT NULL,
  median_s REAL NOT NULL,
  ci_low_s REAL NOT NULL,
  ci_high_s REAL NOT NULL,
  ci_coverage REAL NOT NULL,
  min_s REAL NOT NULL,
  mean_s REAL NOT NULL,
  cv REAL NOT NULL,
  outlier_count INTEGER NOT NULL);
CREATE TABLE failures (
  id INTEGER PRIMARY KEY,
  point_id INTEGER NOT NULL REFERENCES points(id),
  launch_id INTEGER REFERENCES launches(id),
  kind TEXT NOT NULL CHECK (kind IN ('failed', 'crashed', 'timeout')),
  message TEXT NOT NULL,
  recorded_at TEXT NOT NULL);
CREATE INDEX failures_by_point ON failures(point_id);
CREATE TABLE choices (
  id INTEGER PRIMARY KEY,
  sweep_id INTEGER NOT NULL REFERENCES sweeps(id),
  hardware_id TEXT NOT NULL REFERENCES hardware(id),
  kernel TEXT NOT NULL,
  ranks INTEGER NOT NULL,
  settings TEXT NOT NULL,
  params TEXT NOT NULL,
  median_s REAL NOT NULL,
  ci_low_s REAL NOT NULL,
  ci_high_s REAL NOT NULL,
  baseline_params TEXT NOT NULL,
  baseline_median_s REAL,
  baseline_ci_low_s REAL,
  baseline_ci_high_s REAL,
  gain REAL,
  gain_ci_low REAL,
  gain_ci_high REAL,
  verdict TEXT NOT NULL,
  indistinguishable TEXT NOT NULL,
  recorded_at TEXT NOT NULL,
  UNIQUE (sweep_id, kernel, ranks, settings));
)sql";

// How long a writer waits for another process's transaction before giving up.
constexpr int kBusyTimeoutMs = 60000;

std::string now_utc() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm parts{};
  gmtime_r(&now, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text;
}

// Metrics as a JSON object; a value that is not finite (JSON has no NaN) is null.
std::string metrics_json(const std::map<std::string, double>& metrics) {
  nlohmann::json object = nlohmann::json::object();
  for (const auto& [name, value] : metrics) object[name] = std::isfinite(value) ? nlohmann::json(value) : nullptr;
  return object.dump();
}

[[noreturn]] void fail(sqlite3* db, const std::filesystem::path& path, const std::string& what) {
  throw std::runtime_error(
      fmt::format("results database {}: {}: {}", path.string(), what, db ? sqlite3_errmsg(db) : "cannot open"));
}

}  // namespace

std::string to_string(FailureKind kind) {
  switch (kind) {
    case FailureKind::Failed:
      return "failed";
    case FailureKind::Crashed:
      return "crashed";
    case FailureKind::Timeout:
      return "timeout";
  }
  return "failed";
}

std::string to_string(SweepStatus status) {
  switch (status) {
    case SweepStatus::Running:
      return "running";
    case SweepStatus::Finished:
      return "finished";
    case SweepStatus::Interrupted:
      return "interrupted";
    case SweepStatus::Failed:
      return "failed";
  }
  return "failed";
}

// A prepared statement, finalized on destruction; errors name the database and the SQL.
class ResultsDb::Statement {
 public:
  Statement(const ResultsDb& owner, const char* sql) : owner_(owner), sql_(sql) {
    if (sqlite3_prepare_v2(owner_.db_, sql, -1, &statement_, nullptr) != SQLITE_OK) {
      fail(owner_.db_, owner_.path_, fmt::format("cannot prepare '{}'", sql_));
    }
  }
  ~Statement() { sqlite3_finalize(statement_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int index, std::int64_t value) { return check(sqlite3_bind_int64(statement_, index, value)); }
  Statement& bind(int index, int value) { return bind(index, std::int64_t{value}); }
  Statement& bind(int index, double value) { return check(sqlite3_bind_double(statement_, index, value)); }
  Statement& bind(int index, const std::string& value) {
    return check(sqlite3_bind_text(statement_, index, value.data(), int(value.size()), SQLITE_TRANSIENT));
  }
  Statement& bind_null(int index) { return check(sqlite3_bind_null(statement_, index)); }

  // True when a row is available; false when done.
  bool step() {
    const int status = sqlite3_step(statement_);
    if (status == SQLITE_ROW) return true;
    if (status == SQLITE_DONE) return false;
    fail(owner_.db_, owner_.path_, fmt::format("'{}' failed", sql_));
  }
  void reset() {
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
  }
  std::int64_t integer(int column) const { return sqlite3_column_int64(statement_, column); }
  double real(int column) const { return sqlite3_column_double(statement_, column); }
  bool is_null(int column) const { return sqlite3_column_type(statement_, column) == SQLITE_NULL; }
  std::string text(int column) const {
    const auto* bytes = reinterpret_cast<const char*>(sqlite3_column_text(statement_, column));
    return bytes ? std::string(bytes, std::size_t(sqlite3_column_bytes(statement_, column))) : std::string();
  }

 private:
  Statement& check(int status) {
    if (status != SQLITE_OK) fail(owner_.db_, owner_.path_, fmt::format("cannot bind a value of '{}'", sql_));
    return *this;
  }
  const ResultsDb& owner_;
  const char* sql_;
  sqlite3_stmt* statement_ = nullptr;
};

namespace {
// BEGIN IMMEDIATE takes the write lock up front (waiting up to the busy timeout), so two writers
// never deadlock upgrading read locks. Rolled back unless committed.
class Transaction {
 public:
  explicit Transaction(std::function<void(const char*)> execute) : execute_(std::move(execute)) {
    execute_("BEGIN IMMEDIATE");
  }
  void commit() {
    execute_("COMMIT");
    committed_ = true;
  }
  ~Transaction() {
    if (committed_) return;
    try {
      execute_("ROLLBACK");
    } catch (...) {  // the original error is the one worth reporting
    }
  }

 private:
  std::function<void(const char*)> execute_;
  bool committed_ = false;
};
}  // namespace

ResultsDb::ResultsDb(const std::filesystem::path& path, Mode mode) : path_(path) {
  const bool writable = mode == Mode::ReadWrite;
  std::error_code error;
  if (!writable && !std::filesystem::exists(path, error)) {
    throw std::runtime_error(fmt::format("results database {}: no such file", path.string()));
  }
  if (writable && path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), error);
  const int flags = writable ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY;
  if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
    const std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw std::runtime_error(fmt::format("results database {}: cannot open: {}", path.string(), message));
  }
  try {
    create_or_check_schema(writable);
  } catch (...) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw;
  }
}

ResultsDb::~ResultsDb() { sqlite3_close(db_); }

std::filesystem::path ResultsDb::default_path() {
  if (const char* data_home = std::getenv("XDG_DATA_HOME"); data_home && *data_home) {
    return std::filesystem::path(data_home) / "commtune" / "results.sqlite";
  }
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home && *home ? home : ".") / ".local" / "share" / "commtune" / "results.sqlite";
}

void ResultsDb::execute(const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    const std::string text = message ? message : sqlite3_errmsg(db_);
    sqlite3_free(message);
    throw std::runtime_error(
        fmt::format("results database {}: '{}' failed: {}", path_.string(), std::string(sql).substr(0, 60), text));
  }
}

int ResultsDb::schema_version() const {
  Statement version(*this, "PRAGMA user_version");
  return version.step() ? int(version.integer(0)) : 0;
}

// Switching a new file to WAL needs an exclusive lock, and SQLite answers SQLITE_BUSY at once
// (without its busy handler) when another process is opening the same new file: retry until the
// busy timeout. The mode is stored in the file, so only the first opener ever changes it.
void ResultsDb::use_write_ahead_log() {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kBusyTimeoutMs);
  for (;;) {
    {
      Statement mode(*this, "PRAGMA journal_mode");
      if (mode.step() && mode.text(0) == "wal") return;
    }
    const int status = sqlite3_exec(db_, "PRAGMA journal_mode = WAL", nullptr, nullptr, nullptr);
    if (status == SQLITE_OK) return;
    if ((status != SQLITE_BUSY && status != SQLITE_LOCKED) || std::chrono::steady_clock::now() > deadline) {
      execute("PRAGMA journal_mode = WAL");  // reports the error with the file's name
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

void ResultsDb::create_or_check_schema(bool writable) {
  sqlite3_busy_timeout(db_, kBusyTimeoutMs);
  if (writable) {
    // WAL lets readers run beside one writer; NORMAL sync in WAL mode loses no committed
    // transaction when a process dies (only on power loss), and keeps per-point commits cheap.
    use_write_ahead_log();
    execute("PRAGMA synchronous = NORMAL");
    execute("PRAGMA foreign_keys = ON");
    Transaction transaction([this](const char* sql) { execute(sql); });
    if (schema_version() == 0) {
      Statement tables(*this, "SELECT count(*) FROM sqlite_master");
      if (tables.step() && tables.integer(0) != 0) {
        throw std::runtime_error(fmt::format(
            "results database {}: an SQLite file with tables but no commtune schema version; refusing to add to it",
            path_.string()));
      }
      execute(kSchemaSql);
      Statement meta(*this, "INSERT INTO meta (key, value) VALUES ('schema', ?1), ('created_at', ?2)");
      meta.bind(1, std::string(kResultsSchema)).bind(2, now_utc()).step();
      execute(fmt::format("PRAGMA user_version = {}", kResultsSchemaVersion).c_str());
    }
    transaction.commit();
  }
  const int version = schema_version();
  if (version != kResultsSchemaVersion) {
    throw std::runtime_error(fmt::format("results database {}: schema version {}; this commtune reads version {} ({})",
                                         path_.string(), version, kResultsSchemaVersion, kResultsSchema));
  }
  Statement schema(*this, "SELECT value FROM meta WHERE key = 'schema'");
  if (!schema.step() || schema.text(0) != kResultsSchema) {
    throw std::runtime_error(
        fmt::format("results database {}: meta.schema is not '{}'", path_.string(), kResultsSchema));
  }
}

void ResultsDb::add_hardware(const std::string& id, const nlohmann::json& fingerprint) {
  Statement insert(*this, "INSERT OR IGNORE INTO hardware (id, fingerprint, recorded_at) VALUES (?1, ?2, ?3)");
  insert.bind(1, id).bind(2, fingerprint.dump()).bind(3, now_utc()).step();
}

std::optional<nlohmann::json> ResultsDb::hardware(const std::string& id) const {
  Statement select(*this, "SELECT fingerprint FROM hardware WHERE id = ?1");
  select.bind(1, id);
  if (!select.step()) return std::nullopt;
  return nlohmann::json::parse(select.text(0));
}

std::int64_t ResultsDb::begin_sweep(const std::string& hardware_id, const std::string& spec_text, std::uint64_t seed) {
  Statement insert(
      *this, "INSERT INTO sweeps (hardware_id, spec, seed, started_at, status) VALUES (?1, ?2, ?3, ?4, 'running')");
  insert.bind(1, hardware_id).bind(2, spec_text).bind(3, std::int64_t(seed)).bind(4, now_utc()).step();
  return sqlite3_last_insert_rowid(db_);
}

void ResultsDb::set_sweep_status(std::int64_t sweep_id, SweepStatus status) {
  Statement update(*this, "UPDATE sweeps SET status = ?1 WHERE id = ?2");
  update.bind(1, to_string(status)).bind(2, sweep_id).step();
  if (sqlite3_changes(db_) == 0) throw std::invalid_argument(fmt::format("no sweep with id {}", sweep_id));
}

bool ResultsDb::is_finished(const PointKey& key, std::int64_t min_samples) const {
  Statement select(
      *this,
      "SELECT p.status, coalesce(s.sample_count, 0) FROM points p LEFT JOIN statistics s ON s.point_id = p.id "
      "WHERE p.hardware_id = ?1 AND p.kernel = ?2 AND p.params = ?3 AND p.settings = ?4 AND p.ranks = ?5");
  select.bind(1, key.hardware_id).bind(2, key.kernel).bind(3, to_canonical_json(key.params));
  select.bind(4, to_canonical_json(key.settings)).bind(5, key.ranks);
  if (!select.step()) return false;
  return select.text(0) != "measured" || select.integer(1) >= min_samples;
}

std::int64_t ResultsDb::find_or_insert_point(std::int64_t sweep_id, const PointKey& key) {
  // A new point starts as 'failed'; record_measurement and record_failure set its real status.
  Statement insert(*this,
                   "INSERT INTO points (sweep_id, hardware_id, kernel, params, settings, ranks, status) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'failed') "
                   "ON CONFLICT (hardware_id, kernel, params, settings, ranks) DO NOTHING");
  insert.bind(1, sweep_id).bind(2, key.hardware_id).bind(3, key.kernel).bind(4, to_canonical_json(key.params));
  insert.bind(5, to_canonical_json(key.settings)).bind(6, key.ranks).step();
  Statement select(*this,
                   "SELECT id FROM points WHERE hardware_id = ?1 AND kernel = ?2 AND params = ?3 AND settings = ?4 "
                   "AND ranks = ?5");
  select.bind(1, key.hardware_id).bind(2, key.kernel).bind(3, to_canonical_json(key.params));
  select.bind(4, to_canonical_json(key.settings)).bind(5, key.ranks);
  if (!select.step()) fail(db_, path_, "a point just inserted cannot be found");
  return select.integer(0);
}

std::int64_t ResultsDb::insert_launch(std::int64_t point_id, std::int64_t sweep_id, const LaunchRecord& launch) {
  Statement insert(*this,
                   "INSERT INTO launches (point_id, sweep_id, command, started_at, duration_s, exit_status, "
                   "warmup_iterations, phase, stop_reason, metrics) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
  insert.bind(1, point_id).bind(2, sweep_id).bind(3, nlohmann::json(launch.command).dump());
  insert.bind(4, launch.started_at_utc.empty() ? now_utc() : launch.started_at_utc).bind(5, launch.duration_s);
  insert.bind(6, launch.exit_status).bind(7, launch.warmup_iterations).bind(8, launch.phase);
  insert.bind(9, launch.stop_reason).bind(10, metrics_json(launch.metrics)).step();
  const std::int64_t launch_id = sqlite3_last_insert_rowid(db_);
  Statement sample(*this, "INSERT INTO samples (launch_id, iteration, time_s) VALUES (?1, ?2, ?3)");
  for (std::size_t i = 0; i < launch.sample_times_s.size(); ++i) {
    sample.bind(1, launch_id).bind(2, std::int64_t(i)).bind(3, launch.sample_times_s[i]).step();
    sample.reset();
  }
  return launch_id;
}

void ResultsDb::update_statistics(std::int64_t point_id) {
  const std::vector<double> all = samples(point_id);
  if (all.empty()) return;
  const SampleSummary summary = summarize(all);
  Statement upsert(*this,
                   "INSERT OR REPLACE INTO statistics (point_id, sample_count, median_s, ci_low_s, ci_high_s, "
                   "ci_coverage, min_s, mean_s, cv, outlier_count) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
  upsert.bind(1, point_id).bind(2, std::int64_t(summary.count)).bind(3, summary.median);
  upsert.bind(4, summary.median_ci.interval.low).bind(5, summary.median_ci.interval.high);
  upsert.bind(6, summary.median_ci.coverage).bind(7, summary.min).bind(8, summary.mean).bind(9, summary.cv);
  upsert.bind(10, std::int64_t(summary.outliers.size())).step();
  Statement status(*this, "UPDATE points SET status = 'measured' WHERE id = ?1");
  status.bind(1, point_id).step();
}

std::int64_t ResultsDb::record_measurement(std::int64_t sweep_id, const PointKey& key,
                                           const std::vector<LaunchRecord>& launches) {
  Transaction transaction([this](const char* sql) { execute(sql); });
  const std::int64_t point_id = find_or_insert_point(sweep_id, key);
  for (const LaunchRecord& launch : launches) insert_launch(point_id, sweep_id, launch);
  update_statistics(point_id);
  transaction.commit();
  return point_id;
}

std::int64_t ResultsDb::record_failure(std::int64_t sweep_id, const PointKey& key, FailureKind kind,
                                       const std::string& message, const std::optional<LaunchRecord>& launch) {
  Transaction transaction([this](const char* sql) { execute(sql); });
  const std::int64_t point_id = find_or_insert_point(sweep_id, key);
  Statement insert(
      *this, "INSERT INTO failures (point_id, launch_id, kind, message, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5)");
  insert.bind(1, point_id);
  if (launch) {
    insert.bind(2, insert_launch(point_id, sweep_id, *launch));
  } else {
    insert.bind_null(2);
  }
  insert.bind(3, to_string(kind)).bind(4, message).bind(5, now_utc()).step();
  // A point that measured before keeps 'measured'; its failures stay listed in `failures`.
  Statement status(*this, "UPDATE points SET status = ?1 WHERE id = ?2 AND status != 'measured'");
  status.bind(1, to_string(kind)).bind(2, point_id).step();
  transaction.commit();
  return point_id;
}

std::vector<double> ResultsDb::samples(std::int64_t point_id) const {
  Statement select(*this,
                   "SELECT s.time_s FROM samples s JOIN launches l ON l.id = s.launch_id WHERE l.point_id = ?1 "
                   "AND NOT EXISTS (SELECT 1 FROM failures f WHERE f.launch_id = l.id) ORDER BY l.id, s.iteration");
  select.bind(1, point_id);
  std::vector<double> values;
  while (select.step()) values.push_back(select.real(0));
  return values;
}

std::vector<std::map<std::string, double>> ResultsDb::launch_metrics(std::int64_t point_id) const {
  Statement select(*this,
                   "SELECT l.metrics FROM launches l WHERE l.point_id = ?1 "
                   "AND NOT EXISTS (SELECT 1 FROM failures f WHERE f.launch_id = l.id) ORDER BY l.id");
  select.bind(1, point_id);
  std::vector<std::map<std::string, double>> launches;
  while (select.step()) {
    std::map<std::string, double> metrics;
    const nlohmann::json stored = nlohmann::json::parse(select.text(0));
    for (const auto& [name, value] : stored.items()) {
      if (value.is_number()) metrics[name] = value.get<double>();
    }
    launches.push_back(std::move(metrics));
  }
  return launches;
}

std::vector<PointRow> ResultsDb::list_points(const PointFilter& filter) const {
  Statement select(*this,
                   "SELECT p.id, p.sweep_id, p.hardware_id, p.kernel, p.params, p.settings, p.ranks, p.status, "
                   "(SELECT count(*) FROM launches l WHERE l.point_id = p.id), "
                   "(SELECT f.kind || ': ' || f.message FROM failures f WHERE f.point_id = p.id ORDER BY f.id DESC "
                   "LIMIT 1), s.sample_count, s.median_s, s.ci_low_s, s.ci_high_s, s.ci_coverage, s.min_s, s.mean_s, "
                   "s.cv, s.outlier_count FROM points p LEFT JOIN statistics s ON s.point_id = p.id "
                   "WHERE (?1 = '' OR p.kernel = ?1) AND (?2 = '' OR p.hardware_id = ?2) ORDER BY p.kernel, p.id");
  select.bind(1, filter.kernel).bind(2, filter.hardware_id);
  std::vector<PointRow> rows;
  while (select.step()) {
    PointRow row;
    row.id = select.integer(0);
    row.sweep_id = select.integer(1);
    row.key = {select.text(2), select.text(3), configuration_from_json(select.text(4)),
               configuration_from_json(select.text(5)), int(select.integer(6))};
    row.status = select.text(7);
    row.launch_count = select.integer(8);
    row.failure = select.text(9);
    if (!select.is_null(10)) {
      row.statistics =
          StoredStatistics{select.integer(10), select.real(11), select.real(12), select.real(13),   select.real(14),
                           select.real(15),    select.real(16), select.real(17), select.integer(18)};
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<RecordedPoint> ResultsDb::recorded_points(const std::string& kernel, const std::string& hardware_id) const {
  std::vector<RecordedPoint> points;
  for (const PointRow& row : list_points({kernel, hardware_id})) {
    RecordedPoint point{row.key.params, samples(row.id), row.status != "measured"};
    points.push_back(std::move(point));
  }
  return points;
}

std::optional<std::int64_t> ResultsDb::find_sweep(const std::string& hardware_id, const std::string& spec_text,
                                                  std::uint64_t seed) const {
  Statement select(*this,
                   "SELECT id FROM sweeps WHERE hardware_id = ?1 AND spec = ?2 AND seed = ?3 ORDER BY id DESC LIMIT 1");
  select.bind(1, hardware_id).bind(2, spec_text).bind(3, std::int64_t(seed));
  if (!select.step()) return std::nullopt;
  return select.integer(0);
}

std::string ResultsDb::sweep_status(std::int64_t sweep_id) const {
  Statement select(*this, "SELECT status FROM sweeps WHERE id = ?1");
  select.bind(1, sweep_id);
  if (!select.step()) throw std::invalid_argument(fmt::format("no sweep with id {}", sweep_id));
  return select.text(0);
}

std::optional<RecordedEvaluation> ResultsDb::evaluation(std::int64_t sweep_id, const PointKey& key,
                                                        const std::string& phase) const {
  // The latest launch of this evaluation, and its failure if it has one.
  Statement select(
      *this,
      "SELECT l.id, (SELECT f.kind FROM failures f WHERE f.launch_id = l.id LIMIT 1) FROM launches l "
      "JOIN points p ON p.id = l.point_id WHERE l.sweep_id = ?1 AND l.phase = ?2 AND p.hardware_id = ?3 "
      "AND p.kernel = ?4 AND p.params = ?5 AND p.settings = ?6 AND p.ranks = ?7 ORDER BY l.id DESC LIMIT 1");
  select.bind(1, sweep_id).bind(2, phase).bind(3, key.hardware_id).bind(4, key.kernel);
  select.bind(5, to_canonical_json(key.params)).bind(6, to_canonical_json(key.settings)).bind(7, key.ranks);
  if (!select.step()) return std::nullopt;
  RecordedEvaluation recorded;
  const std::int64_t launch_id = select.integer(0);
  if (!select.is_null(1)) {
    const std::string kind = select.text(1);
    recorded.failure = kind == "timeout"   ? FailureKind::Timeout
                       : kind == "crashed" ? FailureKind::Crashed
                                           : FailureKind::Failed;
  }
  Statement samples(*this, "SELECT time_s FROM samples WHERE launch_id = ?1 ORDER BY iteration");
  samples.bind(1, launch_id);
  while (samples.step()) recorded.sample_times_s.push_back(samples.real(0));
  return recorded;
}

std::vector<double> ResultsDb::phase_samples(std::int64_t sweep_id, const PointKey& key,
                                             const std::string& phase_prefix) const {
  Statement select(*this,
                   "SELECT s.time_s FROM samples s JOIN launches l ON l.id = s.launch_id JOIN points p ON "
                   "p.id = l.point_id WHERE l.sweep_id = ?1 AND substr(l.phase, 1, length(?2)) = ?2 AND "
                   "p.hardware_id = ?3 AND p.kernel = ?4 AND p.params = ?5 AND p.settings = ?6 AND p.ranks = ?7 "
                   "AND NOT EXISTS (SELECT 1 FROM failures f WHERE f.launch_id = l.id) ORDER BY l.id, s.iteration");
  select.bind(1, sweep_id).bind(2, phase_prefix).bind(3, key.hardware_id).bind(4, key.kernel);
  select.bind(5, to_canonical_json(key.params)).bind(6, to_canonical_json(key.settings)).bind(7, key.ranks);
  std::vector<double> values;
  while (select.step()) values.push_back(select.real(0));
  return values;
}

void ResultsDb::record_choice(const ChoiceRecord& choice) {
  Transaction transaction([this](const char* sql) { execute(sql); });
  Statement insert(*this,
                   "INSERT OR REPLACE INTO choices (sweep_id, hardware_id, kernel, ranks, settings, params, median_s, "
                   "ci_low_s, ci_high_s, baseline_params, baseline_median_s, baseline_ci_low_s, baseline_ci_high_s, "
                   "gain, gain_ci_low, gain_ci_high, verdict, indistinguishable, recorded_at) VALUES (?1, ?2, ?3, ?4, "
                   "?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)");
  insert.bind(1, choice.sweep_id).bind(2, choice.hardware_id).bind(3, choice.kernel).bind(4, choice.ranks);
  insert.bind(5, to_canonical_json(choice.settings)).bind(6, to_canonical_json(choice.params));
  insert.bind(7, choice.median_s).bind(8, choice.ci_low_s).bind(9, choice.ci_high_s);
  insert.bind(10, to_canonical_json(choice.baseline_params));
  const auto bind_optional = [&insert](int index, const std::optional<double>& value) {
    if (value) {
      insert.bind(index, *value);
    } else {
      insert.bind_null(index);
    }
  };
  bind_optional(11, choice.baseline_median_s);
  bind_optional(12, choice.baseline_ci_low_s);
  bind_optional(13, choice.baseline_ci_high_s);
  bind_optional(14, choice.gain);
  bind_optional(15, choice.gain_ci_low);
  bind_optional(16, choice.gain_ci_high);
  nlohmann::json indistinguishable = nlohmann::json::array();
  for (const Configuration& params : choice.indistinguishable) indistinguishable.push_back(params);
  insert.bind(17, choice.verdict).bind(18, indistinguishable.dump()).bind(19, now_utc()).step();
  transaction.commit();
}

std::vector<ChoiceRecord> ResultsDb::list_choices(const PointFilter& filter) const {
  Statement select(*this,
                   "SELECT sweep_id, hardware_id, kernel, ranks, settings, params, median_s, ci_low_s, ci_high_s, "
                   "baseline_params, baseline_median_s, baseline_ci_low_s, baseline_ci_high_s, gain, gain_ci_low, "
                   "gain_ci_high, verdict, indistinguishable, recorded_at FROM choices WHERE (?1 = '' OR kernel = ?1) "
                   "AND (?2 = '' OR hardware_id = ?2) ORDER BY id");
  select.bind(1, filter.kernel).bind(2, filter.hardware_id);
  std::vector<ChoiceRecord> choices;
  const auto optional_real = [&select](int column) -> std::optional<double> {
    if (select.is_null(column)) return std::nullopt;
    return select.real(column);
  };
  while (select.step()) {
    ChoiceRecord choice;
    choice.sweep_id = select.integer(0);
    choice.hardware_id = select.text(1);
    choice.kernel = select.text(2);
    choice.ranks = int(select.integer(3));
    choice.settings = configuration_from_json(select.text(4));
    choice.params = configuration_from_json(select.text(5));
    choice.median_s = select.real(6);
    choice.ci_low_s = select.real(7);
    choice.ci_high_s = select.real(8);
    choice.baseline_params = configuration_from_json(select.text(9));
    choice.baseline_median_s = optional_real(10);
    choice.baseline_ci_low_s = optional_real(11);
    choice.baseline_ci_high_s = optional_real(12);
    choice.gain = optional_real(13);
    choice.gain_ci_low = optional_real(14);
    choice.gain_ci_high = optional_real(15);
    choice.verdict = select.text(16);
    for (const nlohmann::json& params : nlohmann::json::parse(select.text(17))) {
      choice.indistinguishable.push_back(configuration_from_json(params.dump()));
    }
    choice.recorded_at_utc = select.text(18);
    choices.push_back(std::move(choice));
  }
  return choices;
}

std::string ResultsDb::integrity_check() const {
  Statement check(*this, "PRAGMA integrity_check");
  std::string result;
  while (check.step()) result += (result.empty() ? "" : "\n") + check.text(0);
  return result;
}

}  // namespace commtune::tuner
