// `commtune sweep SPEC.yaml --sbatch [--sbatch-arg ARG]...`: runs the sweep as a Slurm batch job
// and waits for it. It writes WORK/sweep.sbatch, a script that runs this same `commtune sweep` with
// the same spec, database and options inside the allocation, submits it with
// `sbatch --parsable --ntasks=<largest rank count> --job-name=commtune-sweep
// --output=WORK/sweep-<job id>.out ARG...`, copies the job's output to our stdout as it grows, and
// exits with the job's exit code. SIGINT, SIGTERM and SIGHUP cancel the job (scancel); a second
// one stops waiting.
//
// Waiting is our own polling of `scontrol show job` (1 s, growing to 10 s), not `sbatch --wait`,
// which polls at 2, 8, then every 32 s: a job of 11 s returned after 42 s on the test cluster.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace commtune::cli {

struct SweepBatch {
  std::filesystem::path spec;               // as the user gave it
  std::optional<std::filesystem::path> db;  // none: the default database, resolved here
  std::filesystem::path work_dir;           // the script, the job's output, the sweep's files
  std::vector<std::string> sweep_options;   // further options the sweep inside the job gets
  std::vector<std::string> sbatch_args;     // the user's --sbatch-arg values, in order
};

// Validates the spec (a SpecError ends it with exit code 2 before anything is submitted), submits
// the job, waits for it and returns the exit code `commtune sweep` ends with: the job's (128 + N
// when signal N ended its script), 128 + N when signal N made us cancel it, 1 when it could not be
// submitted or ended without an exit code (NODE_FAIL, a job Slurm forgot).
int run_sweep_batch(const SweepBatch& batch);

}  // namespace commtune::cli
