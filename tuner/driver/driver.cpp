// commtune-sweep-driver: see driver.hpp.
#include "driver.hpp"

#include <fmt/core.h>
#include <mpi.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "calibrate.hpp"
#include "commtune/kernels/json.hpp"
#include "commtune/kernels/kernel.hpp"
#include "commtune/tuner/driver_protocol.hpp"
#include "commtune/tuner/statistics.hpp"

namespace commtune::tuner::driver {
namespace {

using commtune::kernels::Kernel;
using commtune::kernels::KernelRegistry;
using commtune::kernels::KernelResult;
using commtune::kernels::ParamSet;
using commtune::kernels::RunOptions;
using commtune::tuner::EvaluationResult;
using commtune::tuner::EvaluationStatus;
using commtune::tuner::PlannedEvaluation;
using commtune::tuner::StopReason;

// Each run() call builds its buffers, requests and communicators afresh, so the first iteration of
// a call touches new pages and cold caches. Every batch after the first therefore starts with this
// many untimed iterations; batches grow up to 10x at a time, so that costs a handful in all.
constexpr int kSettleIterations = 1;

// How long, by default, a rank whose kernel threw waits for the other ranks to report (at least;
// max_time_s when longer). A kernel that throws on every rank (a parameter it cannot run with)
// does so within one batch; a rank still absent after this long is blocked in a collective the
// throwing rank will never join.
constexpr double kDefaultAbortAfter_s = 30;

void broadcast_string(std::string& text, int root, MPI_Comm comm) {
  std::uint64_t size = text.size();
  MPI_Bcast(&size, 1, MPI_UINT64_T, root, comm);
  text.resize(size);
  if (size > 0) MPI_Bcast(text.data(), static_cast<int>(size), MPI_CHAR, root, comm);
}

// What every rank needs to run evaluations; rank 0 also writes the output.
struct Driver {
  int rank = 0;
  int ranks = 1;
  MPI_Comm control = MPI_COMM_NULL;  // decisions and agreements, never seen by a kernel
  std::FILE* output = nullptr;       // rank 0 only
  double abort_after_s = kDefaultAbortAfter_s;
};

// The outcome of one kernel->run() on every rank: the result, or a message when it threw on
// every rank (or on some ranks that all reached the agreement afterwards).
struct RunOutcome {
  std::optional<KernelResult> result;
  std::string error;
};

// Runs the kernel, then agrees over `control` on whether any rank threw. A rank that threw waits
// at most `wait_s` for the others and aborts the job when they do not come: they are inside a
// collective of the kernel that will never complete.
RunOutcome guarded_run(const Driver& driver, const Kernel& kernel, const ParamSet& params, const RunOptions& options,
                       MPI_Comm run_comm, double wait_s) {
  RunOutcome outcome;
  std::string error;
  try {
    KernelResult result = kernel.run(params, options, run_comm);
    commtune::kernels::check_declared_metrics(kernel.declaration(), result);
    outcome.result = std::move(result);
  } catch (const std::exception& e) {
    error = e.what();
  }
  int threw = outcome.result ? 0 : 1;
  int throwers = 0;
  MPI_Request request = MPI_REQUEST_NULL;
  MPI_Iallreduce(&threw, &throwers, 1, MPI_INT, MPI_SUM, driver.control, &request);
  if (!threw) {
    MPI_Wait(&request, MPI_STATUS_IGNORE);
  } else {
    const double deadline = MPI_Wtime() + wait_s;
    int done = 0;
    while (!done) {
      MPI_Test(&request, &done, MPI_STATUS_IGNORE);
      if (done) break;
      if (MPI_Wtime() >= deadline) {
        fmt::print(stderr,
                   "commtune-sweep-driver: rank {}: kernel '{}' failed ({}) and other ranks are still inside it "
                   "after {:.0f} s\n",
                   driver.rank, kernel.declaration().name, error, wait_s);
        MPI_Abort(MPI_COMM_WORLD, 1);
      }
      // The ranks still running the kernel may need this core (oversubscribed launches).
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  if (throwers == 0) return outcome;
  // The lowest rank that threw tells everyone why.
  int first = threw ? driver.rank : INT_MAX;
  int first_thrower = 0;
  MPI_Allreduce(&first, &first_thrower, 1, MPI_INT, MPI_MIN, driver.control);
  broadcast_string(error, first_thrower, driver.control);
  outcome.result.reset();
  outcome.error = throwers == driver.ranks ? fmt::format("the kernel threw on every rank: {}", error)
                                           : fmt::format("the kernel threw on {} of {} ranks (first rank {}): {}",
                                                         throwers, driver.ranks, first_thrower, error);
  return outcome;
}

// What the batches of one evaluation add up to.
struct Accumulated {
  std::map<std::string, std::pair<double, double>> metric_sums;  // name -> (sum of value x iterations, iterations)
  int batches = 0;
};

// Metrics are per-iteration figures or rates over a batch's median; weighting each batch's value
// by its iteration count gives the per-iteration figure over all timed iterations exactly and the
// rates approximately. Checksums must agree between batches (the data delivered does not depend
// on the iteration count); when they do not, the result keeps the first and says so in a note.
void add_batch(const KernelResult& batch, std::size_t iterations, Accumulated& sums, EvaluationResult& result) {
  result.samples_s.insert(result.samples_s.end(), batch.iteration_times_s.begin(), batch.iteration_times_s.end());
  if (batch.iteration_times_s.size() != iterations) {
    result.notes["driver_sample_count_mismatch"] =
        fmt::format("a batch of {} iterations returned {} samples", iterations, batch.iteration_times_s.size());
  }
  for (const auto& [name, value] : batch.metrics) {
    auto& [sum, weight] = sums.metric_sums[name];
    sum += value * double(iterations);
    weight += double(iterations);
  }
  for (const auto& [name, value] : batch.notes) result.notes[name] = value;
  ++sums.batches;
  if (sums.batches == 1) result.checksum = batch.checksum;
  if (batch.checksum != result.checksum) {
    result.notes["driver_checksum_mismatch"] =
        fmt::format("batch {} gave {}, batch 1 gave {}", sums.batches, batch.checksum, result.checksum);
  }
}

// Rank 0 decides whether to stop and how many samples to take next; every rank gets its decision,
// so all ranks run the same batches whatever their clocks say. The time of the samples (max over
// ranks) is what the minimum time counts, as google/benchmark does. The wall time of the
// evaluation (`wall_s` over `iterations_run`, timed and untimed: set-up and the barriers between
// iterations included) is what the time cap counts: it stops the evaluation, and it caps the next
// batch at what the remaining time allows, since samples can be far shorter than an iteration's
// wall time on an oversubscribed machine.
commtune::tuner::SampleDecision decide(const Driver& driver, const PlannedEvaluation& evaluation,
                                       const std::vector<double>& samples_s, double wall_s,
                                       std::size_t iterations_run) {
  std::uint64_t message[2] = {0, 0};  // reason, more_samples
  if (driver.rank == 0) {
    double sampled_s = 0;
    for (double sample : samples_s) sampled_s += sample;
    const auto& target = evaluation.target;
    commtune::tuner::SampleDecision decision = decide_sampling(target, samples_s, sampled_s);
    if (!decision.done() && wall_s >= target.max_time_s) decision.reason = StopReason::TimeCap;
    if (!decision.done() && iterations_run > 0 && wall_s > 0) {
      const double affordable = (target.max_time_s - wall_s) / (wall_s / double(iterations_run));
      const double capped = std::clamp(affordable, 1.0, double(std::max<std::size_t>(decision.more_samples, 1)));
      decision.more_samples = static_cast<std::size_t>(capped);
    }
    message[0] = static_cast<std::uint64_t>(decision.reason);
    message[1] = decision.more_samples;
  }
  MPI_Bcast(message, 2, MPI_UINT64_T, 0, driver.control);
  commtune::tuner::SampleDecision decision;
  decision.reason = static_cast<StopReason>(message[0]);
  decision.more_samples = message[1];
  return decision;
}

// Warm-up and timed batches of one resolved configuration on `run_comm`.
void measure(const Driver& driver, const PlannedEvaluation& evaluation, const Kernel& kernel, const ParamSet& params,
             MPI_Comm run_comm, double start_s, EvaluationResult& result) {
  const auto& target = evaluation.target;
  const double wait_s = std::max(driver.abort_after_s, target.max_time_s);
  std::size_t batch = std::clamp<std::size_t>(target.min_samples, 1, target.max_samples);
  Accumulated sums;
  for (bool first = true;; first = false) {
    const RunOptions options{.iterations = static_cast<int>(std::min<std::size_t>(batch, INT_MAX)),
                             .warmup = first ? evaluation.warmup : kSettleIterations};
    RunOutcome outcome = guarded_run(driver, kernel, params, options, run_comm, wait_s);
    if (!outcome.result) {
      result.status = EvaluationStatus::Failed;
      result.message = outcome.error;
      result.samples_s.clear();
      result.metrics.clear();
      result.stop_reason = StopReason::NotYet;
      return;
    }
    result.warmup += options.warmup;
    add_batch(*outcome.result, static_cast<std::size_t>(options.iterations), sums, result);
    const auto decision = decide(driver, evaluation, result.samples_s, MPI_Wtime() - start_s,
                                 result.samples_s.size() + static_cast<std::size_t>(result.warmup));
    if (decision.done()) {
      result.stop_reason = decision.reason;
      break;
    }
    const std::size_t taken = result.samples_s.size();
    batch = std::max<std::size_t>(
        1, std::min(decision.more_samples, target.max_samples - std::min(taken, target.max_samples)));
  }
  for (const auto& [name, sum_weight] : sums.metric_sums) {
    result.metrics[name] = sum_weight.second > 0 ? sum_weight.first / sum_weight.second : 0;
  }
}

// One evaluation on every rank; the result is complete on rank 0.
EvaluationResult evaluate(const Driver& driver, const PlannedEvaluation& evaluation) {
  const double start_s = MPI_Wtime();
  EvaluationResult result;
  result.id = evaluation.id;
  result.kernel = evaluation.kernel;
  const Kernel* kernel = KernelRegistry::instance().find(evaluation.kernel);
  ParamSet params;
  if (!kernel) {
    std::string names;
    for (const Kernel* k : KernelRegistry::instance().all())
      names += (names.empty() ? "" : ", ") + k->declaration().name;
    result.status = EvaluationStatus::Failed;
    result.message = fmt::format("unknown kernel '{}'; available: {}", evaluation.kernel, names);
  } else {
    // Every rank resolves the same plan the same way, so a rejection needs no agreement.
    try {
      params = kernel->declaration().params.resolve(evaluation.params);
    } catch (const std::exception& e) {
      result.status = EvaluationStatus::Failed;
      result.message = fmt::format("{}: {}", evaluation.kernel, e.what());
    }
  }
  if (result.status == EvaluationStatus::Measured) {
    // A communicator of its own for each configuration: a message left behind by one (a kernel
    // that threw mid-way) can never match a receive of the next.
    MPI_Comm run_comm = MPI_COMM_NULL;
    MPI_Comm_dup(MPI_COMM_WORLD, &run_comm);
    measure(driver, evaluation, *kernel, params, run_comm, start_s, result);
    MPI_Comm_free(&run_comm);
  }
  result.measuring_s = MPI_Wtime() - start_s;
  return result;
}

void write_line(const Driver& driver, const std::string& line, const std::string& path) {
  if (driver.rank != 0) return;
  if (std::fputs(line.c_str(), driver.output) < 0 || std::fflush(driver.output) != 0) {
    // The sweep cannot learn anything from a launch whose results cannot be written.
    fmt::print(stderr, "commtune-sweep-driver: cannot write {}\n", path);
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
}

// Rank 0 reads the plan and opens the output; every rank gets the plan's text, or the error.
// Returns the message of a problem (the same on every rank), or the plan.
std::optional<std::string> load_plan(Driver& driver, const std::string& plan_path, const std::string& output_path,
                                     commtune::tuner::DriverPlan& plan) {
  std::string text;
  std::string error;
  if (driver.rank == 0) {
    std::ifstream file(plan_path, std::ios::binary);
    if (!file) {
      error = fmt::format("cannot read the plan {}", plan_path);
    } else {
      text.assign(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
      driver.output = std::fopen(output_path.c_str(), "w");
      if (!driver.output) error = fmt::format("cannot write {}", output_path);
    }
  }
  broadcast_string(error, 0, MPI_COMM_WORLD);
  if (!error.empty()) return error;
  broadcast_string(text, 0, MPI_COMM_WORLD);
  try {
    plan = commtune::tuner::plan_from_json(text);  // the same text on every rank: the same verdict
  } catch (const std::exception& e) {
    return fmt::format("{}: {}", plan_path, e.what());
  }
  return std::nullopt;
}

// --calibrate: rank 0 opens the output first, so that a bad path costs no measuring.
int calibrate(const Driver& driver, const std::string& output_path) {
  std::string error;
  std::ofstream file;
  if (driver.ranks < 2) error = "--calibrate needs at least 2 ranks";
  if (error.empty() && driver.rank == 0) {
    file.open(output_path, std::ios::binary | std::ios::trunc);
    if (!file) error = fmt::format("cannot write {}", output_path);
  }
  broadcast_string(error, 0, MPI_COMM_WORLD);
  if (!error.empty()) {
    if (driver.rank == 0) fmt::print(stderr, "commtune-sweep-driver: {}\n", error);
    return 2;
  }
  const commtune::tuner::Calibration calibration = commtune::tuner::driver::measure_calibration(MPI_COMM_WORLD);
  int code = 0;
  if (driver.rank == 0) {
    file << commtune::tuner::calibration_to_json(calibration);
    file.close();
    if (!file) {
      fmt::print(stderr, "commtune-sweep-driver: cannot write {}\n", output_path);
      code = 1;
    }
  }
  MPI_Bcast(&code, 1, MPI_INT, 0, MPI_COMM_WORLD);
  return code;
}

}  // namespace

int run_driver(int argc, char** argv) {
  const auto started = std::chrono::steady_clock::now();
  // Some kernels call MPI from several threads (the overlap kernel's progress thread), as in
  // commtune-kernel-run; the level obtained is reported and kernels check it themselves.
  int thread_level = MPI_THREAD_SINGLE;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &thread_level);
  const double init_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  Driver driver;
  MPI_Comm_rank(MPI_COMM_WORLD, &driver.rank);
  MPI_Comm_size(MPI_COMM_WORLD, &driver.ranks);

  auto fail = [&](int code, const std::string& message) {
    if (driver.rank == 0) fmt::print(stderr, "commtune-sweep-driver: {}\n", message);
    if (driver.output) std::fclose(driver.output);
    MPI_Finalize();
    return code;
  };

  std::string plan_path;
  std::string output_path;
  bool calibration = false;
  CLI::App app{"Measures the configurations of a sweep's plan inside one MPI launch (rank 0 writes JSON lines)."};
  auto* plan_option = app.add_option("--plan", plan_path, "The plan (schema commtune.driver_plan/1)");
  app.add_flag("--calibrate", calibration, "Measure latency and bandwidth between two ranks instead of a plan")
      ->excludes(plan_option);
  app.add_option("--output", output_path, "Results file: JSON lines, or with --calibrate one JSON document")
      ->required();
  app.add_option("--abort-after", driver.abort_after_s,
                 "Seconds a rank whose kernel threw waits for the others before it aborts the job (at least the "
                 "evaluation's max_time_s)")
      ->check(CLI::PositiveNumber)
      ->default_val(kDefaultAbortAfter_s);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    if (driver.rank == 0) app.exit(e);
    MPI_Finalize();
    return 0;
  } catch (const CLI::ParseError& e) {
    return fail(2, e.what());
  }
  if (calibration) {
    const int code = calibrate(driver, output_path);
    MPI_Finalize();
    return code;
  }
  if (plan_path.empty()) return fail(2, "--plan PLAN.json or --calibrate is required");

  commtune::tuner::DriverPlan plan;
  if (auto error = load_plan(driver, plan_path, output_path, plan)) return fail(2, *error);

  const auto context = commtune::kernels::current_run_context(MPI_COMM_WORLD, thread_level);
  write_line(driver,
             commtune::tuner::ready_to_json_line({.ranks = driver.ranks,
                                                  .init_s = init_s,
                                                  .mpi_library = context.mpi_library,
                                                  .mpi_thread_level = context.mpi_thread_level,
                                                  .host = context.host}),
             output_path);
  MPI_Comm_dup(MPI_COMM_WORLD, &driver.control);
  for (const PlannedEvaluation& evaluation : plan.evaluations) {
    write_line(driver, commtune::tuner::result_to_json_line(evaluate(driver, evaluation)), output_path);
  }
  MPI_Comm_free(&driver.control);
  if (driver.output) std::fclose(driver.output);
  MPI_Finalize();
  return 0;
}

}  // namespace commtune::tuner::driver
