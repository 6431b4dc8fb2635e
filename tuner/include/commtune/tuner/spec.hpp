// The sweep spec (`commtune sweep SPEC.yaml`, schema commtune.sweep/1): which kernels to sweep over
// which parameter values, with how many ranks, through which launcher and transports, under which
// budget, search strategy and seeds. Parsed from YAML and validated against the kernel declarations
// (kernels/declaration.hpp) before anything runs; docs/tuner.md documents every key.
//
// A spec that is not accepted gives one SpecError: the file, line and column, the key (a path such
// as "kernels[0].params.level") and what would be accepted.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "commtune/tuner/search.hpp"
#include "commtune/tuner/statistics.hpp"

namespace commtune::tuner {

inline constexpr const char* kSweepSpecSchema = "commtune.sweep/1";

class SpecError : public std::runtime_error {
 public:
  SpecError(std::string file, int line, int column, std::string key, std::string message);
  const std::string& file() const { return file_; }
  int line() const { return line_; }  // 1-based; 0 when the error concerns the whole file
  int column() const { return column_; }
  const std::string& key() const { return key_; }
  const std::string& message() const { return message_; }

 private:
  std::string file_;
  int line_;
  int column_;
  std::string key_;
  std::string message_;
};

// One kernel of the sweep: the values of each listed parameter (canonical text, ranges expanded);
// unlisted parameters keep their defaults.
struct KernelSweep {
  std::string kernel;
  std::map<std::string, std::vector<std::string>> grid;
  std::vector<int> ranks;  // this kernel's rank counts (the spec's when it lists none)
  int line = 0;            // of the entry in the spec
};

enum class LauncherKind { Mpirun, Srun };

struct Launcher {
  LauncherKind kind = LauncherKind::Mpirun;
  std::vector<std::string> args;  // passed before the rank count's flag and the runner
  std::string hostfile;           // absolute, or empty; mpirun --hostfile, srun --nodefile
};

// One MPI setting to compare: MCA parameters (Open MPI) and environment variables (any MPI, e.g.
// MPICH's MPIR_CVAR_*). A spec without transports runs with the MPI library's defaults.
struct Transport {
  std::string name;
  std::map<std::string, std::string> mca;  // name -> value, e.g. btl -> "self,vader"
  std::map<std::string, std::string> env;
};

struct Budget {
  std::optional<std::chrono::seconds> time;  // wall time of the whole sweep
  std::optional<std::size_t> evaluations;    // configurations measured by the whole sweep (search and finalists)
};

enum class StrategyKind { Grid, Random, SuccessiveHalving };

// How long one evaluation measures (`measure:`): timed iterations grow until at least
// `min_iterations` ran for at least `min_time_s` and the median's 95 % interval half-width is
// within `ci_target` of the median, or a cap is hit (decide_sampling in statistics.hpp).
struct MeasurePolicy {
  int min_iterations = 10;
  int max_iterations = 1000;
  double min_time_s = 0.1;
  double ci_target = 0.03;  // fraction of the median
  double max_time_s = 5;    // per configuration: its wall time in the driver

  SampleTarget adaptive() const;
  // A successive-halving rung: exactly `iterations` (still cut by max_time_s), or, for the last rung,
  // the adaptive target with at least `iterations`.
  SampleTarget fixed(int iterations) const;
  SampleTarget adaptive_at_least(int iterations) const;
};

struct Strategy {
  StrategyKind kind = StrategyKind::Grid;
  std::size_t count = 0;                        // random: configurations per study (0: all)
  SuccessiveHalvingOptions successive_halving;  // its seed is set per study from `seeds`
};

struct SweepSpec {
  std::string file;  // as given, for messages
  std::string text;  // the spec as read: with the seed and fingerprint, it identifies a sweep to resume
  std::string name;  // default: the file's stem
  std::string description;
  std::vector<KernelSweep> kernels;
  std::vector<int> ranks{2};
  Launcher launcher;
  std::vector<Transport> transports;
  Budget budget;
  Strategy strategy;
  std::vector<std::uint64_t> seeds{1};  // one study per seed, in a different order each
  MeasurePolicy measure;
  int warmup = 3;             // untimed iterations before each evaluation's timed ones
  std::size_t finalists = 3;  // best configurations of a study re-measured in separate launches
};

// Parses and validates `text` as the spec `file` (the name used in messages, and the directory a
// relative hostfile is resolved against). Throws SpecError.
SweepSpec parse_sweep_spec(const std::string& text, const std::string& file);
// Reads `path` and parses it; an unreadable file is a SpecError at line 0.
SweepSpec load_sweep_spec(const std::filesystem::path& path);

// The sampler a study of `space_size` configurations uses, seeded with `seed`.
std::unique_ptr<Sampler> make_sampler(const SweepSpec& spec, std::size_t space_size, std::uint64_t seed);

std::string to_string(StrategyKind kind);  // "grid", "random", "successive_halving"
std::string to_string(LauncherKind kind);  // "mpirun", "srun"

// What a spec would run, without running it. An evaluation is one configuration measured once
// (the driver measures many of them in one launch).
struct KernelPlan {
  std::string kernel;
  std::size_t configurations = 0;                  // valid points of the grid
  std::size_t excluded_by_constraints = 0;         // grid points a constraint rejects
  std::size_t evaluations_per_study = 0;           // trials the strategy asks for
  std::int64_t iterations_per_study = 0;           // at least this many timed iterations (adaptive ones run more)
  std::size_t finalist_evaluations_per_study = 0;  // finalists and the baseline, each in kFinalistLaunches launches
  std::vector<int> ranks;
  std::size_t studies = 0;      // rank counts x transports x seeds
  std::size_t evaluations = 0;  // (search + finalist evaluations) x studies
  std::int64_t iterations = 0;
};

struct SweepPlan {
  std::vector<KernelPlan> kernels;
  std::size_t evaluations = 0;
  std::int64_t iterations = 0;
  std::size_t evaluations_within_budget = 0;  // evaluations the evaluation budget lets run
};

// Each finalist (and the baseline) is re-measured in this many separate launches (TUNING-FACTS:
// the variance between launches differs from the variance between iterations).
inline constexpr std::size_t kFinalistLaunches = 3;

SweepPlan plan_sweep(const SweepSpec& spec);
std::string format_plan(const SweepSpec& spec, const SweepPlan& plan);  // several lines, for people

}  // namespace commtune::tuner
