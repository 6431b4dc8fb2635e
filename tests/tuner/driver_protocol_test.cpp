// The plan and result formats between a sweep and commtune-sweep-driver (driver_protocol.hpp):
// round trips, rejected plans, and results files cut short by a launch that died.
#include "commtune/tuner/driver_protocol.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

namespace commtune::tuner {
namespace {

namespace fs = std::filesystem;

DriverPlan two_evaluations() {
  DriverPlan plan;
  plan.evaluations.push_back(
      {.id = "p1",
       .kernel = "nonblocking",
       .params = {{"message_bytes", "8"}, {"variant", "nonblocking"}},
       .warmup = 3,
       .target = {
           .min_time_s = 0.5, .min_samples = 7, .ci_half_width_fraction = 0.03, .max_samples = 900, .max_time_s = 12}});
  plan.evaluations.push_back({.id = "p2", .kernel = "batching", .params = {}, .warmup = 0, .target = {}});
  return plan;
}

EvaluationResult measured_result() {
  return {.id = "p1",
          .kernel = "nonblocking",
          .status = EvaluationStatus::Measured,
          .samples_s = {1.5e-6, 0.1, 2.0 / 3.0},
          .warmup = 4,
          .stop_reason = StopReason::TargetReached,
          .measuring_s = 0.75,
          .metrics = {{"bandwidth_bytes_per_s", 1.25e9}, {"not_finite", NAN}},
          .checksum = "00ff00ff00ff00ff",
          .notes = {{"pattern_detail", "fanout \"quoted\""}},
          .message = ""};
}

fs::path write_file(const std::string& name, const std::string& text) {
  const fs::path path = fs::temp_directory_path() / ("commtune_driver_protocol_" + name);
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

TEST(DriverProtocol, PlanRoundTripKeepsEveryField) {
  const DriverPlan plan = two_evaluations();
  const std::string text = plan_to_json(plan);
  EXPECT_EQ(nlohmann::json::parse(text)["schema"], kDriverPlanSchema);
  const DriverPlan back = plan_from_json(text);
  ASSERT_EQ(back.evaluations.size(), 2u);
  const PlannedEvaluation& first = back.evaluations[0];
  EXPECT_EQ(first.id, "p1");
  EXPECT_EQ(first.kernel, "nonblocking");
  EXPECT_EQ(first.params, plan.evaluations[0].params);
  EXPECT_EQ(first.warmup, 3);
  EXPECT_DOUBLE_EQ(first.target.min_time_s, 0.5);
  EXPECT_EQ(first.target.min_samples, 7u);
  EXPECT_DOUBLE_EQ(first.target.ci_half_width_fraction, 0.03);
  EXPECT_EQ(first.target.max_samples, 900u);
  EXPECT_DOUBLE_EQ(first.target.max_time_s, 12);
  EXPECT_EQ(back.evaluations[1].id, "p2");
  EXPECT_TRUE(back.evaluations[1].params.empty());
  EXPECT_EQ(plan_to_json(back), text);
}

TEST(DriverProtocol, PlanFieldsLeftOutTakeTheDefaults) {
  const DriverPlan plan =
      plan_from_json(R"({"schema": "commtune.driver_plan/1", "evaluations": [{"id": "x", "kernel": "overlap"}]})");
  ASSERT_EQ(plan.evaluations.size(), 1u);
  EXPECT_EQ(plan.evaluations[0].warmup, PlannedEvaluation{}.warmup);
  EXPECT_EQ(plan.evaluations[0].target.min_samples, SampleTarget{}.min_samples);
  EXPECT_DOUBLE_EQ(plan.evaluations[0].target.max_time_s, SampleTarget{}.max_time_s);
}

// Each bad plan is rejected with a message that contains the given words.
TEST(DriverProtocol, BadPlansAreRejectedNamingWhatIsWrong) {
  const std::pair<std::string, std::string> cases[] = {
      {R"({"schema": "commtune.driver_plan/1", "evaluations": [)", "not JSON"},
      {R"({"schema": "commtune.driver_plan/9", "evaluations": []})", "commtune.driver_plan/9"},
      {R"({"schema": "commtune.driver_plan/1"})", "'evaluations'"},
      {R"({"schema": "commtune.driver_plan/1", "evaluations": [], "extra": 1})", "unknown key 'extra'"},
      {R"({"schema": "commtune.driver_plan/1", "evaluations": [{"id": "x"}]})", "evaluations[0]: missing key 'kernel'"},
      {R"({"schema": "commtune.driver_plan/1", "evaluations": [{"id": "x", "kernel": "k", "warmup": "2"}]})",
       "'warmup' has the wrong type"},
      {R"({"schema": "commtune.driver_plan/1", "evaluations": [{"id": "x", "kernel": "k", "warmup": -1}]})",
       "negative"},
      {R"({"schema": "commtune.driver_plan/1", "evaluations": [{"id": "x", "kernel": "k", "params": {"a": 1}}]})",
       "'params'"},
      {R"({"schema": "commtune.driver_plan/1", "evaluations": [{"id": "x", "kernel": "k",
           "target": {"min_samples": 20, "max_samples": 10}}]})",
       "min_samples <= max_samples"},
      {R"({"schema": "commtune.driver_plan/1", "evaluations": [{"id": "x", "kernel": "k",
           "target": {"min_sample": 2}}]})",
       "unknown key 'min_sample'"},
  };
  for (const auto& [text, words] : cases) {
    try {
      plan_from_json(text);
      ADD_FAILURE() << "accepted: " << text;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what() << "\nexpected: " << words;
    }
  }
}

