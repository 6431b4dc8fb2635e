// The results database: one SQLite file per user (or --db) holding hardware fingerprints, sweeps,
// points (one kernel configuration on one hardware fingerprint), launches, their raw per-iteration
// samples, statistics recomputed from all samples, and failures. The schema is documented in
// docs/tuner.md and versioned (PRAGMA user_version and meta.schema = kResultsSchema).
//
// Concurrency and interrupts: WAL journal, a busy timeout, and one IMMEDIATE transaction per
// recorded point, so two processes may write at once and an interrupted sweep keeps every point
// recorded before the interrupt. One ResultsDb object per thread; never share one across fork().
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "commtune/tuner/configuration.hpp"

struct sqlite3;

namespace commtune::tuner {

inline constexpr const char* kResultsSchema = "commtune.results/1";
inline constexpr int kResultsSchemaVersion = 1;

enum class FailureKind { Failed, Crashed, Timeout };
std::string to_string(FailureKind kind);  // "failed", "crashed", "timeout"

enum class SweepStatus { Running, Finished, Interrupted, Failed };
std::string to_string(SweepStatus status);  // "running", "finished", "interrupted", "failed"

// What identifies a point: a re-run with the same key finds it finished.
struct PointKey {
  std::string hardware_id;  // HardwareFingerprint::id()
  std::string kernel;
  Configuration params;    // canonical values of every kernel parameter
  Configuration settings;  // MPI settings the sweep varies for this point (e.g. an MCA parameter)
  int ranks = 0;
};

// One measurement of one point: a kernel launch of its own, or (a sweep) one evaluation among the
// several one launch of the sweep driver measures; then `command` and `started_at_utc` are the
// launch's and `duration_s` the evaluation's own measuring time.
struct LaunchRecord {
  std::vector<std::string> command;
  std::string started_at_utc;  // ISO 8601 ("2026-12-04T23:40:00Z"); empty: the time of recording
  double duration_s = 0;
  int exit_status = 0;
  int warmup_iterations = 0;
  std::vector<double> sample_times_s;  // one per timed iteration, in order
  std::string phase;                   // which evaluation of a sweep this is ("search:6", "finalist:2"); may be empty
  std::string stop_reason;             // why the timed iterations stopped (statistics.hpp StopReason); may be empty
  std::map<std::string, double> metrics;  // the kernel's declared metrics
};

// One evaluation of a sweep as recorded (ResultsDb::evaluation): its samples, or its failure.
struct RecordedEvaluation {
  std::optional<FailureKind> failure;
  std::vector<double> sample_times_s;
};

// What a sweep chose for one study (kernel, ranks, settings on one fingerprint), after its
// finalists were re-measured in separate launches. `gain` = 1 - median / baseline median (0.2: the
// chosen configuration takes 20 % less time than the baseline), with its 95 % bootstrap interval;
// `verdict` is compare(baseline, chosen)'s ("faster": the chosen one is significantly faster).
struct ChoiceRecord {
  std::int64_t sweep_id = 0;
  std::string hardware_id;
  std::string kernel;
  int ranks = 0;
  Configuration settings;
  Configuration params;  // the chosen configuration
  double median_s = 0;
  double ci_low_s = 0;
  double ci_high_s = 0;
  Configuration baseline_params;            // the kernel's baseline variant, other parameters as chosen
  std::optional<double> baseline_median_s;  // nullopt when the baseline failed
  std::optional<double> baseline_ci_low_s;
  std::optional<double> baseline_ci_high_s;
  std::optional<double> gain;
  std::optional<double> gain_ci_low;
  std::optional<double> gain_ci_high;
  std::string verdict;
  std::vector<Configuration> indistinguishable;  // finalists not significantly slower than the chosen one
  std::string recorded_at_utc;                   // set when recorded
};

struct StoredStatistics {
  std::int64_t sample_count = 0;
  double median_s = 0;
  double ci_low_s = 0;  // 95 % order-statistics interval of the median
  double ci_high_s = 0;
  double ci_coverage = 0;
  double min_s = 0;
  double mean_s = 0;
  double cv = 0;
  std::int64_t outlier_count = 0;  // flagged, still in every figure above
};

struct PointRow {
  std::int64_t id = 0;
  std::int64_t sweep_id = 0;
  PointKey key;
  std::string status;  // "measured", or the FailureKind of a point that never measured
  std::int64_t launch_count = 0;
  std::optional<StoredStatistics> statistics;
  std::string failure;  // latest failure: "kind: message"; empty when none
};

struct PointFilter {
  std::string kernel;       // empty: every kernel
  std::string hardware_id;  // empty: every fingerprint
};

class ResultsDb {
 public:
  enum class Mode { ReadWrite, ReadOnly };  // ReadWrite creates the file, its directory and the schema

