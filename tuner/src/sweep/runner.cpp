// run_sweep: the loops over transports, seeds, kernels and rank counts; each study's batches of
// trials measured by driver launches; results recorded as they come; the finalists at the end.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <map>
#include <random>
#include <stdexcept>

#include "commtune/tuner/sweep.hpp"
#include "sweep_internal.hpp"

namespace commtune::tuner {
namespace {

using namespace sweep_detail;

// Launches in a row that never reached MPI_Init before the sweep gives up (a launcher or driver
// that cannot start at all fails every launch the same way).
constexpr int kMaxFailedStarts = 3;

struct SweepFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Study {
  const KernelSweep* kernel = nullptr;
  const kernels::KernelDeclaration* declaration = nullptr;
  int ranks = 0;
  const Transport* transport = nullptr;
  std::uint64_t seed = 0;
  std::size_t index = 0;  // in the sweep, for the shuffles' seeds
  std::int64_t sweep_id = 0;
  std::string hardware_id;
  Configuration settings;
  std::optional<double> best_value_s;
  Configuration best_params;
  int best_fidelity = 0;
};

class SweepRunner {
 public:
  SweepRunner(const SweepSpec& spec, const SweepOptions& options)
      : spec_(spec), options_(options), db_(options.db_path), started_(std::chrono::steady_clock::now()) {
    std::filesystem::create_directories(options_.work_dir);
  }

  SweepOutcome run() {
    outcome_.status = SweepStatus::Finished;
    planned_ = plan_sweep(spec_).evaluations;
    emit({.kind = ProgressKind::SweepStarted});
    try {
      run_transports();
    } catch (const SweepFailure& e) {
      outcome_.status = SweepStatus::Failed;
      outcome_.message = e.what();
    }
    if (outcome_.status == SweepStatus::Finished && interrupted_) outcome_.status = SweepStatus::Interrupted;
    if (outcome_.status == SweepStatus::Finished &&
        outcome_.evaluations_measured + outcome_.evaluations_recorded == 0 && outcome_.evaluations_failed > 0) {
      outcome_.status = SweepStatus::Failed;
      outcome_.message = "every evaluation failed";
    }
    for (std::int64_t id : outcome_.sweep_ids) db_.set_sweep_status(id, outcome_.status);
    outcome_.wall_s = elapsed_s();
    emit({.kind = ProgressKind::SweepFinished});
    return outcome_;
  }

 private:
  double elapsed_s() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  }

  void emit(ProgressEvent event) {
    if (!options_.progress) return;
    event.elapsed_s = elapsed_s();
    event.planned_evaluations = planned_;
    event.done_evaluations =
        outcome_.evaluations_measured + outcome_.evaluations_failed + outcome_.evaluations_recorded;
    event.launches_wall_s = outcome_.launches_wall_s;
    event.measuring_s = outcome_.measuring_s;
    options_.progress(event);
  }

  // Interrupted, or out of budget: start nothing more.
  bool stopping() {
    if (options_.stop && options_.stop->load()) interrupted_ = true;
    if (interrupted_ || outcome_.budget_exhausted) return true;
    const std::size_t run = outcome_.evaluations_measured + outcome_.evaluations_failed;
    if ((spec_.budget.time && elapsed_s() >= double(spec_.budget.time->count())) ||
        (spec_.budget.evaluations && run >= *spec_.budget.evaluations)) {
      outcome_.budget_exhausted = true;
    }
    return outcome_.budget_exhausted;
  }

  int smallest_ranks() const {
    int ranks = INT_MAX;
    for (const KernelSweep& kernel : spec_.kernels)
      ranks = std::min(ranks, *std::min_element(kernel.ranks.begin(), kernel.ranks.end()));
    return ranks;
  }

