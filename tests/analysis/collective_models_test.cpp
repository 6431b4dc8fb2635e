// collective_algorithm_models(): the collective-algorithm points of a results database measured on
// the run's machine (fingerprints that differ only in the algorithm settings), and nothing else.
#include <gtest/gtest.h>

#include <filesystem>

#include "commtune/analysis/runtime_settings.hpp"
#include "commtune/tuner/fingerprint.hpp"
#include "commtune/tuner/results_db.hpp"

namespace commtune::analysis {
namespace {

tuner::HardwareFingerprint fingerprint(const std::map<std::string, std::string>& mca, int cores = 4) {
  tuner::HardwareFingerprint out;
  out.topology = tuner::synthetic_topology("pack:1 core:" + std::to_string(cores) + " pu:1");
  out.mpi = {.implementation = "Open MPI", .version = "4.1.4", .device = ""};
  out.launch.mca = mca;
  out.launch.mca["pml"] = "ob1";
  out.launch.nodes = 1;
  out.launch.ranks_per_node = 4;
  return out;
}

tuner::LaunchRecord launch(std::vector<double> samples) {
  return {.command = {"mpirun"},
          .started_at_utc = "",
          .duration_s = 1,
          .exit_status = 0,
          .warmup_iterations = 1,
          .sample_times_s = std::move(samples),
          .phase = "",
          .stop_reason = "",
          .metrics = {}};
}

void record(tuner::ResultsDb& db, const tuner::HardwareFingerprint& hardware, const tuner::Configuration& settings,
            const std::string& operation, const std::string& variant, const std::string& compute_us,
            std::vector<double> samples) {
  db.add_hardware(hardware.id(), hardware.to_json());
  const std::int64_t sweep = db.begin_sweep(hardware.id(), "collectives", 1);
  tuner::Configuration mca_settings = settings;
  db.record_measurement(sweep,
                        {.hardware_id = hardware.id(),
                         .kernel = "overlap",
                         .params = {{"variant", variant},
                                    {"operation", operation},
                                    {"message_bytes", "8192"},
                                    {"compute_us", compute_us},
                                    {"chunks", "16"},
                                    {"progress_thread", "false"}},
                         .settings = mca_settings,
                         .ranks = 4},
                        {launch(std::move(samples))});
}

TEST(CollectiveModels, ReadsThePointsOfTheSameMachineAcrossAlgorithmSettings) {
  const auto file = std::filesystem::temp_directory_path() / "commtune_collective_models_test.sqlite";
  std::filesystem::remove(file);
  {
    tuner::ResultsDb db(file);
    const tuner::Configuration ring{{"coll_tuned_use_dynamic_rules", "1"}, {"coll_tuned_allreduce_algorithm", "4"}};
    const auto run = fingerprint({});
    record(db, run, {}, "iallreduce", "blocking", "0", {20e-6, 21e-6, 19e-6});
    record(db, fingerprint(ring), ring, "iallreduce", "blocking", "0", {10e-6, 11e-6, 9e-6});
    // Not a measurement of the collective alone: computation beside it, or the nonblocking variant.
    record(db, fingerprint(ring), ring, "iallreduce", "blocking", "1000", {1e-3});
    record(db, fingerprint(ring), ring, "iallreduce", "nonblocking", "0", {1e-6});
    // Another machine.
    record(db, fingerprint(ring, 8), ring, "iallreduce", "blocking", "0", {1e-6});

    const auto models = collective_algorithm_models(db, run.id());
    ASSERT_EQ(models.size(), 2u);
    const auto& by_default = models[0].algorithm == "default" ? models[0] : models[1];
    const auto& by_ring = models[0].algorithm == "default" ? models[1] : models[0];
    EXPECT_EQ(by_default.algorithm_id, 0);
    EXPECT_NEAR(by_default.median_s, 20e-6, 1e-12);
    EXPECT_EQ(by_ring.algorithm, "ring");
    EXPECT_EQ(by_ring.algorithm_id, 4);
    EXPECT_EQ(by_ring.collective, "allreduce");
    EXPECT_EQ(by_ring.mpi, "openmpi");
    EXPECT_EQ(by_ring.comm_size, 4);
    EXPECT_EQ(by_ring.message_bytes, 8192u);
    EXPECT_NEAR(by_ring.median_s, 10e-6, 1e-12);
    EXPECT_TRUE(collective_algorithm_models(db, "0000000000000000").empty());

    const auto choice = best_algorithm(models, "openmpi", "allreduce", 4, 6000);
    ASSERT_TRUE(choice);
    EXPECT_EQ(choice->best.algorithm, "ring");
    ASSERT_TRUE(choice->default_algorithm);
    EXPECT_FALSE(best_algorithm(models, "openmpi", "allreduce", 4, 100000));  // beyond a factor of 2
  }
  std::filesystem::remove(file);
}

}  // namespace
}  // namespace commtune::analysis
