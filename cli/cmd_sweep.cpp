// `commtune sweep --check SPEC.yaml...`: parses each sweep spec (tuner/spec.hpp), validates it
// against the kernel declarations and prints what it would run (configurations per kernel,
// launches, iterations, budget) without running anything. The sweep driver that runs a spec is not
// built yet, so the command is only offered with --check: without it, it says so and exits 2
// rather than pretending to sweep.
#include <fmt/core.h>

#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "commtune/tuner/spec.hpp"

namespace commtune::cli {
namespace {

struct SweepOptions {
  std::vector<std::string> specs;
  bool check = false;
};

void run_sweep(const SweepOptions& options) {
  if (!options.check) {
    fmt::print(stderr,
               "commtune sweep: the sweep driver is not built yet; `commtune sweep --check SPEC.yaml` validates a spec "
               "and prints its plan\n");
    throw ExitCode{2};
  }
  int code = 0;
  for (const std::string& path : options.specs) {
    try {
      const tuner::SweepSpec spec = tuner::load_sweep_spec(path);
      fmt::print("{}", tuner::format_plan(spec, tuner::plan_sweep(spec)));
    } catch (const tuner::SpecError& e) {
      // One line per spec: file:line:column: key: message, accepted values included.
      fmt::print(stderr, "commtune sweep: {}\n", e.what());
      code = 2;
    }
  }
  std::fflush(stdout);
  throw ExitCode{code};
}

}  // namespace

void add_sweep_command(CLI::App& app) {
  auto options = std::make_shared<SweepOptions>();
  CLI::App* cmd = app.add_subcommand(
      "sweep",
      "Validate sweep specs (YAML, schema commtune.sweep/1; examples in configs/sweeps/) against the kernel "
      "declarations and print the plan: configurations per kernel, launches, iterations, budget.\n"
      "  commtune sweep --check configs/sweeps/batching.yaml\n"
      "Only --check exists yet (the driver that runs a sweep comes later). Exit code 2: a spec is not accepted "
      "(one line per spec: file:line:column: key: what is wrong and what is accepted).");
  cmd->add_option("spec", options->specs, "Sweep spec files")->required();
  cmd->add_flag("--check", options->check, "Validate and print the plan without running anything");
  cmd->callback([options] { run_sweep(*options); });
}

}  // namespace commtune::cli
