// Test data for the report tests, written through the formats' own writers: a recommendations.yaml
// (analysis::write_recommendations) for a run directory, and a results database with sweeps
// (tuner::ResultsDb) on a run's hardware fingerprint. The numbers are fixtures, not measurements:
// the tests check that the report shows them, not what they mean.
//
//   report_fixture recommendations DIR      DIR/recommendations.yaml naming DIR's top call sites
//   report_fixture database DB DIR          sweeps of batching and load_balance on DIR/hardware.json's id
#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "commtune/analysis/recommendations.hpp"
#include "commtune/pmpi/run_directory.hpp"
#include "commtune/tuner/fingerprint.hpp"
#include "commtune/tuner/results_db.hpp"
#include "profile/reader.hpp"

namespace {

namespace analysis = commtune::analysis;
namespace tuner = commtune::tuner;
namespace fs = std::filesystem;

analysis::Recommendation batching(const commtune::profile::Profile& profile, const commtune::profile::CallSite& site) {
  analysis::Recommendation each;
  each.rank = 1;
  each.technique = analysis::Technique::Batching;
  each.title = "Batch the sends at " + site.function + " into 16 KiB batches";
  each.callsites.push_back({site.id, site.function, "solver.c:212", site.time_s});
  each.parameters = {{"batch_bytes", "16384"}, {"flush", "size"}};
  each.evidence = {{"messages per rank", double(site.calls) / profile.ranks, "messages", "profile.json callsites[0]"},
                   {"time at the site", site.time_s, "s", "profile.json callsites[0]"}};
  const double wall = profile.wall_time_s * profile.ranks;
  each.gain = analysis::PredictedGain{
      0.3 * site.time_s,        0.2 * site.time_s,        0.4 * site.time_s, 0.3 * site.time_s / wall,
      0.2 * site.time_s / wall, 0.4 * site.time_s / wall, site.time_s,       true};
  each.apply.summary = "Send through commtune::kernels::MessageAggregator with batch_bytes=16384";
  each.apply.component = "commtune::kernels::MessageAggregator";
  each.apply.settings = {{"batch_bytes", "16384"}};
  return each;
}

int write_recommendations(const fs::path& dir) {
  const commtune::profile::Profile profile = commtune::profile::read_profile(dir);
  analysis::Recommendations out;
  out.tool_version = "test";
  out.generated_at = "2026-12-05T00:00:00Z";
  out.run_directory = dir;
  out.command = profile.command;
  out.ranks = profile.ranks;
  out.wall_time_s = profile.wall_time_s;
  out.run_efficiency = {"run", 0.91, 0.62, 0.56, 0.85, 0.73, "test fixture"};
  out.region_efficiency = {{"solver", 0.95, 0.7, 0.67, std::nullopt, std::nullopt, "test fixture"}};
  for (const auto& site : profile.callsites) {
    if (site.function == "MPI_Init" || site.frames.empty()) continue;
    out.recommendations.push_back(batching(profile, site));
    break;
  }
  analysis::Recommendation keep;
  keep.rank = 2;
  keep.technique = analysis::Technique::RuntimeSettings;
  keep.title = "Raise the eager limit";
  keep.apply.summary = "no significant gain - keep as is";
  keep.apply.environment = {"OMPI_MCA_btl_vader_eager_limit=65536"};
  keep.evidence = {{"eager limit", 4096, "bytes", "ompi_info"}};
  out.recommendations.push_back(keep);
  out.notes = {"fixture written by report_fixture"};
  analysis::write_recommendations(out, commtune::run_directory::recommendations_path(dir));
  return 0;
}

// Samples around `median_s`, spread by +-5 %.
std::vector<double> samples(double median_s) {
  std::vector<double> values;
  for (int i = 0; i < 12; ++i) values.push_back(median_s * (1 + 0.05 * std::sin(i * 1.7)));
  return values;
}

void record(tuner::ResultsDb& db, std::int64_t sweep, const std::string& hardware, const std::string& kernel,
            const tuner::Configuration& params, double median_s) {
  tuner::LaunchRecord launch;
  launch.command = {"commtune-sweep-driver", "fixture"};
  launch.duration_s = 1;
  launch.sample_times_s = samples(median_s);
  db.record_measurement(sweep, tuner::PointKey{hardware, kernel, params, {}, 2}, {launch});
}

int write_database(const fs::path& file, const fs::path& dir) {
  std::ifstream in(commtune::run_directory::hardware_path(dir));
  const nlohmann::json document = nlohmann::json::parse(in);
  const std::string hardware = tuner::HardwareFingerprint::from_json(document).id();
  tuner::ResultsDb db(file);
  db.add_hardware(hardware, document);
  const std::int64_t sweep = db.begin_sweep(hardware, "fixture sweep", 1);
  for (const std::string codec : {"none", "lz4"})
    for (int batch = 1024; batch <= 65536; batch *= 4)
      record(db, sweep, hardware, "batching",
             {{"variant", "batched"}, {"codec", codec}, {"level", "1"}, {"batch_bytes", std::to_string(batch)}},
             1e-3 * (1 + 4096.0 / batch) * (codec == "lz4" ? 0.8 : 1.0));
  for (int threads = 1; threads <= 4; ++threads)
    record(db, sweep, hardware, "load_balance",
           {{"variant", "dynamic"}, {"threads", std::to_string(threads)}, {"poll_interval_us", "100"}},
           2e-3 / threads + 1e-4);
  for (int poll = 10; poll <= 1000; poll *= 10)
    record(db, sweep, hardware, "load_balance",
           {{"variant", "dynamic"}, {"threads", "2"}, {"poll_interval_us", std::to_string(poll)}},
           1e-3 * (1 + poll / 2000.0));
  tuner::ChoiceRecord choice;
  choice.sweep_id = sweep;
  choice.hardware_id = hardware;
  choice.kernel = "batching";
  choice.ranks = 2;
  choice.params = {{"variant", "batched"}, {"codec", "lz4"}, {"level", "1"}, {"batch_bytes", "65536"}};
  choice.median_s = 8.5e-4;
  choice.ci_low_s = 8.2e-4;
  choice.ci_high_s = 8.9e-4;
  choice.baseline_median_s = 2e-3;
  choice.gain = 0.57;
  choice.gain_ci_low = 0.5;
  choice.gain_ci_high = 0.6;
  choice.verdict = "faster";
  db.record_choice(choice);
  db.set_sweep_status(sweep, tuner::SweepStatus::Finished);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string what = argc > 1 ? argv[1] : "";
  try {
    if (what == "recommendations" && argc == 3) return write_recommendations(argv[2]);
    if (what == "database" && argc == 4) return write_database(argv[2], argv[3]);
  } catch (const std::exception& problem) {
    std::fprintf(stderr, "report_fixture: %s\n", problem.what());
    return 1;
  }
  std::fprintf(stderr, "usage: report_fixture recommendations DIR | database DB DIR\n");
  return 2;
}