  // Throws std::runtime_error naming the path: no such file (ReadOnly), not SQLite, or a schema
  // this commtune does not read.
  explicit ResultsDb(const std::filesystem::path& path, Mode mode = Mode::ReadWrite);
  ~ResultsDb();
  ResultsDb(const ResultsDb&) = delete;
  ResultsDb& operator=(const ResultsDb&) = delete;

  // $XDG_DATA_HOME/commtune/results.sqlite, else ~/.local/share/commtune/results.sqlite.
  static std::filesystem::path default_path();
  const std::filesystem::path& path() const { return path_; }
  int schema_version() const;

  void add_hardware(const std::string& id, const nlohmann::json& fingerprint);  // kept when present
  std::optional<nlohmann::json> hardware(const std::string& id) const;
  std::int64_t begin_sweep(const std::string& hardware_id, const std::string& spec_text, std::uint64_t seed);
  void set_sweep_status(std::int64_t sweep_id, SweepStatus status);
  std::string sweep_status(std::int64_t sweep_id) const;  // "running", "finished", ...
  // The latest sweep of this spec text and seed on this fingerprint: the one a re-run resumes.
  std::optional<std::int64_t> find_sweep(const std::string& hardware_id, const std::string& spec_text,
                                         std::uint64_t seed) const;
  // The latest launch recorded by `sweep_id` for this point and phase; nullopt when there is none.
  std::optional<RecordedEvaluation> evaluation(std::int64_t sweep_id, const PointKey& key,
                                               const std::string& phase) const;
  // The samples of the point's launches in `sweep_id` whose phase starts with `phase_prefix`,
  // failed launches left out.
  std::vector<double> phase_samples(std::int64_t sweep_id, const PointKey& key, const std::string& phase_prefix) const;
  // Replaces the choice of the same sweep, kernel, ranks and settings.
  void record_choice(const ChoiceRecord& choice);
  std::vector<ChoiceRecord> list_choices(const PointFilter& filter = {}) const;

  // True when the point failed, or has at least `min_samples` samples.
  bool is_finished(const PointKey& key, std::int64_t min_samples = 1) const;
  // Adds the launches and their samples to the point (created when new) and recomputes its
  // statistics from all its samples, in one transaction. Returns the point id.
  std::int64_t record_measurement(std::int64_t sweep_id, const PointKey& key,
                                  const std::vector<LaunchRecord>& launches);
  // Records a failed, crashed or timed-out launch. Its samples, if any, are stored but left out of
  // the statistics and of samples(): a launch that did not finish normally is not trusted.
  std::int64_t record_failure(std::int64_t sweep_id, const PointKey& key, FailureKind kind, const std::string& message,
                              const std::optional<LaunchRecord>& launch = std::nullopt);

  std::vector<PointRow> list_points(const PointFilter& filter = {}) const;
  // The samples of the point's launches that did not fail, in launch order, then iteration order.
  std::vector<double> samples(std::int64_t point_id) const;
  // The metrics of the point's launches that did not fail, one map per launch in launch order;
  // a metric stored as null (not finite) is left out of its map.
  std::vector<std::map<std::string, double>> launch_metrics(std::int64_t point_id) const;
  // Every point of one kernel on one fingerprint with its samples: the input of a replay.
  std::vector<RecordedPoint> recorded_points(const std::string& kernel, const std::string& hardware_id) const;

  std::string integrity_check() const;  // "ok" when SQLite finds nothing wrong

 private:
  class Statement;
  std::int64_t find_or_insert_point(std::int64_t sweep_id, const PointKey& key);
  std::int64_t insert_launch(std::int64_t point_id, std::int64_t sweep_id, const LaunchRecord& launch);
  void update_statistics(std::int64_t point_id);
  void create_or_check_schema(bool writable);
  void execute(const char* sql);
  void use_write_ahead_log();

  std::filesystem::path path_;
  sqlite3* db_ = nullptr;
};

}  // namespace commtune::tuner
