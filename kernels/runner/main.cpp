// commtune-kernel-run NAME [--param k=v]... [--iterations N] [--warmup N] [--output FILE]
//
// Runs one configuration of one kernel on every rank of MPI_COMM_WORLD and prints (rank 0) one
// JSON document, schema "commtune.kernel_result/1". Exit codes: 0 success, 2 bad command line or
// parameter (message printed once by rank 0), 1 the kernel failed.
#include <fmt/core.h>
#include <mpi.h>

#include <CLI/CLI.hpp>
#include <exception>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "commtune/kernels/json.hpp"
#include "commtune/kernels/kernel.hpp"

namespace {

using commtune::kernels::Kernel;
using commtune::kernels::KernelRegistry;
using commtune::kernels::KernelResult;
using commtune::kernels::ParamSet;

struct Arguments {
  std::string kernel;
  std::vector<std::string> params;  // "k=v"
  int iterations = 20;
  int warmup = 3;
  std::string output;
};

// Resolves the parameters; returns the error message instead when they are not accepted.
std::optional<std::string> resolve(const Kernel& kernel, const std::vector<std::string>& pairs, ParamSet& out) {
  std::map<std::string, std::string> overrides;
  for (const std::string& pair : pairs) {
    const auto equals = pair.find('=');
    if (equals == std::string::npos || equals == 0) {
      return fmt::format("--param '{}' is not of the form name=value", pair);
    }
    overrides[pair.substr(0, equals)] = pair.substr(equals + 1);
  }
  try {
    out = kernel.declaration().params.resolve(overrides);
  } catch (const std::exception& e) {
    return e.what();
  }
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  // Some kernels call MPI from several threads (the overlap kernel's progress thread), so the runner
  // asks for MPI_THREAD_MULTIPLE; the level obtained is reported and kernels check it themselves.
  int thread_level = MPI_THREAD_SINGLE;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &thread_level);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);

  auto fail = [&](int code, const std::string& message) {
    if (rank == 0) fmt::print(stderr, "commtune-kernel-run: {}\n", message);
    MPI_Finalize();
    return code;
  };

  Arguments args;
  CLI::App app{"Runs one configuration of a commtune kernel and prints a JSON result (rank 0)."};
  app.add_option("name", args.kernel, "Kernel name (see `commtune kernels`)")->required();
  app.add_option("--param", args.params, "Parameter override name=value (repeatable)");
  app.add_option("--iterations", args.iterations, "Timed iterations")->check(CLI::Range(1, 1000000));
  app.add_option("--warmup", args.warmup, "Untimed iterations before them")->check(CLI::Range(0, 1000000));
  app.add_option("--output", args.output, "Write the JSON to this file instead of standard output");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    if (rank == 0) app.exit(e);
    MPI_Finalize();
    return 0;
  } catch (const CLI::ParseError& e) {
    return fail(2, e.what());
  }

  Kernel* kernel = KernelRegistry::instance().find(args.kernel);
  if (!kernel) {
    std::string names;
    for (const Kernel* k : KernelRegistry::instance().all())
      names += (names.empty() ? "" : ", ") + k->declaration().name;
    return fail(2, fmt::format("unknown kernel '{}'; available: {}", args.kernel, names));
  }
  ParamSet params;
  if (auto error = resolve(*kernel, args.params, params)) return fail(2, fmt::format("{}: {}", args.kernel, *error));

  const commtune::kernels::RunContext context = commtune::kernels::current_run_context(
      MPI_COMM_WORLD, thread_level, {.iterations = args.iterations, .warmup = args.warmup});
  std::string text;
  try {
    const KernelResult result = kernel->run(params, context.options, MPI_COMM_WORLD);
    // Also checks that every metric is declared: an undeclared one is a bug in the kernel.
    text = commtune::kernels::kernel_result_json(kernel->declaration(), params, context, result) + "\n";
  } catch (const std::exception& e) {
    // A kernel that throws on some ranks only would leave the others blocked in a collective.
    fmt::print(stderr, "commtune-kernel-run: rank {}: kernel '{}' failed: {}\n", rank, args.kernel, e.what());
    MPI_Abort(MPI_COMM_WORLD, 1);
    return 1;
  }

  int code = 0;
  if (rank == 0) {
    if (args.output.empty()) {
      fmt::print("{}", text);
      std::fflush(stdout);
    } else {
      std::ofstream file(args.output);
      file << text;
      if (!file) {
        fmt::print(stderr, "commtune-kernel-run: cannot write {}\n", args.output);
        code = 1;
      }
    }
  }
  MPI_Bcast(&code, 1, MPI_INT, 0, MPI_COMM_WORLD);
  MPI_Finalize();
  return code;
}