  // One launch of the driver with an empty plan tells which MPI library the ranks load; with the
  // topology and the transport's settings it makes the fingerprint. A second launch measures the
  // calibration stored with it (latency and bandwidth between two ranks; not part of the id).
  std::string fingerprint(const Transport* transport) {
    const int ranks = smallest_ranks();
    emit({.kind = ProgressKind::LaunchStarted, .ranks = ranks, .transport = transport ? transport->name : ""});
    const DriverLaunch probe = run_driver(spec_, options_.mpirun, transport, ranks, options_.driver_path, {},
                                          options_.work_dir / "probe.plan.json",
                                          options_.work_dir / "probe.results.jsonl", launch_time_limit({}));
    count_launch(probe, transport, ranks, 0);
    if (probe.run.stop_signal) interrupted_ = true;
    if (!probe.output.ready) {
      if (interrupted_) return "";
      throw SweepFailure(fmt::format("the driver did not start (exit {}): {}{}", probe.run.exit_code,
                                     fmt::join(probe.command, " "),
                                     probe.read_error.empty() ? "" : "; " + probe.read_error));
    }
    if (!topology_) topology_ = detect_topology();
    HardwareFingerprint fingerprint{.topology = *topology_,
                                    .mpi = parse_mpi_library(probe.output.ready->mpi_library),
                                    .launch = launch_settings(spec_, transport)};
    if (ranks >= 2 && !interrupted_) {
      std::string error;
      launch::RunResult run;
      const auto started = std::chrono::steady_clock::now();
      const std::optional<Calibration> calibration =
          run_calibration(spec_, options_.mpirun, transport, ranks, options_.driver_path,
                          options_.work_dir / "calibration.json", error, run);
      outcome_.launches_wall_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      ++outcome_.launches;
      if (run.stop_signal) {
        interrupted_ = true;
        return "";
      }
      if (calibration) {
        fingerprint.calibration = *calibration;
      } else {
        ++outcome_.launches_failed;
        fmt::print(stderr, "commtune sweep: the calibration failed ({}); the fingerprint is stored without it\n",
                   error);
      }
    }
    const std::string id = fingerprint.id();
    db_.add_hardware(id, fingerprint.to_json());
    return id;
  }

  void count_launch(const DriverLaunch& launch, const Transport* transport, int ranks, std::size_t evaluations) {
    double measuring_s = 0;
    for (const EvaluationResult& result : launch.output.results) measuring_s += result.measuring_s;
    const double init_s = launch.output.ready ? launch.output.ready->init_s : 0;
    ++outcome_.launches;
    outcome_.launches_wall_s += launch.wall_s;
    outcome_.init_s += init_s;
    outcome_.measuring_s += measuring_s;
    emit({.kind = ProgressKind::LaunchFinished,
          .launch_evaluations = evaluations,
          .ranks = ranks,
          .transport = transport ? transport->name : "",
          .launch_wall_s = launch.wall_s,
          .launch_init_s = init_s,
          .launch_measuring_s = measuring_s,
          .exit_code = launch.run.exit_code});
  }

  void run_transports() {
    std::vector<const Transport*> transports;
    for (const Transport& transport : spec_.transports) transports.push_back(&transport);
    if (transports.empty()) transports.push_back(nullptr);
    std::size_t study_index = 0;
    for (const Transport* transport : transports) {
      if (stopping()) return;
      const std::string hardware_id = fingerprint(transport);
      if (hardware_id.empty()) return;
      for (std::uint64_t seed : spec_.seeds) {
        std::optional<std::int64_t> sweep_id;
        if (!options_.fresh) sweep_id = db_.find_sweep(hardware_id, spec_.text, seed);
        if (!sweep_id) sweep_id = db_.begin_sweep(hardware_id, spec_.text, seed);
        db_.set_sweep_status(*sweep_id, SweepStatus::Running);
        outcome_.sweep_ids.push_back(*sweep_id);
        for (const KernelSweep& kernel : spec_.kernels) {
          for (int ranks : kernel.ranks) {
            Study study{.kernel = &kernel,
                        .declaration = kernels::find_declaration(kernel.kernel),
                        .ranks = ranks,
                        .transport = transport,
                        .seed = seed,
                        .index = study_index++,
                        .sweep_id = *sweep_id,
                        .hardware_id = hardware_id,
                        .settings = transport_settings(transport)};
            run_study(study);
            if (stopping()) return;
          }
        }
      }
    }
  }

  Evaluation evaluation_of(const Study& study, const Configuration& params, std::string phase, SampleTarget target,
                           int fidelity) const {
    return {.key = {study.hardware_id, study.kernel->kernel, params, study.settings, study.ranks},
            .phase = std::move(phase),
            .target = target,
            .fidelity = fidelity};
  }

