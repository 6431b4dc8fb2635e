// Running a sweep spec (`commtune sweep SPEC.yaml`): for each kernel entry x rank count x transport
// x seed, a study (SearchSpace + the spec's sampler) whose batches of trials are measured by
// launches of commtune-sweep-driver (driver_protocol.hpp), many configurations per launch, in an
// order shuffled by the seed; every evaluation goes into the results database as it finishes.
// After each study its best configurations are re-measured in separate launches and compared
// with the kernel's baseline variant; the choice is stored (ResultsDb::record_choice).
//
// A re-run of the same spec text on the same fingerprint and seed resumes its sweep: evaluations
// it recorded are answered from the database, not measured again. A configuration that fails is
// recorded `failed`; one whose launch died is recorded `crashed` (or `timeout`) and the
// configurations after it in that launch are measured in a new one. Setting `stop` (a signal
// handler does) stops starting launches; a signal that arrives during a launch is forwarded to it
// by the launch layer and stops the sweep the same way.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "commtune/launch/launcher.hpp"
#include "commtune/tuner/configuration.hpp"
#include "commtune/tuner/results_db.hpp"
#include "commtune/tuner/spec.hpp"

namespace commtune::tuner {

enum class ProgressKind {
  SweepStarted,        // planned_evaluations is set
  LaunchStarted,       // launch_evaluations, ranks, transport
  LaunchFinished,      // and launch_wall_s, launch_init_s, launch_measuring_s, exit_code
  EvaluationFinished,  // kernel, params, phase, status, value_s, best_*
  StudyFinished,       // choice (null when the study chose nothing)
  SweepFinished,
};

struct ProgressEvent {
  ProgressKind kind = ProgressKind::SweepStarted;
  double elapsed_s = 0;  // since run_sweep started
  std::size_t planned_evaluations = 0;
  std::size_t done_evaluations = 0;  // measured, failed or answered from the database
  // EvaluationFinished
  std::string kernel;
  Configuration params;
  std::string phase;
  std::string status;  // "measured", "failed", "crashed", "timeout", or "recorded" (answered from the database)
  std::optional<double> value_s;       // the evaluation's median
  std::optional<double> best_value_s;  // the study's best median so far at its highest fidelity
  Configuration best_params;
  // LaunchStarted / LaunchFinished
  std::size_t launch_evaluations = 0;
  int ranks = 0;
  std::string transport;
  double launch_wall_s = 0;       // spawn to exit
  double launch_init_s = 0;       // the driver's MPI_Init (from its ready line)
  double launch_measuring_s = 0;  // sum of the evaluations' measuring times
  int exit_code = 0;
  // totals so far: wall time of all launches, and the part spent measuring
  double launches_wall_s = 0;
  double measuring_s = 0;
  const ChoiceRecord* choice = nullptr;  // StudyFinished
};

using ProgressCallback = std::function<void(const ProgressEvent&)>;

struct SweepOptions {
  std::filesystem::path db_path;      // the results database (created when absent)
  std::filesystem::path driver_path;  // commtune-sweep-driver
  std::string mpirun = "mpirun";      // the program of `launcher: {kind: mpirun}` (mpirun.mpich for MPICH)
  std::filesystem::path work_dir;     // plan and result files of the launches (created)
  bool fresh = false;                 // start a new sweep even when one of this spec was recorded
  ProgressCallback progress;          // may be empty
  std::atomic<bool>* stop = nullptr;  // set (by a signal handler) to stop starting launches
};

// A study's choice, with where it ran.
struct StudyOutcome {
  std::string transport;  // the spec's name for it; empty without transports
  std::uint64_t seed = 0;
  ChoiceRecord choice;
};

struct SweepOutcome {
  SweepStatus status = SweepStatus::Finished;
  std::string message;  // why it failed; empty otherwise
  bool budget_exhausted = false;
  std::vector<std::int64_t> sweep_ids;  // one per transport x seed (sweeps table)
  std::vector<StudyOutcome> studies;    // the studies that chose a configuration
  std::size_t evaluations_measured = 0;
  std::size_t evaluations_failed = 0;    // failed, crashed or timed out
  std::size_t evaluations_recorded = 0;  // answered from the database (resumed)
  std::size_t launches = 0;
  std::size_t launches_failed = 0;  // ended other than with exit 0 and every result
  double wall_s = 0;
  double launches_wall_s = 0;  // time inside launches (start-up, measuring, tear-down)
  double init_s = 0;           // of which in the drivers' MPI_Init
  double measuring_s = 0;      // of which measuring evaluations
};

// The command of one launch of the driver for a study of `ranks` ranks over `transport` (null: the
// MPI library's defaults): mpirun [launcher.args] [--mca K V]... [--hostfile H] -np N DRIVER
// DRIVER_ARGS with the transport's variables passed by -x; srun [args] [--nodefile H] -n N DRIVER
// DRIVER_ARGS with the MCA parameters as OMPI_MCA_* variables (srun has no --mca) through --export.
launch::LaunchCommand build_launch_command(const SweepSpec& spec, const std::string& mpirun, const Transport* transport,
                                           int ranks, const std::filesystem::path& driver,
                                           const std::vector<std::string>& driver_args);

// Throws std::runtime_error when the database cannot be opened or the work directory created;
// everything after that ends in the outcome (status Failed with a message).
SweepOutcome run_sweep(const SweepSpec& spec, const SweepOptions& options);

}  // namespace commtune::tuner
