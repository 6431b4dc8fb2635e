// recommendations.yaml: what write_recommendations() writes, read_recommendations() reads back
// equal; a broken file gives an error naming the file, the line and the key.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "commtune/analysis/recommendations.hpp"

namespace commtune::analysis {
namespace {

namespace fs = std::filesystem;

Recommendations sample() {
  Recommendations out;
  out.tool_version = "0.test";
  out.generated_at = "2026-12-05T05:00:00Z";
  out.run_directory = "/runs/heat";
  out.command = "mpirun -np 4 ./heat";
  out.ranks = 4;
  out.nodes = 1;
  out.wall_time_s = 2.5;
  out.run_hardware_id = "d5bba2bb5185bcf8";
  out.models_source = "database /db.sqlite";
  out.models_hardware_id = "d5bba2bb5185bcf8";
  out.run_efficiency = {"run", 0.9, 0.75, 0.675, 0.8, 0.9375, "profile: test"};
  out.region_efficiency.push_back({"solver", 0.5, 0.5, 0.25, std::nullopt, std::nullopt, "trace: test"});
  Recommendation batching;
  batching.rank = 1;
  batching.technique = Technique::Batching;
  batching.title = "Batch the sends of MPI_Send at heat.c:212 into 32 KiB batches (481 messages)";
  batching.callsites.push_back({3, "MPI_Send", "heat.c:212", 0.5});
  batching.parameters = {{"batch_bytes", "32768"}, {"batch_count", "481"}};
  batching.evidence.push_back({"messages per rank", 10000, "messages", "profile.json callsites id 3"});
  batching.evidence.push_back({"mean message size", 64.5, "bytes", "profile.json callsites id 3"});
  batching.gain = {0.45, 0.4, 0.5, 0.18, 0.16, 0.2, 0.5, true};
  batching.apply.summary = "Add each message to a MessageAggregator: flush() before waiting";
  batching.apply.component = "commtune::kernels::batching::MessageAggregator";
  batching.apply.settings = {{"batch_bytes", "32768"}};
  out.recommendations.push_back(batching);
  Recommendation keep;
  keep.rank = 2;
  keep.technique = Technique::Compression;
  keep.title = "MPI_Send at heat.c:300: no significant gain from compression - keep as is";
  keep.callsites.push_back({5, "MPI_Send", "heat.c:300", 0.1});
  keep.gain = {-0.05, -0.07, -0.03, -0.02, -0.028, -0.012, 0.1, false};
  keep.apply.environment = {"OMPI_MCA_btl_vader_eager_limit=8192"};
  keep.apply.launcher_args = {"--mca", "coll_tuned_use_dynamic_rules 1"};
  keep.apply.files = {"/runs/heat/analysis/rules.conf"};
  out.recommendations.push_back(keep);
  out.missing_sweeps.push_back({"no codec points", "/runs/heat/analysis/sweeps/codecs.yaml"});
  out.notes = {"the run was not traced"};
  return out;
}

void expect_same_gain(const PredictedGain& a, const PredictedGain& b) {
  EXPECT_NEAR(a.seconds, b.seconds, 1e-9);
  EXPECT_NEAR(a.ci_low_s, b.ci_low_s, 1e-9);
  EXPECT_NEAR(a.ci_high_s, b.ci_high_s, 1e-9);
  EXPECT_NEAR(a.fraction_of_run, b.fraction_of_run, 1e-9);
  EXPECT_NEAR(a.ci_low_fraction, b.ci_low_fraction, 1e-9);
  EXPECT_NEAR(a.ci_high_fraction, b.ci_high_fraction, 1e-9);
  EXPECT_NEAR(a.bound_s, b.bound_s, 1e-9);
  EXPECT_EQ(a.significant, b.significant);
}

void expect_same_pop(const PopMetrics& a, const PopMetrics& b) {
  EXPECT_EQ(a.scope, b.scope);
  EXPECT_NEAR(a.load_balance, b.load_balance, 1e-9);
  EXPECT_NEAR(a.communication_efficiency, b.communication_efficiency, 1e-9);
  EXPECT_NEAR(a.parallel_efficiency, b.parallel_efficiency, 1e-9);
  EXPECT_EQ(a.serialisation_estimate.has_value(), b.serialisation_estimate.has_value());
  EXPECT_EQ(a.transfer_estimate.has_value(), b.transfer_estimate.has_value());
  EXPECT_EQ(a.method, b.method);
}

fs::path temporary(const std::string& name) {
  const fs::path folder = fs::temp_directory_path() / ("commtune-recommendations-" + std::to_string(::getpid()));
  fs::create_directories(folder);
  return folder / name;
}

TEST(RecommendationsFile, RoundTrip) {
  const Recommendations written = sample();
  const fs::path file = temporary("recommendations.yaml");
  write_recommendations(written, file);
  const Recommendations read = read_recommendations(file);
  EXPECT_EQ(read.schema, kRecommendationsSchema);
  EXPECT_EQ(read.tool_version, written.tool_version);
  EXPECT_EQ(read.generated_at, written.generated_at);
  EXPECT_EQ(read.run_directory, written.run_directory);
  EXPECT_EQ(read.command, written.command);
  EXPECT_EQ(read.ranks, written.ranks);
  EXPECT_EQ(read.nodes, written.nodes);
  EXPECT_NEAR(read.wall_time_s, written.wall_time_s, 1e-9);
  EXPECT_EQ(read.run_hardware_id, written.run_hardware_id);
  EXPECT_EQ(read.models_source, written.models_source);
  EXPECT_EQ(read.models_hardware_id, written.models_hardware_id);
  expect_same_pop(read.run_efficiency, written.run_efficiency);
  ASSERT_EQ(read.region_efficiency.size(), 1u);
  expect_same_pop(read.region_efficiency[0], written.region_efficiency[0]);
  ASSERT_EQ(read.recommendations.size(), written.recommendations.size());
  for (std::size_t i = 0; i < read.recommendations.size(); ++i) {
    const Recommendation& a = read.recommendations[i];
    const Recommendation& b = written.recommendations[i];
    EXPECT_EQ(a.rank, b.rank);
    EXPECT_EQ(a.technique, b.technique);
    EXPECT_EQ(a.title, b.title);
    ASSERT_EQ(a.callsites.size(), b.callsites.size());
    for (std::size_t s = 0; s < a.callsites.size(); ++s) {
      EXPECT_EQ(a.callsites[s].callsite_id, b.callsites[s].callsite_id);
      EXPECT_EQ(a.callsites[s].function, b.callsites[s].function);
      EXPECT_EQ(a.callsites[s].location, b.callsites[s].location);
      EXPECT_NEAR(a.callsites[s].time_s, b.callsites[s].time_s, 1e-9);
    }
    EXPECT_EQ(a.parameters, b.parameters);
    ASSERT_EQ(a.evidence.size(), b.evidence.size());
    for (std::size_t e = 0; e < a.evidence.size(); ++e) {
      EXPECT_EQ(a.evidence[e].what, b.evidence[e].what);
      EXPECT_NEAR(a.evidence[e].value, b.evidence[e].value, 1e-9);
      EXPECT_EQ(a.evidence[e].unit, b.evidence[e].unit);
      EXPECT_EQ(a.evidence[e].source, b.evidence[e].source);
    }
    expect_same_gain(a.gain, b.gain);
    EXPECT_EQ(a.apply.summary, b.apply.summary);
    EXPECT_EQ(a.apply.component, b.apply.component);
    EXPECT_EQ(a.apply.settings, b.apply.settings);
    EXPECT_EQ(a.apply.environment, b.apply.environment);
    EXPECT_EQ(a.apply.launcher_args, b.apply.launcher_args);
    EXPECT_EQ(a.apply.files, b.apply.files);
  }
  ASSERT_EQ(read.missing_sweeps.size(), 1u);
  EXPECT_EQ(read.missing_sweeps[0].reason, written.missing_sweeps[0].reason);
  EXPECT_EQ(read.missing_sweeps[0].spec, written.missing_sweeps[0].spec);
  EXPECT_EQ(read.notes, written.notes);
}

// Rewrites the first line holding `from` to hold `to` instead; returns that line's number (1-based).
int break_file(const fs::path& file, const std::string& from, const std::string& to) {
  std::ifstream in(file);
  std::ostringstream out;
  std::string line;
  int number = 0, changed = 0;
  while (std::getline(in, line)) {
    ++number;
    if (changed == 0 && line.find(from) != std::string::npos) {
      line.replace(line.find(from), from.size(), to);
      changed = number;
    }
    out << line << "\n";
  }
  in.close();
  std::ofstream(file) << out.str();
  return changed;
}

TEST(RecommendationsFile, BrokenValueNamesFileLineAndKey) {
  const fs::path file = temporary("broken.yaml");
  write_recommendations(sample(), file);
  const int line = break_file(file, "rank: 1", "rank: first");
  ASSERT_GT(line, 0);
  try {
    read_recommendations(file);
    FAIL() << "a broken rank was accepted";
  } catch (const RecommendationsError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find(file.string() + ":" + std::to_string(line)), std::string::npos) << message;
    EXPECT_NE(message.find("recommendations[0].rank"), std::string::npos) << message;
  }
}

TEST(RecommendationsFile, MissingKeyAndOtherSchemaAreNamed) {
  const fs::path file = temporary("missing.yaml");
  write_recommendations(sample(), file);
  ASSERT_GT(break_file(file, "technique: batching", "technic: batching"), 0);
  try {
    read_recommendations(file);
    FAIL() << "a missing technique was accepted";
  } catch (const RecommendationsError& error) {
    EXPECT_NE(std::string(error.what()).find("recommendations[0].technique: missing"), std::string::npos)
        << error.what();
  }
  write_recommendations(sample(), file);
  ASSERT_GT(break_file(file, "commtune.recommendations/1", "commtune.recommendations/9"), 0);
  EXPECT_THROW(read_recommendations(file), RecommendationsError);
}

}  // namespace
}  // namespace commtune::analysis
