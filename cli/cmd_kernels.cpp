// `commtune kernels`: lists every kernel declaration: parameters, constraints and metrics.
// `commtune kernel NAME [--param k=v]... [--iterations N] [--warmup N] [-o FILE] [-- launcher...]`:
// validates the parameters, then runs `<launcher...> commtune-kernel-run NAME ...` and passes its
// JSON and exit code through.
#include <fmt/core.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "build_info.hpp"
#include "commands.hpp"
#include "commtune/kernels/declaration.hpp"
#include "commtune/kernels/json.hpp"
#include "commtune/launch/launcher.hpp"

namespace commtune::cli {
namespace {

namespace fs = std::filesystem;
using kernels::KernelDeclaration;
using kernels::ParamSpace;

struct ListOptions {
  bool json = false;
};

struct KernelOptions {
  std::string name;
  std::vector<std::string> params;  // "k=v"
  int iterations = 20;
  int warmup = 3;
  std::string output;
  std::vector<std::string> launcher;  // words after "--"
};

std::vector<std::string> default_launcher() {
  // The launcher that matches the MPI library this commtune was built against.
  if (std::string(build::kMpiFlavour) == "mpich") return {"mpirun.mpich", "-np", "2"};
  return {"mpirun", "-np", "2"};
}

fs::path kernel_runner_path() {
  if (const char* forced = std::getenv("COMMTUNE_KERNEL_RUNNER"); forced && *forced) return forced;
  return executable_dir() / build::kKernelRunnerName;
}

void list_kernels(const ListOptions& options) {
  const auto& all = kernels::builtin_declarations();
  if (options.json) {
    fmt::print("{}\n", kernels::kernel_list_json(all));
    return;
  }
  if (all.empty()) {
    fmt::print("no kernels are registered in this build\n");
    return;
  }
  for (const KernelDeclaration* declaration : all) {
    fmt::print("{}  {}\n", declaration->name, declaration->technique);
    std::size_t width = 0;
    for (const auto& spec : declaration->params.specs()) width = std::max(width, spec.name.size());
    for (const auto& spec : declaration->params.specs()) {
      // describe_range() carries the unit: "1 .. 1024 ranks (default 64)".
      fmt::print("  {:<{}}  {:<7}  {}\n", spec.name, width, kernels::to_string(spec.type),
                 ParamSpace::describe_range(spec));
      fmt::print("  {:<{}}           {}\n", "", width, spec.description);
    }
    for (const auto& constraint : declaration->params.constraints()) {
      fmt::print("  constraint: {}\n", kernels::describe(constraint));
    }
    std::vector<std::string> metrics;
    for (const auto& metric : declaration->metrics) {
      metrics.push_back(
          fmt::format("{} ({}{})", metric.name, metric.unit, metric.higher_is_better ? ", higher is better" : ""));
    }
    fmt::print("  metrics: {}\n", fmt::join(metrics, ", "));
    fmt::print("  baseline: variant={}\n\n", declaration->baseline_variant);
  }
  fmt::print("Run one: commtune kernel NAME --param name=value ... [--iterations N] [-- mpirun -np 4]\n");
}

void run_kernel(const KernelOptions& options) {
  const KernelDeclaration* declaration = kernels::find_declaration(options.name);
  if (!declaration) {
    fmt::print(stderr, "commtune kernel: unknown kernel '{}'; available: {}\n", options.name,
               fmt::join(kernels::builtin_kernel_names(), ", "));
    throw ExitCode{2};
  }
  // Validate here, before a launcher starts ranks that would all reject the same mistake.
  std::map<std::string, std::string> overrides;
  for (const std::string& pair : options.params) {
    const auto equals = pair.find('=');
    if (equals == std::string::npos || equals == 0) {
      fmt::print(stderr, "commtune kernel: {}: --param '{}' is not of the form name=value\n", options.name, pair);
      throw ExitCode{2};
    }
    overrides[pair.substr(0, equals)] = pair.substr(equals + 1);
  }
  try {
    declaration->params.resolve(overrides);
  } catch (const std::exception& e) {
    fmt::print(stderr, "commtune kernel: {}: {}\n", options.name, e.what());
    throw ExitCode{2};
  }

  const fs::path runner = kernel_runner_path();
  std::error_code error;
  if (!fs::is_regular_file(runner, error)) {
    fmt::print(stderr, "commtune kernel: {} not found (set COMMTUNE_KERNEL_RUNNER to its path)\n", runner.string());
    throw ExitCode{1};
  }
  // main() takes the words after "--" out before CLI11 parses; without "--", launcher words given as
  // extra positionals still count.
  std::vector<std::string> launcher = command_after_separator();
  if (launcher.empty()) launcher = options.launcher;
  std::vector<std::string> command = launcher.empty() ? default_launcher() : launcher;
  command.push_back(runner.string());
  command.push_back(options.name);
  for (const std::string& pair : options.params) {
    command.push_back("--param");
    command.push_back(pair);
  }
  command.insert(command.end(),
                 {"--iterations", std::to_string(options.iterations), "--warmup", std::to_string(options.warmup)});
  if (!options.output.empty()) command.insert(command.end(), {"--output", fs::absolute(options.output).string()});
  launch::RunLimits limits;
  limits.who = "commtune kernel";
  throw ExitCode{launch::run({command, {}}, limits).exit_code};
}

}  // namespace

void add_kernels_commands(CLI::App& app) {
  auto list = std::make_shared<ListOptions>();
  CLI::App* list_cmd = app.add_subcommand(
      "kernels",
      "List the communication-technique kernels and every parameter: type, range or choices, default, "
      "unit.");
  list_cmd->add_flag("--json", list->json, "Print the list as JSON (schema commtune.kernel_list/1)");
  list_cmd->callback([list] { list_kernels(*list); });

  auto run = std::make_shared<KernelOptions>();
  CLI::App* run_cmd = app.add_subcommand(
      "kernel",
      "Run one configuration of a kernel under an MPI launcher and print its JSON result "
      "(schema commtune.kernel_result/1).\n"
      "  commtune kernel overlap --param operation=iallreduce --param variant=nonblocking\n"
      "  commtune kernel nonblocking --param pattern=ring -- mpirun -np 4 --oversubscribe\n"
      "The launcher words go after \"--\" (default: mpirun -np 2). Exits with the runner's exit code; "
      "2 means a rejected parameter.");
  run_cmd->add_option("name", run->name, "Kernel name (see `commtune kernels`)")->required();
  run_cmd->add_option("launcher", run->launcher, "Launcher and its options, after \"--\"");
  run_cmd->add_option("--param", run->params, "Parameter override name=value (repeatable)");
  run_cmd->add_option("--iterations", run->iterations, "Timed iterations")->check(CLI::Range(1, 1000000));
  run_cmd->add_option("--warmup", run->warmup, "Untimed iterations before them")->check(CLI::Range(0, 1000000));
  run_cmd->add_option("-o,--output", run->output, "Write the JSON to this file instead of standard output");
  run_cmd->callback([run] { run_kernel(*run); });
}

}  // namespace commtune::cli