TEST(DriverProtocol, ResultsRoundTripThroughAFile) {
  const DriverReady ready{
      .ranks = 4, .init_s = 0.25, .mpi_library = "Open MPI v4.1.4", .mpi_thread_level = "multiple", .host = "vm"};
  EvaluationResult failed{.id = "p2", .kernel = "batching", .status = EvaluationStatus::Failed};
  failed.message = "batching: parameter 'level' = '99' is not accepted";
  const std::string ready_line = ready_to_json_line(ready);
  const std::string result_line = result_to_json_line(measured_result());
  ASSERT_EQ(ready_line.back(), '\n');
  ASSERT_EQ(std::count(result_line.begin(), result_line.end(), '\n'), 1);
  for (const std::string& line : {ready_line, result_line}) {
    const auto json = nlohmann::json::parse(line);
    EXPECT_EQ(json["schema"], kDriverResultSchema);
  }
  EXPECT_EQ(nlohmann::json::parse(ready_line)["event"], "ready");
  EXPECT_EQ(nlohmann::json::parse(result_line)["event"], "evaluation");

  const fs::path path = write_file("round_trip.jsonl", ready_line + result_line + result_to_json_line(failed));
  const DriverOutput output = read_driver_output(path);
  ASSERT_TRUE(output.ready);
  EXPECT_EQ(output.ready->ranks, 4);
  EXPECT_DOUBLE_EQ(output.ready->init_s, 0.25);
  EXPECT_EQ(output.ready->mpi_library, "Open MPI v4.1.4");
  EXPECT_EQ(output.ready->host, "vm");
  ASSERT_EQ(output.results.size(), 2u);
  const EvaluationResult& first = output.results[0];
  const EvaluationResult expected = measured_result();
  EXPECT_EQ(first.id, expected.id);
  EXPECT_EQ(first.status, EvaluationStatus::Measured);
  EXPECT_EQ(first.samples_s, expected.samples_s);  // doubles survive exactly
  EXPECT_EQ(first.warmup, 4);
  EXPECT_EQ(first.stop_reason, StopReason::TargetReached);
  EXPECT_DOUBLE_EQ(first.measuring_s, 0.75);
  EXPECT_DOUBLE_EQ(first.metrics.at("bandwidth_bytes_per_s"), 1.25e9);
  EXPECT_TRUE(std::isnan(first.metrics.at("not_finite")));
  EXPECT_EQ(first.checksum, expected.checksum);
  EXPECT_EQ(first.notes, expected.notes);
  EXPECT_EQ(output.results[1].status, EvaluationStatus::Failed);
  EXPECT_EQ(output.results[1].message, failed.message);
  EXPECT_EQ(output.results[1].stop_reason, StopReason::NotYet);
  fs::remove(path);
}

