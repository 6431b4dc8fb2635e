// The sweep spec parser and validator: expansion of ranges with the kernels' parameter types,
// defaults, the mapping of strategies onto tuner-core's samplers, the plan, and one located error
// per malformed spec (the CLI test covers the same classes through `commtune sweep --check`).
#include "commtune/tuner/spec.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

namespace commtune::tuner {
namespace {

const std::string kHeader = "schema: commtune.sweep/1\nbudget: {evaluations: 100}\n";

SweepSpec parse(const std::string& body) { return parse_sweep_spec(kHeader + body, "test.yaml"); }

// The SpecError `body` gives; fails the test when it is accepted.
SpecError error_of(const std::string& body) {
  try {
    parse(body);
  } catch (const SpecError& e) {
    return e;
  }
  ADD_FAILURE() << "accepted:\n" << body;
  return SpecError("", -1, -1, "", "");
}

TEST(SweepSpec, DefaultsAndAScalarValue) {
  const SweepSpec spec = parse("kernels: [{kernel: overlap, params: {operation: ibcast}}]\n");
  EXPECT_EQ(spec.name, "test");
  ASSERT_EQ(spec.kernels.size(), 1u);
  EXPECT_EQ(spec.kernels[0].grid.at("operation"), std::vector<std::string>{"ibcast"});
  EXPECT_EQ(spec.kernels[0].ranks, std::vector<int>{2});
  EXPECT_EQ(spec.kernels[0].line, 3);
  EXPECT_EQ(spec.strategy.kind, StrategyKind::Grid);
  EXPECT_EQ(spec.seeds, std::vector<std::uint64_t>{1});
  EXPECT_EQ(spec.measure.min_iterations, 10);
  EXPECT_EQ(spec.measure.max_iterations, 1000);
  EXPECT_EQ(spec.warmup, 3);
  EXPECT_EQ(spec.finalists, 3u);
  EXPECT_EQ(spec.launcher.kind, LauncherKind::Mpirun);
  EXPECT_TRUE(spec.transports.empty());
  EXPECT_EQ(spec.budget.evaluations, 100u);
  EXPECT_FALSE(spec.budget.time);
}

TEST(SweepSpec, MeasureGivesTheAdaptiveTargetAndTheRungs) {
  const SweepSpec spec = parse(
      "kernels: [{kernel: overlap}]\n"
      "measure: {min_iterations: 4, max_iterations: 50, min_time: 200ms, ci_target: 0.05, max_time: 1.5s}\n");
  const SampleTarget adaptive = spec.measure.adaptive();
  EXPECT_EQ(adaptive.min_samples, 4u);
  EXPECT_EQ(adaptive.max_samples, 50u);
  EXPECT_DOUBLE_EQ(adaptive.min_time_s, 0.2);
  EXPECT_DOUBLE_EQ(adaptive.ci_half_width_fraction, 0.05);
  EXPECT_DOUBLE_EQ(adaptive.max_time_s, 1.5);
  const SampleTarget rung = spec.measure.fixed(6);
  EXPECT_EQ(rung.min_samples, 6u);
  EXPECT_EQ(rung.max_samples, 6u);
  EXPECT_DOUBLE_EQ(rung.max_time_s, 1.5);
  // The last rung: the adaptive target, but never fewer iterations than the rung's fidelity.
  EXPECT_EQ(spec.measure.adaptive_at_least(80).min_samples, 80u);
  EXPECT_EQ(spec.measure.adaptive_at_least(80).max_samples, 80u);
  EXPECT_EQ(spec.measure.adaptive_at_least(2).min_samples, 4u);
}

TEST(SweepSpec, RangesExpandWithTheParameterTypes) {
  const SweepSpec spec = parse(
      "kernels:\n"
      "  - kernel: nonblocking\n"
      "    params:\n"
      "      message_bytes: {from: 1K, to: 1M, scale: log2}\n"
      "      window: {from: 1, to: 8, step: 3}\n"
      "      variant: [Blocking, nonblocking]\n"
      "  - kernel: overlap\n"
      "    params:\n"
      "      compute_us: {from: 0.5, to: 2, step: 0.5}\n"
      "  - kernel: batching\n"
      "    params:\n"
      "      batch_bytes: {from: 1K, to: 4K, step: 1K}\n"
      "  - kernel: overlap\n"
      "    params:\n"
      "      compute_us: {from: 0.1, to: 0.3, step: 0.1}\n");
  const auto& sizes = spec.kernels[0].grid.at("message_bytes");
  ASSERT_EQ(sizes.size(), 11u);
  EXPECT_EQ(sizes.front(), "1024");
  EXPECT_EQ(sizes.back(), "1048576");
  EXPECT_EQ(spec.kernels[0].grid.at("window"), (std::vector<std::string>{"1", "4", "7"}));
  EXPECT_EQ(spec.kernels[0].grid.at("variant"), (std::vector<std::string>{"blocking", "nonblocking"}));
  EXPECT_EQ(spec.kernels[1].grid.at("compute_us"), (std::vector<std::string>{"0.5", "1", "1.5", "2"}));
  EXPECT_EQ(spec.kernels[2].grid.at("batch_bytes"), (std::vector<std::string>{"1024", "2048", "3072", "4096"}));
  // 0.1 + 2 x 0.1 is 0.30000000000000004 in binary: still the last value, written 0.3.
  EXPECT_EQ(spec.kernels[3].grid.at("compute_us"), (std::vector<std::string>{"0.1", "0.2", "0.3"}));
}

TEST(SweepSpec, LauncherTransportsBudgetSeedsAndRanks) {
  const SweepSpec spec = parse_sweep_spec(
      "schema: commtune.sweep/1\n"
      "kernels: [{kernel: topology, ranks: [4, 6]}]\n"
      "ranks: 3\n"
      "launcher: {kind: srun, args: [--mpi=pmix]}\n"
      "transports:\n"
      "  - {name: shm, mca: {btl: 'self,vader'}}\n"
      "  - {name: cvar, env: {MPIR_CVAR_CH3_EAGER_MAX_MSG_SIZE: 65536}}\n"
      "budget: {time: 1.5h, evaluations: 7}\n"
      "seeds: [3, 1]\n",
      "dir/spec.yaml");
  EXPECT_EQ(spec.kernels[0].ranks, (std::vector<int>{4, 6}));
  EXPECT_EQ(spec.ranks, std::vector<int>{3});
  EXPECT_EQ(spec.launcher.kind, LauncherKind::Srun);
  EXPECT_EQ(spec.launcher.args, std::vector<std::string>{"--mpi=pmix"});
  ASSERT_EQ(spec.transports.size(), 2u);
  EXPECT_EQ(spec.transports[0].mca.at("btl"), "self,vader");
  EXPECT_EQ(spec.transports[1].env.at("MPIR_CVAR_CH3_EAGER_MAX_MSG_SIZE"), "65536");
  EXPECT_EQ(spec.budget.time->count(), 5400);
  EXPECT_EQ(spec.seeds, (std::vector<std::uint64_t>{3, 1}));
  EXPECT_EQ(spec.name, "spec");
}

TEST(SweepSpec, StrategiesMapOntoTheSamplers) {
  const SweepSpec random = parse("kernels: [{kernel: overlap}]\nstrategy: {name: random, count: 4}\n");
  EXPECT_EQ(make_sampler(random, 10, 1)->name(), "random");
  EXPECT_EQ(make_sampler(random, 10, 1)->ask().size(), 4u);
  const SweepSpec halving = parse(
      "kernels: [{kernel: overlap}]\n"
      "strategy: {name: successive_halving, eta: 2, min_iterations: 3, max_iterations: 12, initial_configurations: "
      "8}\n");
  EXPECT_EQ(halving.strategy.successive_halving.eta, 2);
  EXPECT_EQ(halving.strategy.successive_halving.min_fidelity, 3);
  const auto sampler = make_sampler(halving, 20, 1);
  EXPECT_EQ(sampler->name(), "successive_halving");
  const auto first_rung = sampler->ask();
  ASSERT_EQ(first_rung.size(), 8u);
  EXPECT_EQ(first_rung.front().fidelity, 3);
}

// The plan counts what the samplers ask for: grid all points, the constraint's exclusions apart.
TEST(SweepPlan, CountsConfigurationsLaunchesAndTheBudget) {
  const SweepSpec spec = parse(
      "kernels:\n"
      "  - kernel: overlap\n"
      "    params: {variant: [blocking, nonblocking], progress_thread: [false, true], chunks: [1, 2, 4]}\n"
      "    ranks: [2, 4]\n"
      "transports: [{name: a, mca: {btl: 'self,vader'}}, {name: b, mca: {btl: 'self,tcp'}}]\n"
      "seeds: [1, 2, 3]\n"
      "measure: {min_iterations: 5}\n"
      "finalists: 2\n");
  const SweepPlan plan = plan_sweep(spec);
  ASSERT_EQ(plan.kernels.size(), 1u);
  EXPECT_EQ(plan.kernels[0].configurations, 9u);  // 12 points, blocking with a progress thread excluded
  EXPECT_EQ(plan.kernels[0].excluded_by_constraints, 3u);
  EXPECT_EQ(plan.kernels[0].evaluations_per_study, 9u);
  EXPECT_EQ(plan.kernels[0].finalist_evaluations_per_study, (2u + 1) * kFinalistLaunches);  // and the baseline
  EXPECT_EQ(plan.evaluations, (9u + 9) * 2 * 2 * 3);
  EXPECT_EQ(plan.iterations, 9 * 2 * 2 * 3 * 5);
  EXPECT_EQ(plan.evaluations_within_budget, 100u);
  EXPECT_NE(format_plan(spec, plan).find("the evaluation budget stops the sweep after 100 of 216 evaluations"),
            std::string::npos);
}

struct BadSpec {
  std::string body;
  int line;
  std::string key;
  std::string text;
};

TEST(SweepSpec, EachMalformedSpecGivesOneLocatedError) {
  const std::vector<BadSpec> cases = {
      {"kernels: [{kernel: overlap}\n", 4, "", "YAML syntax error"},
      {"kernels: [{kernel: overlap}]\nseed: 1\n", 4, "seed", "unknown key 'seed'; accepted: schema"},
      {"kernels: [{kernel: overlap}]\nwarmup: [1]\n", 4, "warmup", "expected a whole number in 0 .. 1000000"},
      {"kernels: [{kernel: overlap}]\niterations: 5\n", 4, "iterations", "unknown key 'iterations'"},
      {"kernels: [{kernel: overlap}]\nmeasure: {min_iterations: 9, max_iterations: 3}\n", 4, "measure.max_iterations",
       "max_iterations 3 is below min_iterations 9"},
      {"kernels: [{kernel: overlap}]\nmeasure: {min_time: 2 s}\n", 4, "measure.min_time",
       "is not a duration such as 200ms"},
      {"kernels: [{kernel: overlap}]\nmeasure: {ci_target: 1.5}\n", 4, "measure.ci_target",
       "expected a fraction of the median in (0, 1]"},
      {"kernels: [{kernel: overlap}]\nmeasure: {confidence: 0.9}\n", 4, "measure.confidence",
       "unknown key 'confidence'; accepted: min_iterations"},
      {"kernels: [{kernel: overlap}]\nfinalists: 0\n", 4, "finalists", "expected a whole number in 1 .. 100"},
      {"kernels: [{kernel: overlap}]\nranks: [2, 0]\n", 4, "ranks[1]", "'0' is not accepted"},
      {"kernels: [{kernel: overlap, params: {chunks: 0}}]\n", 3, "kernels[0].params.chunks",
       "expected 1 .. 100000 chunks"},
      {"kernels: [{kernel: overlaps}]\n", 3, "kernels[0].kernel", "accepted: nonblocking, batching"},
      {"kernels:\n  - kernel: overlap\n    params: {progress_thread: true}\n", 5, "kernels[0].params.progress_thread",
       "progress_thread=true needs variant=nonblocking (got blocking)"},
      {"kernels:\n  - kernel: overlap\n    params:\n      operation: iallreduce\n      message_bytes: [64, 100]\n", 7,
       "kernels[0].params.message_bytes", "message_bytes=100 is rejected by a constraint"},
      {"kernels: [{kernel: overlap, params: {chunk: 2}}]\n", 3, "kernels[0].params.chunk",
       "unknown parameter of kernel overlap 'chunk'; accepted: variant, operation"},
      {"kernels: [{kernel: overlap}]\nstrategy: {name: annealing}\n", 4, "strategy.name",
       "accepted: grid, random, successive_halving"},
      {"kernels: [{kernel: overlap}]\nstrategy: {name: random}\n", 4, "strategy", "strategy random needs 'count'"},
      {"kernels: [{kernel: overlap}]\nstrategy: {name: successive_halving, min_iterations: 9, max_iterations: 3}\n", 4,
       "strategy", "1 <= min_iterations <= max_iterations"},
      // round(1 x 1.2) = 1: the rungs would never reach max_iterations.
      {"kernels: [{kernel: overlap}]\nstrategy: {name: successive_halving, eta: 1.2}\n", 4, "strategy",
       "eta 1.2 does not raise 1 iterations"},
      {"kernels: [{kernel: batching, params: {message_bytes: {from: 1K, to: 64}}}]\n", 3,
       "kernels[0].params.message_bytes.to", "'to' must not be below 'from'"},
      {"kernels: [{kernel: batching, params: {message_count: {from: 1, to: 1000000, step: 1}}}]\n", 3,
       "kernels[0].params.message_count", "more than 1000 values"},
      {"kernels: [{kernel: batching, params: {message_bytes: {from: 0, to: 64, scale: log2}}}]\n", 3,
       "kernels[0].params.message_bytes.from", "a log2 range must start above 0"},
      {"kernels: [{kernel: overlap, params: {chunks: [2, 2]}}]\n", 3, "kernels[0].params.chunks",
       "the value 2 is listed twice"},
      {"kernels: [{kernel: overlap}]\ntransports: [{name: a}, {name: a}]\n", 4, "transports[1].name",
       "the name 'a' is used twice"},
      {"kernels: [{kernel: overlap}]\ntransports: [{name: a, mca: {BTL: tcp}}]\n", 4, "transports[0].mca.BTL",
       "Open MPI MCA parameter names"},
      {"kernels: [{kernel: overlap}]\nlauncher: {hostfile: no_such_hostfile}\n", 4, "launcher.hostfile",
       "is not a file"},
      {"kernels: []\n", 3, "kernels", "expected a non-empty list"},
      {"", 1, "kernels", "missing key 'kernels'"},
  };
  for (const BadSpec& c : cases) {
    SCOPED_TRACE(c.body);
    const SpecError e = error_of(c.body);
    EXPECT_EQ(e.file(), "test.yaml");
    EXPECT_EQ(e.line(), c.line) << e.what();
    EXPECT_EQ(e.key(), c.key) << e.what();
    EXPECT_NE(e.message().find(c.text), std::string::npos) << e.what();
    // One line: the CLI prints what() as the whole error.
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
  }
}

TEST(SweepSpec, Durations) {
  auto seconds = [](const std::string& time) {
    return parse_sweep_spec("schema: commtune.sweep/1\nkernels: [{kernel: overlap}]\nbudget: {time: " + time + "}\n",
                            "d.yaml")
        .budget.time->count();
  };
  EXPECT_EQ(seconds("90s"), 90);
  EXPECT_EQ(seconds("10m"), 600);
  EXPECT_EQ(seconds("0.5h"), 1800);
  for (const std::string bad : {"5.m", "0s", "10", "m", "1.2.3s", "10 m", "-5s"}) {
    SCOPED_TRACE(bad);
    EXPECT_THROW(seconds(bad), SpecError);
  }
}

TEST(SweepSpec, NotAMapAndAnUnreadableFile) {
  EXPECT_THROW(parse_sweep_spec("- a\n- b\n", "list.yaml"), SpecError);
  EXPECT_THROW(parse_sweep_spec("", "empty.yaml"), SpecError);
  try {
    load_sweep_spec("/nonexistent/spec.yaml");
    FAIL() << "an unreadable file was accepted";
  } catch (const SpecError& e) {
    EXPECT_EQ(e.line(), 0);
    EXPECT_NE(e.message().find("cannot read"), std::string::npos);
  }
}

TEST(SweepSpec, EveryBundledExampleIsAccepted) {
  int examples = 0;
  for (const auto& entry : std::filesystem::directory_iterator(COMMTUNE_SWEEPS_DIR)) {
    if (entry.path().extension() != ".yaml") continue;
    SCOPED_TRACE(entry.path().string());
    ++examples;
    const SweepSpec spec = load_sweep_spec(entry.path());
    EXPECT_GT(plan_sweep(spec).evaluations, 0u);
  }
  EXPECT_GE(examples, 7);
}

}  // namespace
}  // namespace commtune::tuner
