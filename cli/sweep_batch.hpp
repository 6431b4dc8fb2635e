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

#include <CLI/CLI.hpp>
#include <memory>

#include "cmd_sweep.hpp"

namespace commtune::cli {

// Adds --sbatch and --sbatch-arg to `commtune sweep` (`sweep`, whose options are `options`) and
// makes its callback submit the sweep when --sbatch is given, and run_sweep_command() otherwise
// (--check with --sbatch only checks). The exit code with --sbatch: 2 when a spec is not accepted
// (nothing submitted); the job's (128 + N when signal N ended its script); 128 + N when signal N
// made us cancel it; 1 when it could not be submitted or ended without an exit code (NODE_FAIL).
void add_sweep_batch_options(CLI::App& sweep, std::shared_ptr<SweepCommandOptions> options);

}  // namespace commtune::cli
