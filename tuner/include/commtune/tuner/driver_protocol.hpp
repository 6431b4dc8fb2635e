// What passes between a sweep (tuner/sweep) and the driver it launches inside one mpirun or srun
// (commtune-sweep-driver, tuner/driver): the plan, a list of kernel configurations to measure one
// after the other in that order, and the results, one JSON line per configuration appended and
// flushed as soon as it is measured, so that a launch that crashes or is stopped keeps what it
// finished and the sweep knows which configuration it died in. This header and
// src/driver_protocol.cpp own both formats; nothing else writes or parses them.
//
//   plan     commtune.driver_plan/1    one JSON document: {"schema", "evaluations": [...]}
//   results  commtune.driver_result/1  JSON Lines: a "ready" line once MPI is initialised, then one
//                                      "evaluation" line per configuration, in plan order
//   calibration  commtune.calibration/1  one JSON document written by `--calibrate`: {"schema",
//                                      Calibration::to_json()'s members} (fingerprint.hpp)
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "commtune/tuner/configuration.hpp"
#include "commtune/tuner/fingerprint.hpp"
#include "commtune/tuner/statistics.hpp"

namespace commtune::tuner {

inline constexpr const char* kDriverPlanSchema = "commtune.driver_plan/1";
inline constexpr const char* kDriverResultSchema = "commtune.driver_result/1";
inline constexpr const char* kCalibrationSchema = "commtune.calibration/1";

// The driver's file name, installed beside `commtune` and commtune-kernel-run.
inline constexpr const char* kSweepDriverName = "commtune-sweep-driver";
// The words that follow the driver's path on the launch command line: measure a plan, or measure
// the calibration (collective over all ranks; ranks 0 and one partner ping-pong, the others wait).
std::vector<std::string> driver_arguments(const std::filesystem::path& plan, const std::filesystem::path& output);
std::vector<std::string> calibration_arguments(const std::filesystem::path& output);

// One configuration to measure: untimed warm-up iterations, then timed iterations in growing
// batches until `target` says stop (decide_sampling). A fixed count is min_samples = max_samples.
struct PlannedEvaluation {
  std::string id;  // chosen by the sweep, echoed in the result
  std::string kernel;
  Configuration params;  // canonical values; parameters left out keep their defaults
  int warmup = 2;
  SampleTarget target;
};

struct DriverPlan {
  std::vector<PlannedEvaluation> evaluations;
};

enum class EvaluationStatus {
  Measured,  // samples_s holds every timed iteration
  Failed,    // rejected by the declaration, or the kernel threw on ranks that all got past the call
             // (every rank, or some after the kernel's last collective); `message` says why
};
std::string to_string(EvaluationStatus status);  // "measured", "failed"

struct EvaluationResult {
  std::string id;
  std::string kernel;
  EvaluationStatus status = EvaluationStatus::Measured;
  std::vector<double> samples_s;  // per timed iteration, max over ranks, in order
  int warmup = 0;                 // untimed iterations run
  StopReason stop_reason = StopReason::NotYet;
  double measuring_s = 0;                 // wall time of the evaluation: set-up, warm-up and timed iterations
  std::map<std::string, double> metrics;  // the kernel's declared metrics
  std::string checksum;
  std::map<std::string, std::string> notes;
  std::string message;  // why it failed; empty when measured
};

// The "ready" line: when MPI_Init returned, counted from the driver's start (rank 0), and what the
// ranks run on, so a sweep can split a launch's time into start-up and measuring.
struct DriverReady {
  int ranks = 0;
  double init_s = 0;
  std::string mpi_library;
  std::string mpi_thread_level;
  std::string host;  // rank 0's
};

std::string plan_to_json(const DriverPlan& plan);
// Throws std::invalid_argument naming what is wrong.
DriverPlan plan_from_json(const std::string& text);

std::string ready_to_json_line(const DriverReady& ready);         // one line, '\n' included
std::string result_to_json_line(const EvaluationResult& result);  // one line, '\n' included

// Everything a results file holds so far. A torn last line (the launch died while writing it) is
// ignored; any other malformed line throws std::invalid_argument naming the file and line.
struct DriverOutput {
  std::optional<DriverReady> ready;
  std::vector<EvaluationResult> results;
};
DriverOutput read_driver_output(const std::filesystem::path& path);

std::string calibration_to_json(const Calibration& calibration);  // the whole document, '\n' included
// Throws std::invalid_argument naming the file and what is wrong (missing, not JSON, schema, keys).
Calibration read_calibration(const std::filesystem::path& path);

}  // namespace commtune::tuner
