// What a sweep needs besides running launches: the launch command per launcher and transport
// (tuner/sweep.hpp), and the database queries that resume a sweep and keep its choices
// (tuner/results_db.hpp). The sweep itself runs under mpirun in tuner.sweep_run.
#include "commtune/tuner/sweep.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "commtune/tuner/results_db.hpp"

namespace commtune::tuner {
namespace {

namespace fs = std::filesystem;

bool has_sequence(const std::vector<std::string>& words, const std::vector<std::string>& sequence) {
  return std::search(words.begin(), words.end(), sequence.begin(), sequence.end()) != words.end();
}

SweepSpec spec_with(const std::string& launcher) {
  return parse_sweep_spec(
      "schema: commtune.sweep/1\nkernels: [{kernel: overlap}]\nbudget: {time: 1m}\n"
      "launcher: " +
          launcher + "\n",
      "test.yaml");
}

const Transport kTcp{.name = "tcp", .mca = {{"btl", "self,tcp"}}, .env = {{"MPIR_CVAR_X", "1"}}};

TEST(SweepLaunch, MpirunGetsMcaOptionsAndTheRankCountBeforeTheDriver) {
  const SweepSpec spec = spec_with("{kind: mpirun, args: [--oversubscribe]}");
  const launch::LaunchCommand command =
      build_launch_command(spec, "mpirun", &kTcp, 4, "/bin/driver", {"--plan", "p.json"});
  EXPECT_EQ(command.argv.front(), "mpirun");
  EXPECT_TRUE(has_sequence(command.argv, {"--oversubscribe"}));
  EXPECT_TRUE(has_sequence(command.argv, {"-np", "4", "/bin/driver", "--plan", "p.json"}));
  if (launch::classify("mpirun") == launch::Launcher::OpenMpi) {
    EXPECT_TRUE(has_sequence(command.argv, {"--mca", "btl", "self,tcp"}));
    EXPECT_TRUE(has_sequence(command.argv, {"-x", "MPIR_CVAR_X=1"}));
  }
  // The options come before the program: mpirun reads everything after it as the program's.
  const auto driver = std::find(command.argv.begin(), command.argv.end(), "/bin/driver");
  EXPECT_EQ(std::find(driver, command.argv.end(), "--mca"), command.argv.end());
}

TEST(SweepLaunch, SrunGetsMcaParametersAsVariables) {
  const SweepSpec spec = spec_with("{kind: srun, args: [--mpi=pmix]}");
  const launch::LaunchCommand command = build_launch_command(spec, "mpirun", &kTcp, 2, "/bin/driver", {});
  EXPECT_EQ(command.argv.front(), "srun");
  EXPECT_TRUE(has_sequence(command.argv, {"-n", "2", "/bin/driver"}));
  EXPECT_EQ(std::find(command.argv.begin(), command.argv.end(), "--mca"), command.argv.end());
  // srun cannot pass a value with a comma in --export: it goes into srun's environment.
  const bool in_environment = std::any_of(command.environment.begin(), command.environment.end(), [](const auto& v) {
    return v.name == "OMPI_MCA_btl" && v.value == "self,tcp";
  });
  EXPECT_TRUE(in_environment);
  const bool exported = std::any_of(command.argv.begin(), command.argv.end(), [](const std::string& word) {
    return word.rfind("--export=ALL", 0) == 0 && word.find("MPIR_CVAR_X=1") != std::string::npos;
  });
  EXPECT_TRUE(exported);
}

TEST(SweepLaunch, WithoutTransportNothingIsAdded) {
  const SweepSpec spec = spec_with("{kind: mpirun}");
  const launch::LaunchCommand command = build_launch_command(spec, "mpirun.mpich", nullptr, 2, "/bin/driver", {});
  EXPECT_EQ(command.argv, (std::vector<std::string>{"mpirun.mpich", "-np", "2", "/bin/driver"}));
  EXPECT_TRUE(command.environment.empty());
}

fs::path fresh_db(const std::string& name) {
  const fs::path directory = fs::path(testing::TempDir()) / ("commtune-sweep-test-" + name);
  fs::remove_all(directory);
  fs::create_directories(directory);
  return directory / "results.sqlite";
}

TEST(SweepDb, FindsTheSweepAndItsEvaluationsByPhase) {
  ResultsDb db(fresh_db("phases"));
  db.add_hardware("h1", {{"schema", "x"}});
  const std::int64_t sweep = db.begin_sweep("h1", "spec text", 7);
  EXPECT_EQ(db.find_sweep("h1", "spec text", 7), sweep);
  EXPECT_FALSE(db.find_sweep("h1", "spec text", 8));
  EXPECT_FALSE(db.find_sweep("h1", "other text", 7));
  const PointKey key{"h1", "overlap", {{"variant", "blocking"}}, {}, 2};
  LaunchRecord search{.command = {"mpirun"},
                      .sample_times_s = {3, 1, 2},
                      .phase = "search:3",
                      .stop_reason = "sample cap reached",
                      .metrics = {{"total_s", 1.5}}};
  db.record_measurement(sweep, key, {search});
  LaunchRecord finalist = search;
  finalist.phase = "finalist:1";
  finalist.sample_times_s = {5, 6};
  db.record_measurement(sweep, key, {finalist});
  const auto recorded = db.evaluation(sweep, key, "search:3");
  ASSERT_TRUE(recorded);
  EXPECT_FALSE(recorded->failure);
  EXPECT_EQ(recorded->sample_times_s, (std::vector<double>{3, 1, 2}));
  EXPECT_FALSE(db.evaluation(sweep, key, "search:9"));
  EXPECT_FALSE(db.evaluation(db.begin_sweep("h1", "spec text", 7), key, "search:3"));  // another sweep's
  EXPECT_EQ(db.phase_samples(sweep, key, "finalist:"), (std::vector<double>{5, 6}));
  const PointKey crashed_key{"h1", "overlap", {{"variant", "nonblocking"}}, {}, 2};
  db.record_failure(sweep, crashed_key, FailureKind::Crashed, "died", LaunchRecord{.phase = "search:3"});
  ASSERT_TRUE(db.evaluation(sweep, crashed_key, "search:3"));
  EXPECT_EQ(db.evaluation(sweep, crashed_key, "search:3")->failure, FailureKind::Crashed);
  EXPECT_TRUE(db.phase_samples(sweep, crashed_key, "search:").empty());
  EXPECT_EQ(db.sweep_status(sweep), "running");
}

TEST(SweepDb, KeepsOneChoicePerStudy) {
  ResultsDb db(fresh_db("choices"));
  db.add_hardware("h1", {{"schema", "x"}});
  const std::int64_t sweep = db.begin_sweep("h1", "spec", 1);
  ChoiceRecord choice{.sweep_id = sweep,
                      .hardware_id = "h1",
                      .kernel = "overlap",
                      .ranks = 2,
                      .settings = {{"btl", "self,tcp"}},
                      .params = {{"variant", "nonblocking"}},
                      .median_s = 1,
                      .ci_low_s = 0.9,
                      .ci_high_s = 1.1,
                      .baseline_params = {{"variant", "blocking"}},
                      .baseline_median_s = 2.0,
                      .baseline_ci_low_s = 1.9,
                      .baseline_ci_high_s = 2.1,
                      .gain = 0.5,
                      .gain_ci_low = 0.45,
                      .gain_ci_high = 0.55,
                      .verdict = "faster",
                      .indistinguishable = {{{"variant", "nonblocking"}, {"chunks", "4"}}}};
  db.record_choice(choice);
  choice.median_s = 0.8;  // a resumed sweep decides again: the choice is replaced, not added
  db.record_choice(choice);
  const std::vector<ChoiceRecord> choices = db.list_choices();
  ASSERT_EQ(choices.size(), 1u);
  EXPECT_DOUBLE_EQ(choices[0].median_s, 0.8);
  EXPECT_EQ(choices[0].baseline_params, (Configuration{{"variant", "blocking"}}));
  EXPECT_EQ(choices[0].gain, 0.5);
  EXPECT_EQ(choices[0].verdict, "faster");
  ASSERT_EQ(choices[0].indistinguishable.size(), 1u);
  EXPECT_EQ(choices[0].indistinguishable[0].at("chunks"), "4");
  EXPECT_TRUE(db.list_choices({"batching", ""}).empty());
}

}  // namespace
}  // namespace commtune::tuner