  void run_study(Study& study) {
    const SearchSpace space(study.declaration->params, study.kernel->grid);
    const std::unique_ptr<Sampler> sampler = make_sampler(spec_, space.size(), study.seed);
    const bool halving = spec_.strategy.kind == StrategyKind::SuccessiveHalving;
    const int last_fidelity = spec_.strategy.successive_halving.max_fidelity;
    std::vector<TrialResult> trials_done;
    for (std::vector<Trial> trials = sampler->ask(); !trials.empty(); trials = sampler->ask()) {
      std::vector<Evaluation> evaluations;
      for (const Trial& trial : trials) {
        // Rungs below the last compare configurations at a fixed, cheap fidelity; the last rung
        // (and grid and random) measure to the adaptive target.
        const SampleTarget target = !halving                         ? spec_.measure.adaptive()
                                    : trial.fidelity < last_fidelity ? spec_.measure.fixed(trial.fidelity)
                                                                     : spec_.measure.adaptive_at_least(trial.fidelity);
        evaluations.push_back(evaluation_of(study, space.at(trial.point), fmt::format("search:{}", trial.fidelity),
                                            target, trial.fidelity));
      }
      const std::vector<EvaluationAnswer> answers = evaluate(study, evaluations);
      if (stopping()) return;
      std::vector<TrialResult> results;
      for (std::size_t i = 0; i < trials.size(); ++i) results.push_back({trials[i], answers[i].value_s()});
      sampler->tell(results);
      trials_done.insert(trials_done.end(), results.begin(), results.end());
    }
    run_finalists(study, space, trials_done);
  }

  void run_finalists(Study& study, const SearchSpace& space, const std::vector<TrialResult>& trials) {
    int top_fidelity = 0;
    for (const TrialResult& trial : trials) {
      if (trial.value_s) top_fidelity = std::max(top_fidelity, trial.trial.fidelity);
    }
    std::vector<TrialResult> ranked;
    for (const TrialResult& trial : trials) {
      if (trial.value_s && trial.trial.fidelity == top_fidelity) ranked.push_back(trial);
    }
    std::stable_sort(ranked.begin(), ranked.end(),
                     [](const TrialResult& a, const TrialResult& b) { return *a.value_s < *b.value_s; });
    std::vector<Configuration> finalists;
    for (const TrialResult& trial : ranked) {
      const Configuration& params = space.at(trial.trial.point);
      if (finalists.size() < spec_.finalists &&
          std::find(finalists.begin(), finalists.end(), params) == finalists.end()) {
        finalists.push_back(params);
      }
    }
    if (finalists.empty()) {
      emit({.kind = ProgressKind::StudyFinished, .kernel = study.kernel->kernel, .ranks = study.ranks});
      return;
    }
    const Configuration baseline = baseline_configuration(*study.declaration, finalists.front());
    std::vector<Configuration> measured = finalists;
    if (std::find(measured.begin(), measured.end(), baseline) == measured.end()) measured.push_back(baseline);
    // Each in kFinalistLaunches separate launches, in an order shuffled afresh for each.
    for (std::size_t launch = 1; launch <= kFinalistLaunches; ++launch) {
      std::vector<Evaluation> evaluations;
      for (const Configuration& params : measured) {
        evaluations.push_back(
            evaluation_of(study, params, fmt::format("finalist:{}", launch), spec_.measure.adaptive(), 0));
      }
      evaluate(study, evaluations);
      if (stopping()) return;
    }
    const auto samples_of = [&](const Configuration& params) {
      return FinalistSamples{
          params, db_.phase_samples(study.sweep_id, evaluation_of(study, params, "", {}, 0).key, "finalist:")};
    };
    std::vector<FinalistSamples> finalist_samples;
    for (const Configuration& params : finalists) finalist_samples.push_back(samples_of(params));
    std::optional<ChoiceRecord> choice = decide_choice(finalist_samples, samples_of(baseline), study.seed);
    if (!choice) {
      emit({.kind = ProgressKind::StudyFinished, .kernel = study.kernel->kernel, .ranks = study.ranks});
      return;
    }
    choice->sweep_id = study.sweep_id;
    choice->hardware_id = study.hardware_id;
    choice->kernel = study.kernel->kernel;
    choice->ranks = study.ranks;
    choice->settings = study.settings;
    db_.record_choice(*choice);
    outcome_.studies.push_back({study.transport ? study.transport->name : "", study.seed, *choice});
    emit({.kind = ProgressKind::StudyFinished,
          .kernel = study.kernel->kernel,
          .ranks = study.ranks,
          .transport = study.transport ? study.transport->name : "",
          .choice = &outcome_.studies.back().choice});
  }

