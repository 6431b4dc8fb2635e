// The parts of run_sweep (sweep.hpp), one file each: launch building and one driver launch
// (launch.cpp), the choice after a study's finalists are re-measured (finalists.cpp), and the
// sweep and study loops (runner.cpp).
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "commtune/kernels/declaration.hpp"
#include "commtune/launch/launcher.hpp"
#include "commtune/tuner/driver_protocol.hpp"
#include "commtune/tuner/fingerprint.hpp"
#include "commtune/tuner/results_db.hpp"
#include "commtune/tuner/spec.hpp"

namespace commtune::tuner::sweep_detail {

// One configuration to measure once, as one evaluation of a study.
struct Evaluation {
  PointKey key;
  std::string phase;  // "search:F" (fidelity F), "finalist:L" (launch L of the finalists)
  SampleTarget target;
  int fidelity = 0;  // the sampler's, for a search evaluation; 0 for a finalist
};

enum class EvaluationState { NotRun, Measured, Failed, Crashed, Timeout };

struct EvaluationAnswer {
  EvaluationState state = EvaluationState::NotRun;
  std::vector<double> samples_s;
  std::optional<double> value_s() const;  // the median when measured with samples
};

// The MPI settings a transport sets, as a point's `settings`: MCA parameter names (lowercase) and
// environment variable names (uppercase) -> value.
Configuration transport_settings(const Transport* transport);

// What the fingerprint records of a launch with this transport: the environment, the launcher's
// arguments and the transport's MCA parameters and variables.
LaunchSettings launch_settings(const SweepSpec& spec, const Transport* transport);

// How many evaluations one launch takes, and its time limit: a start-up margin plus, for each
// evaluation, twice its measuring cap and an allowance for set-up and warm-up.
std::size_t evaluations_per_launch(const SampleTarget& target);
std::chrono::seconds launch_time_limit(const std::vector<Evaluation>& evaluations);

struct DriverLaunch {
  std::vector<std::string> command;  // the argument vector, as recorded with each evaluation
  std::string started_at_utc;
  launch::RunResult run;
  DriverOutput output;
  double wall_s = 0;
  std::string read_error;  // the results file could not be read
};

// Writes the plan, starts the driver through the launch layer and reads what it wrote.
DriverLaunch run_driver(const SweepSpec& spec, const std::string& mpirun, const Transport* transport, int ranks,
                        const std::filesystem::path& driver, const DriverPlan& plan,
                        const std::filesystem::path& plan_path, const std::filesystem::path& output_path,
                        std::chrono::seconds time_limit);

// commtune-sweep-driver --calibrate in a launch of its own; nullopt (and `error`) when it failed.
std::optional<Calibration> run_calibration(const SweepSpec& spec, const std::string& mpirun, const Transport* transport,
                                           int ranks, const std::filesystem::path& driver,
                                           const std::filesystem::path& output_path, std::string& error,
                                           launch::RunResult& run);

std::string now_utc();

// The baseline a choice is compared with: `best` with the kernel's baseline variant; when a
// constraint rejects that, the declaration's defaults with the baseline variant.
Configuration baseline_configuration(const kernels::KernelDeclaration& declaration, const Configuration& best);

// The finalists' and the baseline's samples from the finalist launches, and the study it was.
struct FinalistSamples {
  Configuration params;
  std::vector<double> samples_s;
};

// The choice: the finalist with the lowest median; the finalists compare() does not find slower
// than it; the gain over the baseline with its interval. nullopt when no finalist has samples.
std::optional<ChoiceRecord> decide_choice(const std::vector<FinalistSamples>& finalists,
                                          const FinalistSamples& baseline, std::uint64_t seed);

}  // namespace commtune::tuner::sweep_detail