TEST(DriverProtocol, ATornLastLineIsIgnored) {
  const std::string ready = ready_to_json_line({.ranks = 2});
  const std::string result = result_to_json_line(measured_result());
  for (std::size_t cut : {std::size_t{1}, result.size() / 2, result.size() - 2}) {
    const fs::path path = write_file("torn.jsonl", ready + result + result.substr(0, cut));
    const DriverOutput output = read_driver_output(path);
    EXPECT_TRUE(output.ready);
    EXPECT_EQ(output.results.size(), 1u) << "cut at " << cut;
    fs::remove(path);
  }
  // Only the newline missing: the line is complete and kept.
  const fs::path path = write_file("no_newline.jsonl", ready + result.substr(0, result.size() - 1));
  EXPECT_EQ(read_driver_output(path).results.size(), 1u);
  fs::remove(path);
  // The ready line itself torn: nothing yet.
  const fs::path early = write_file("torn_ready.jsonl", ready.substr(0, 10));
  const DriverOutput nothing = read_driver_output(early);
  EXPECT_FALSE(nothing.ready);
  EXPECT_TRUE(nothing.results.empty());
  fs::remove(early);
}

TEST(DriverProtocol, AMalformedLineBeforeTheLastThrowsNamingFileAndLine) {
  const std::string ready = ready_to_json_line({.ranks = 2});
  const std::string result = result_to_json_line(measured_result());
  const std::pair<std::string, std::string> cases[] = {
      {ready + result.substr(0, 20) + "\n" + result, ":2: not JSON"},
      {ready + R"({"schema": "commtune.driver_result/1", "event": "evaluation", "id": "x"})"
               "\n",
       ":2: missing key"},
      {ready + R"({"schema": "commtune.driver_result/2", "event": "ready"})"
               "\n",
       ":2: schema"},
      {ready + R"({"schema": "commtune.driver_result/1", "event": "done"})"
               "\n",
       ":2: event 'done'"},
      {result, ":1: an evaluation before the 'ready' line"},
      {ready + ready, ":2: a second 'ready' line"},
  };
  for (const auto& [text, words] : cases) {
    const fs::path path = write_file("malformed.jsonl", text);
    try {
      read_driver_output(path);
      ADD_FAILURE() << "accepted: " << text;
    } catch (const std::invalid_argument& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find(path.string() + words), std::string::npos) << message << "\nexpected: " << words;
    }
    fs::remove(path);
  }
  EXPECT_THROW(read_driver_output(fs::temp_directory_path() / "commtune_no_such_results.jsonl"), std::invalid_argument);
}

TEST(DriverProtocol, CalibrationFileRoundTripAndErrors) {
  const Calibration calibration{
      .points = {{8, 1000, 0.5, 16}, {1 << 20, 60, 120.5, 8701.7}}, .ranks = 4, .peer_rank = 2, .same_node = false};
  const std::string text = calibration_to_json(calibration);
  EXPECT_EQ(nlohmann::json::parse(text)["schema"], kCalibrationSchema);
  const fs::path path = write_file("calibration.json", text);
  const Calibration back = read_calibration(path);
  ASSERT_EQ(back.points.size(), 2u);
  EXPECT_EQ(back.points[1].message_bytes, 1u << 20);
  EXPECT_EQ(back.points[1].round_trips, 60);
  EXPECT_DOUBLE_EQ(back.points[1].latency_us, 120.5);
  EXPECT_DOUBLE_EQ(back.points[1].bandwidth_mb_per_s, 8701.7);
  EXPECT_EQ(back.ranks, 4);
  EXPECT_EQ(back.peer_rank, 2);
  EXPECT_FALSE(back.same_node);

  nlohmann::json document = nlohmann::json::parse(text);
  document["schema"] = "commtune.calibration/7";
  const std::pair<std::string, std::string> cases[] = {
      {text.substr(0, text.size() / 2), "not JSON"},
      {document.dump(), "commtune.calibration/7"},
      {R"({"schema": "commtune.calibration/1", "ranks": 2, "peer_rank": 1, "same_node": true})", "'points'"},
  };
  for (const auto& [bad, words] : cases) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bad;
    try {
      read_calibration(path);
      ADD_FAILURE() << "accepted: " << bad;
    } catch (const std::invalid_argument& e) {
      const std::string message = e.what();
      EXPECT_EQ(message.find(path.string()), 0u) << message;
      EXPECT_NE(message.find(words), std::string::npos) << message << "\nexpected: " << words;
    }
  }
  fs::remove(path);
  EXPECT_EQ(calibration_arguments("/tmp/c.json"), (std::vector<std::string>{"--calibrate", "--output", "/tmp/c.json"}));
  EXPECT_EQ(driver_arguments("p.json", "r.jsonl"),
            (std::vector<std::string>{"--plan", "p.json", "--output", "r.jsonl"}));
}

}  // namespace
}  // namespace commtune::tuner