  // Measures the evaluations (those this sweep recorded before are answered from the database), in
  // an order shuffled with the study's seed, as many per launch as the time limit allows.
  std::vector<EvaluationAnswer> evaluate(Study& study, const std::vector<Evaluation>& evaluations) {
    std::vector<EvaluationAnswer> answers(evaluations.size());
    std::vector<std::size_t> pending;
    for (std::size_t i = 0; i < evaluations.size(); ++i) {
      const std::optional<RecordedEvaluation> recorded =
          db_.evaluation(study.sweep_id, evaluations[i].key, evaluations[i].phase);
      if (!recorded) {
        pending.push_back(i);
        continue;
      }
      answers[i].samples_s = recorded->sample_times_s;
      answers[i].state = !recorded->failure                           ? EvaluationState::Measured
                         : *recorded->failure == FailureKind::Timeout ? EvaluationState::Timeout
                         : *recorded->failure == FailureKind::Crashed ? EvaluationState::Crashed
                                                                      : EvaluationState::Failed;
      ++outcome_.evaluations_recorded;
      finished(study, evaluations[i], answers[i], "recorded");
    }
    std::mt19937_64 shuffle(study.seed * 0x9E3779B97F4A7C15ULL + study.index * 1000003ULL + batches_++);
    std::shuffle(pending.begin(), pending.end(), shuffle);
    while (!pending.empty() && !stopping()) {
      std::size_t count = std::min(pending.size(), evaluations_per_launch(evaluations[pending.front()].target));
      if (spec_.budget.evaluations) {
        const std::size_t run = outcome_.evaluations_measured + outcome_.evaluations_failed;
        count = std::min(count, *spec_.budget.evaluations - run);
      }
      std::vector<std::size_t> batch(pending.begin(), pending.begin() + std::ptrdiff_t(count));
      pending.erase(pending.begin(), pending.begin() + std::ptrdiff_t(count));
      std::vector<std::size_t> requeued = run_launch(study, batch, evaluations, answers);
      pending.insert(pending.begin(), requeued.begin(), requeued.end());
    }
    return answers;
  }

  void finished(Study& study, const Evaluation& evaluation, const EvaluationAnswer& answer, const std::string& status) {
    const std::optional<double> value = answer.value_s();
    if (value && evaluation.fidelity > 0) {
      if (evaluation.fidelity > study.best_fidelity || !study.best_value_s || *value < *study.best_value_s) {
        study.best_fidelity = evaluation.fidelity;
        study.best_value_s = value;
        study.best_params = evaluation.key.params;
      }
    }
    emit({.kind = ProgressKind::EvaluationFinished,
          .kernel = evaluation.key.kernel,
          .params = evaluation.key.params,
          .phase = evaluation.phase,
          .status = status,
          .value_s = value,
          .best_value_s = study.best_value_s,
          .best_params = study.best_params,
          .ranks = study.ranks,
          .transport = study.transport ? study.transport->name : ""});
  }

  // One launch of the driver for `batch` (indices into `evaluations`); returns the evaluations to
  // measure in another launch (those after the one a dying launch was in).
  std::vector<std::size_t> run_launch(Study& study, const std::vector<std::size_t>& batch,
                                      const std::vector<Evaluation>& evaluations,
                                      std::vector<EvaluationAnswer>& answers) {
    DriverPlan plan;
    std::vector<Evaluation> planned;
    for (std::size_t index : batch) {
      const Evaluation& evaluation = evaluations[index];
      plan.evaluations.push_back({.id = fmt::format("e{}", index),
                                  .kernel = evaluation.key.kernel,
                                  .params = evaluation.key.params,
                                  .warmup = spec_.warmup,
                                  .target = evaluation.target});
      planned.push_back(evaluation);
    }
    const std::string stem = fmt::format("launch-{}", outcome_.launches + 1);
    emit({.kind = ProgressKind::LaunchStarted,
          .launch_evaluations = batch.size(),
          .ranks = study.ranks,
          .transport = study.transport ? study.transport->name : ""});
    const DriverLaunch launch = run_driver(spec_, options_.mpirun, study.transport, study.ranks, options_.driver_path,
                                           plan, options_.work_dir / (stem + ".plan.json"),
                                           options_.work_dir / (stem + ".results.jsonl"), launch_time_limit(planned));
    std::map<std::string, const EvaluationResult*> by_id;
    for (const EvaluationResult& result : launch.output.results) by_id[result.id] = &result;
    std::size_t done = 0;
    for (; done < batch.size(); ++done) {
      const auto found = by_id.find(plan.evaluations[done].id);
      if (found == by_id.end()) break;
      record_result(study, launch, evaluations[batch[done]], *found->second, answers[batch[done]]);
    }
    count_launch(launch, study.transport, study.ranks, batch.size());
    const bool complete = done == batch.size() && launch.run.exit_code == 0;
    if (!complete) ++outcome_.launches_failed;
    std::vector<std::size_t> rest(batch.begin() + std::ptrdiff_t(done), batch.end());
    if (launch.run.stop_signal) {
      interrupted_ = true;  // stopped on request: what did not finish is neither crashed nor lost
      return rest;
    }
    if (rest.empty()) return rest;
    if (!launch.output.ready) {
      if (++failed_starts_ >= kMaxFailedStarts) {
        throw SweepFailure(fmt::format("{} launches in a row ended (exit {}) before MPI_Init: {}{}", failed_starts_,
                                       launch.run.exit_code, fmt::join(launch.command, " "),
                                       launch.read_error.empty() ? "" : "; " + launch.read_error));
      }
      return rest;
    }
    failed_starts_ = 0;
    // The launch died in the first configuration without a result: that one is blamed.
    const Evaluation& culprit = evaluations[rest.front()];
    const FailureKind kind = launch.run.timed_out ? FailureKind::Timeout : FailureKind::Crashed;
    const std::string message =
        launch.run.timed_out
            ? fmt::format("the launch passed its time limit of {} s during this configuration",
                          launch_time_limit(planned).count())
            : fmt::format("the launch ended with exit status {} during this configuration", launch.run.exit_code);
    db_.record_failure(study.sweep_id, culprit.key, kind, message,
                       LaunchRecord{.command = launch.command,
                                    .started_at_utc = launch.started_at_utc,
                                    .exit_status = launch.run.exit_code,
                                    .warmup_iterations = spec_.warmup,
                                    .phase = culprit.phase});
    EvaluationAnswer& answer = answers[rest.front()];
    answer.state = kind == FailureKind::Timeout ? EvaluationState::Timeout : EvaluationState::Crashed;
    ++outcome_.evaluations_failed;
    finished(study, culprit, answer, to_string(kind));
    return {rest.begin() + 1, rest.end()};
  }

  void record_result(Study& study, const DriverLaunch& launch, const Evaluation& evaluation,
                     const EvaluationResult& result, EvaluationAnswer& answer) {
    const LaunchRecord record{
        .command = launch.command,
        .started_at_utc = launch.started_at_utc,
        .duration_s = result.measuring_s,
        .exit_status = launch.run.exit_code,
        .warmup_iterations = result.warmup,
        .sample_times_s = result.samples_s,
        .phase = evaluation.phase,
        .stop_reason = result.status == EvaluationStatus::Measured ? to_string(result.stop_reason) : "",
        .metrics = result.metrics};
    if (result.status == EvaluationStatus::Failed || result.samples_s.empty()) {
      const std::string message = result.message.empty() ? "no timed iteration" : result.message;
      db_.record_failure(study.sweep_id, evaluation.key, FailureKind::Failed, message, record);
      answer.state = EvaluationState::Failed;
      ++outcome_.evaluations_failed;
      finished(study, evaluation, answer, "failed");
      return;
    }
    db_.record_measurement(study.sweep_id, evaluation.key, {record});
    answer.state = EvaluationState::Measured;
    answer.samples_s = result.samples_s;
    ++outcome_.evaluations_measured;
    finished(study, evaluation, answer, "measured");
  }

  const SweepSpec& spec_;
  const SweepOptions& options_;
  ResultsDb db_;
  std::chrono::steady_clock::time_point started_;
  SweepOutcome outcome_;
  std::size_t planned_ = 0;
  std::optional<HardwareTopology> topology_;
  bool interrupted_ = false;
  int failed_starts_ = 0;
  std::uint64_t batches_ = 0;
};

}  // namespace

SweepOutcome run_sweep(const SweepSpec& spec, const SweepOptions& options) {
  SweepRunner runner(spec, options);
  return runner.run();
}

}  // namespace commtune::tuner
