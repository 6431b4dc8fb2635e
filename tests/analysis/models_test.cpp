// Hardware models (analysis/models.hpp): piecewise link fits on synthetic databases with known
// breakpoints, their held-out errors, the codec, overlap and load-balancing models from recorded
// metrics, hardware descriptions and their located errors, and missing sweeps parsed back as specs.
#include "commtune/analysis/models.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "commtune/tuner/fingerprint.hpp"
#include "commtune/tuner/results_db.hpp"
#include "commtune/tuner/spec.hpp"

namespace commtune::analysis {
namespace {

namespace fs = std::filesystem;
using tuner::LaunchRecord;
using tuner::PointKey;
using tuner::ResultsDb;

fs::path fresh_directory(const std::string& name) {
  const fs::path directory = fs::path(testing::TempDir()) / ("commtune-models-" + name);
  fs::remove_all(directory);
  fs::create_directories(directory);
  return directory;
}

// The sizes configs/sweeps/link.yaml measures: 0 and 8 B .. 16 MiB in 2x steps.
std::vector<std::uint64_t> link_sizes() {
  std::vector<std::uint64_t> sizes{0};
  for (std::uint64_t bytes = 8; bytes <= (16u << 20); bytes *= 2) sizes.push_back(bytes);
  return sizes;
}

// Deterministic +-`amplitude` relative noise, different for every size and sample.
double jitter(std::uint64_t bytes, int sample, double amplitude) {
  return 1 + amplitude * std::sin(double(bytes % 9973) * 0.37 + sample * 1.7);
}

struct SyntheticDb {
  fs::path path;
  std::unique_ptr<ResultsDb> db;
  std::int64_t sweep_id = 0;
  std::string hardware_id;

  SyntheticDb(const std::string& name, const std::string& hardware, const tuner::HardwareFingerprint& fingerprint)
      : path(fresh_directory(name) / "results.sqlite"), db(std::make_unique<ResultsDb>(path)), hardware_id(hardware) {
    db->add_hardware(hardware_id, fingerprint.to_json());
    sweep_id = db->begin_sweep(hardware_id, "synthetic", 1);
  }

  void add(const std::string& kernel, tuner::Configuration params, std::vector<double> samples_s,
           std::map<std::string, double> metrics = {}) {
    LaunchRecord launch{
        .command = {"synthetic"}, .sample_times_s = std::move(samples_s), .metrics = std::move(metrics)};
    db->record_measurement(sweep_id, PointKey{hardware_id, kernel, std::move(params), {}, 2}, {launch});
  }

  // One point of the link sweep: a blocking ring of 2 ranks, so a sample is two one-way times.
  void add_link_point(std::uint64_t bytes, double one_way_s, double noise) {
    std::vector<double> samples;
    for (int i = 0; i < 15; ++i) samples.push_back(2 * one_way_s * jitter(bytes, i, noise));
    add("nonblocking",
        {{"variant", "blocking"},
         {"pattern", "ring"},
         {"peers", "1"},
         {"messages_per_peer", "1"},
         {"window", "64"},
         {"message_bytes", std::to_string(bytes)}},
        samples);
  }
};

tuner::HardwareFingerprint fingerprint_of(const std::string& btl, int nodes = 1) {
  tuner::HardwareFingerprint fingerprint;
  fingerprint.topology.cores = 2;
  fingerprint.mpi = {"Open MPI", "4.1.4", ""};
  fingerprint.launch.mca = {{"pml", "ob1"}};
  if (!btl.empty()) fingerprint.launch.mca["btl"] = btl;
  fingerprint.launch.nodes = nodes;
  fingerprint.launch.transport = "pml=ob1";
  return fingerprint;
}

struct Segment {
  std::uint64_t from_bytes;
  double latency_s;
  double bytes_per_s;
};

double truth(const std::vector<Segment>& segments, std::uint64_t bytes) {
  const Segment* use = &segments.front();
  for (const Segment& segment : segments)
    if (segment.from_bytes <= bytes) use = &segment;
  return use->latency_s + double(bytes) / use->bytes_per_s;
}

// True when a fitted breakpoint lies within one 2x step of `bytes`.
bool has_breakpoint_near(const LinkModel& link, std::uint64_t bytes) {
  for (std::size_t s = 1; s < link.segments.size(); ++s) {
    const std::uint64_t at = link.segments[s].from_bytes;
    if (at >= bytes / 2 && at <= bytes * 2) return true;
  }
  return false;
}

LinkModel fit_synthetic(const std::string& name, const std::vector<Segment>& segments, double noise) {
  SyntheticDb synthetic(name, "hw-" + name, fingerprint_of("self,vader"));
  for (std::uint64_t bytes : link_sizes()) synthetic.add_link_point(bytes, truth(segments, bytes), noise);
  const HardwareModels models = fit_models(*synthetic.db, synthetic.hardware_id);
  EXPECT_TRUE(models.intra_node.has_value());
  EXPECT_FALSE(models.inter_node.has_value());
  return models.intra_node.value_or(LinkModel{});
}

TEST(LinkFit, RecoversAnEagerRendezvousBreakpointWithinOneStep) {
  // Eager up to 32 KiB (1 us, 2 GB/s), rendezvous from 64 KiB (20 us, 10 GB/s), 3 % noise.
  const std::vector<Segment> segments = {{0, 1e-6, 2e9}, {65536, 20e-6, 10e9}};
  const LinkModel link = fit_synthetic("eager", segments, 0.03);
  EXPECT_EQ(link.name, "shared memory");
  ASSERT_EQ(link.segments.size(), 2u);
  EXPECT_TRUE(has_breakpoint_near(link, 65536)) << link.segments[1].from_bytes;
  EXPECT_NEAR(link.bandwidth_bytes_per_s(), 10e9, 1e9);
  EXPECT_NEAR(link.segments[0].latency_s, 1e-6, 0.2e-6);
  EXPECT_EQ(link.measured_up_to_bytes, 16u << 20);
}

TEST(LinkFit, RecoversTwoBreakpointsWithinOneStep) {
  const std::vector<Segment> segments = {{0, 0.5e-6, 1e9}, {4096, 5e-6, 8e9}, {1 << 20, 200e-6, 3e9}};
  const LinkModel link = fit_synthetic("three", segments, 0.02);
  ASSERT_EQ(link.segments.size(), 3u);
  EXPECT_TRUE(has_breakpoint_near(link, 4096));
  EXPECT_TRUE(has_breakpoint_near(link, 1 << 20));
}

TEST(LinkFit, KeepsOneSegmentForOneLine) {
  const LinkModel link = fit_synthetic("line", {{0, 2e-6, 5e9}}, 0.03);
  EXPECT_EQ(link.segments.size(), 1u);
  EXPECT_NEAR(link.bandwidth_bytes_per_s(), 5e9, 0.5e9);
}

TEST(LinkFit, ReportsTheHeldOutErrorOfEveryPoint) {
  const std::vector<Segment> segments = {{0, 1e-6, 2e9}, {65536, 20e-6, 10e9}};
  const LinkModel clean = fit_synthetic("clean", segments, 0.01);
  const LinkModel noisy = fit_synthetic("noisy", segments, 0.15);
  for (const LinkModel* link : {&clean, &noisy}) {
    EXPECT_EQ(link->quality.points, int(link_sizes().size()));
    EXPECT_EQ(link->quality.held_out, int(link_sizes().size()));
    EXPECT_NE(link->quality.method.find("leave-one-out"), std::string::npos);
    EXPECT_LE(link->quality.median_abs_relative_error, link->quality.p90_abs_relative_error);
  }
  // Held-out points carry the noise the fit cannot know: more noise, larger errors.
  EXPECT_LT(clean.quality.median_abs_relative_error, 0.03);
  EXPECT_GT(noisy.quality.median_abs_relative_error, clean.quality.median_abs_relative_error);
}

TEST(LinkFit, UsesTheCalibrationWithoutLinkPointsAndNamesTheTransport) {
  tuner::HardwareFingerprint fingerprint = fingerprint_of("self,tcp");
  for (std::uint64_t bytes : {8u, 4096u, 65536u, 1u << 20}) {
    const double latency_us = 10 + double(bytes) / 1e3;  // 10 us + 1 GB/s
    fingerprint.calibration.points.push_back({bytes, 100, latency_us, double(bytes) / latency_us});
  }
  SyntheticDb synthetic("calibration", "hw-tcp", fingerprint);
  const HardwareModels models = fit_models(*synthetic.db, synthetic.hardware_id);
  ASSERT_TRUE(models.intra_node);
  EXPECT_EQ(models.intra_node->name, "tcp");
  EXPECT_NE(models.intra_node->source.find("calibration"), std::string::npos);
  EXPECT_NEAR(models.intra_node->seconds(1 << 20), 10e-6 + 1048.576e-6, 20e-6);
  EXPECT_EQ(models.launch_mca.at("btl"), "self,tcp");
}

TEST(LinkFit, PointsAcrossNodesDescribeTheInterNodeLink) {
  tuner::HardwareFingerprint fingerprint = fingerprint_of("self,tcp", 2);
  fingerprint.calibration.same_node = false;
  SyntheticDb synthetic("nodes", "hw-nodes", fingerprint);
  for (std::uint64_t bytes : link_sizes()) synthetic.add_link_point(bytes, 50e-6 + double(bytes) / 0.125e9, 0.02);
  const HardwareModels models = fit_models(*synthetic.db, synthetic.hardware_id);
  EXPECT_EQ(models.nodes, 2);
  EXPECT_FALSE(models.intra_node);
  ASSERT_TRUE(models.inter_node);
  EXPECT_NEAR(models.inter_node->bandwidth_bytes_per_s(), 0.125e9, 0.0125e9);
}

TEST(Models, CodecOverlapAndLoadBalanceComeFromTheRecordedMetrics) {
  SyntheticDb synthetic("metrics", "hw-metrics", fingerprint_of("self,vader"));
  for (int i = 0; i < 3; ++i) {
    const double scale = 1 + 0.1 * (i - 1);  // 900, 1000, 1100 MB/s
    synthetic.add("batching",
                  {{"variant", "compressed"},
                   {"codec", "lz4"},
                   {"level", "0"},
                   {"data", "ids"},
                   {"shuffle", "false"},
                   {"message_bytes", std::to_string(65536 << i)}},
                  {0.01, 0.011, 0.012},
                  {{"compression_ratio", 6.0},
                   {"compression_throughput_bytes_per_s", 1e9 * scale},
                   {"decompression_throughput_bytes_per_s", 3e9 * scale}});
  }
  // Overlap: comm 1 ms, compute 2 ms; total 2.25 ms hides 75 % of the communication, the shorter.
  std::vector<double> totals;
  for (int i = 0; i < 21; ++i) totals.push_back(2.25e-3 + (i - 10) * 1e-6);
  for (const char* chunks : {"4", "16"}) {
    synthetic.add("overlap",
                  {{"variant", "nonblocking"},
                   {"operation", "p2p"},
                   {"message_bytes", "1048576"},
                   {"chunks", chunks},
                   {"progress_thread", "false"}},
                  std::string(chunks) == "16" ? totals : std::vector<double>(21, 2.9e-3),
                  {{"comm_pure_s", 1e-3}, {"compute_s", 2e-3}, {"overlap_osu_percent", 75}});
  }
  // At 64 KiB the computation is the shorter: comm 2 ms, compute 1 ms, total 2.25 ms hides 75 % of
  // the computation (OSU's share of the communication would say 37.5 %).
  synthetic.add("overlap",
                {{"variant", "nonblocking"},
                 {"operation", "p2p"},
                 {"message_bytes", "65536"},
                 {"chunks", "16"},
                 {"progress_thread", "false"}},
                totals, {{"comm_pure_s", 2e-3}, {"compute_s", 1e-3}, {"overlap_osu_percent", 37.5}});
  synthetic.add("load_balance",
                {{"variant", "work_stealing"}, {"cost_distribution", "linear_ramp"}, {"threads", "1"}, {"chunk", "2"}},
                totals, {{"load_balance_efficiency", 0.9}});
  const HardwareModels models = fit_models(*synthetic.db, synthetic.hardware_id);

  ASSERT_EQ(models.codecs.size(), 1u);
  const CodecModel& codec = models.codecs.front();
  EXPECT_EQ(codec.codec, "lz4");
  EXPECT_EQ(codec.data_kind, "ids");
  EXPECT_DOUBLE_EQ(codec.compress_bytes_per_s, 1e9);
  EXPECT_DOUBLE_EQ(codec.ratio, 6.0);
  EXPECT_EQ(codec.points, 3);
  EXPECT_EQ(codec.quality.held_out, 3);
  EXPECT_GT(codec.quality.median_abs_relative_error, 0);  // the launches differ by 10 %
  EXPECT_LT(codec.quality.median_abs_relative_error, 0.25);

  ASSERT_EQ(models.overlap.size(), 2u);
  const OverlapModel& overlap = models.overlap.back();
  EXPECT_EQ(overlap.message_bytes, 1048576u);
  EXPECT_EQ(overlap.chunks, 16);  // the better of the two
  EXPECT_EQ(overlap.points, 2);
  EXPECT_NEAR(overlap.achievable_fraction, 0.75, 0.01);
  EXPECT_LT(overlap.ci_low, overlap.achievable_fraction);
  EXPECT_GT(overlap.ci_high, overlap.achievable_fraction);
  EXPECT_EQ(models.overlap.front().message_bytes, 65536u);
  EXPECT_NEAR(models.overlap.front().achievable_fraction, 0.75, 0.01);

  ASSERT_EQ(models.load_balance.size(), 1u);
  EXPECT_DOUBLE_EQ(models.load_balance.front().efficiency, 0.9);
  EXPECT_LT(models.load_balance.front().ci_low, 0.9);
  EXPECT_EQ(models.memcpy_bytes_per_s, 0);
}

TEST(Models, OverlapKeepsTheSurestConfigurationAndItsLaunchesSpread) {
  SyntheticDb synthetic("overlap-spread", "hw-overlap", fingerprint_of(""));
  std::vector<double> totals;
  for (int i = 0; i < 21; ++i) totals.push_back(2.25e-3 + (i - 10) * 1e-6);
  const tuner::Configuration common = {
      {"variant", "nonblocking"}, {"operation", "p2p"}, {"message_bytes", "1048576"}, {"progress_thread", "false"}};
  // 4 chunks: one launch that hid everything (total 2 ms = the computation): no spread seen.
  tuner::Configuration lucky = common;
  lucky["chunks"] = "4";
  synthetic.add("overlap", lucky, std::vector<double>(21, 2.0e-3), {{"comm_pure_s", 1e-3}, {"compute_s", 2e-3}});
  // 16 chunks: two launches whose computation alone took 2.0 and 2.1 ms: 75-85 % of the communication hidden.
  tuner::Configuration steady = common;
  steady["chunks"] = "16";
  std::vector<LaunchRecord> launches;
  for (const double compute_s : {2.0e-3, 2.1e-3})
    launches.push_back(LaunchRecord{.command = {"synthetic"},
                                    .sample_times_s = totals,
                                    .metrics = {{"comm_pure_s", 1e-3}, {"compute_s", compute_s}}});
  synthetic.db->record_measurement(synthetic.sweep_id, PointKey{synthetic.hardware_id, "overlap", steady, {}, 2},
                                   launches);
  const HardwareModels models = fit_models(*synthetic.db, synthetic.hardware_id);
  ASSERT_EQ(models.overlap.size(), 1u);
  const OverlapModel& overlap = models.overlap.front();
  EXPECT_EQ(overlap.chunks, 16);  // not the single lucky launch
  EXPECT_EQ(overlap.points, 2);
  // Low end: the slower total with the shorter computation; high end: the faster with the longer.
  EXPECT_LT(overlap.ci_low, 0.75);
  EXPECT_GT(overlap.ci_low, 0.7);
  EXPECT_GT(overlap.ci_high, 0.85);
  EXPECT_LE(overlap.ci_high, 0.9);
}

TEST(Models, AnEmptyDatabaseSaysWhatIsMissing) {
  SyntheticDb synthetic("empty", "hw-empty", fingerprint_of(""));
  const HardwareModels models = fit_models(*synthetic.db, synthetic.hardware_id);
  EXPECT_FALSE(models.intra_node);
  EXPECT_TRUE(models.codecs.empty());
  std::string notes;
  for (const std::string& note : models.notes) notes += note + "\n";
  for (const char* spec : {"link.yaml", "codecs.yaml", "overlap.yaml", "load_balance.yaml", "memcpy"}) {
    EXPECT_NE(notes.find(spec), std::string::npos) << spec << " not in\n" << notes;
  }
}

fs::path write_file(const std::string& name, const std::string& text) {
  const fs::path path = fresh_directory("descriptions") / name;
  std::ofstream(path) << text;
  return path;
}

const std::string kGoodDescription =
    "schema: commtune.hardware_description/1\n"
    "name: two\n"
    "nodes: 2\n"
    "cores_per_node: 4\n"
    "intra_node: {latency_us: 0.5, bandwidth_gb_per_s: 10}\n"
    "inter_node: {latency_us: 50, bandwidth_gb_per_s: 0.125}\n";

TEST(HardwareDescription, BundledDescriptionsRead) {
  const HardwareModels two =
      read_hardware_description(fs::path(COMMTUNE_CONFIGS_DIR) / "hardware/example-2-nodes.yaml");
  EXPECT_EQ(two.nodes, 2);
  EXPECT_EQ(two.cores_per_node, 2);
  EXPECT_EQ(two.placement, "block");
  ASSERT_TRUE(two.inter_node);
  EXPECT_NEAR(two.inter_node->bandwidth_bytes_per_s(), 0.125e9, 1);
  EXPECT_NEAR(two.inter_node->seconds(0), 50e-6, 1e-12);
  EXPECT_EQ(two.inter_node->quality.method, "description (not fitted)");
  EXPECT_TRUE(two.hardware_id.empty());
  const HardwareModels ib = read_hardware_description(fs::path(COMMTUNE_CONFIGS_DIR) / "hardware/infiniband-100g.yaml");
  EXPECT_GT(ib.inter_node->bandwidth_bytes_per_s(), 10e9);
  EXPECT_LT(ib.inter_node->seconds(1 << 20), two.inter_node->seconds(1 << 20) / 50);
}

// The message of a description that is not accepted.
std::string error_of(const std::string& text) {
  const fs::path path = write_file("bad.yaml", text);
  try {
    read_hardware_description(path);
  } catch (const ModelError& error) {
    return error.what();
  }
  return "accepted";
}

TEST(HardwareDescription, ErrorsNameFileLineAndKey) {
  std::string text = kGoodDescription + "placement: cyclic\n";
  EXPECT_EQ(error_of(text), "accepted");
  EXPECT_EQ(read_hardware_description(write_file("cyclic.yaml", text)).placement, "cyclic");

  const std::string unknown = error_of(kGoodDescription + "gpus: 4\n");
  EXPECT_NE(unknown.find("bad.yaml:7:1: gpus: unknown key 'gpus'; accepted:"), std::string::npos) << unknown;

  std::string bad_bandwidth = kGoodDescription;
  bad_bandwidth.replace(bad_bandwidth.find("0.125"), 5, "fast");
  const std::string bandwidth = error_of(bad_bandwidth);
  EXPECT_NE(bandwidth.find("bad.yaml:6:"), std::string::npos) << bandwidth;
  EXPECT_NE(bandwidth.find("inter_node.bandwidth_gb_per_s: 'fast' is not accepted"), std::string::npos) << bandwidth;

  std::string no_inter = kGoodDescription;
  no_inter.erase(no_inter.find("inter_node"));
  EXPECT_NE(error_of(no_inter).find("inter_node: missing key 'inter_node'"), std::string::npos);

  const std::string placement = error_of(kGoodDescription + "placement: scatter\n");
  EXPECT_NE(placement.find(":7:12: placement: 'scatter' is not accepted; accepted: block, cyclic"), std::string::npos)
      << placement;

  std::string nodes = kGoodDescription;
  nodes.replace(nodes.find("nodes: 2"), 8, "nodes: 0");
  EXPECT_NE(error_of(nodes).find(":3:8: nodes: '0' is not accepted"), std::string::npos) << error_of(nodes);

  std::string schema = kGoodDescription;
  schema.replace(schema.find("/1"), 2, "/2");
  EXPECT_NE(error_of(schema).find(":1:9: schema:"), std::string::npos) << error_of(schema);

  EXPECT_NE(error_of("nodes: [1\n").find("bad.yaml:"), std::string::npos);
}

SiteSignature site(int id, Pattern pattern, std::uint64_t bytes, const std::string& function = "MPI_Send") {
  SiteSignature signature;
  signature.callsite_id = id;
  signature.function = function;
  signature.pattern = pattern;
  signature.median_message_bytes = bytes;
  signature.fraction_of_run = 0.2;
  signature.compute_between_calls_s = 500e-6;
  return signature;
}

WorkloadSignature a_workload() {
  WorkloadSignature workload;
  workload.ranks = 2;
  workload.run.load_balance = 0.7;
  workload.sites.push_back(site(1, Pattern::PointToPoint, 3000));
  workload.sites.push_back(site(2, Pattern::NeighbourExchange, 200000));
  workload.sites.back().compressibility = profile::Compressibility{.samples = 4, .sampled_bytes = 800000};
  workload.sites.push_back(site(3, Pattern::Collective, 64, "MPI_Allreduce"));
  return workload;
}

// Written to a file and loaded as `commtune sweep --check FILE` does (load, validate, plan).
tuner::SweepSpec parse_sweep(const MissingSweep& sweep) {
  const fs::path directory = fs::path(testing::TempDir()) / "commtune-models-missing";
  fs::create_directories(directory);
  const fs::path path = directory / (sweep.name + ".yaml");
  std::ofstream(path) << sweep.spec_yaml;
  return tuner::load_sweep_spec(path);
}

TEST(MissingSweeps, AreSpecsTheTunerAcceptsAtTheWorkloadsSizes) {
  SyntheticDb synthetic("missing-tcp", "hw-missing", fingerprint_of("self,tcp"));
  const HardwareModels models = fit_models(*synthetic.db, synthetic.hardware_id);
  const std::vector<MissingSweep> sweeps = missing_sweeps(a_workload(), models);
  std::map<std::string, const MissingSweep*> by_name;
  for (const MissingSweep& sweep : sweeps) {
    by_name[sweep.name] = &sweep;
    SCOPED_TRACE(sweep.spec_yaml);
    tuner::SweepSpec spec;
    ASSERT_NO_THROW(spec = parse_sweep(sweep));
    EXPECT_GT(tuner::plan_sweep(spec).evaluations, 0u);
    // The fingerprint's settings, so that the points land on its hardware.
    ASSERT_EQ(spec.transports.size(), 1u);
    EXPECT_EQ(spec.transports.front().mca.at("btl"), "self,tcp");
    EXPECT_FALSE(sweep.reason.empty());
  }
  ASSERT_TRUE(by_name.count("link-missing-sizes"));
  const tuner::SweepSpec link = parse_sweep(*by_name["link-missing-sizes"]);
  // 64 B .. 200000 B in 2x steps (the powers of two around the workload's sizes), nothing else.
  std::vector<std::string> expected;
  for (std::uint64_t bytes = 64; bytes <= 262144; bytes *= 2) expected.push_back(std::to_string(bytes));
  EXPECT_EQ(link.kernels.front().grid.at("message_bytes"), expected);
  ASSERT_TRUE(by_name.count("codecs-missing"));
  EXPECT_EQ(parse_sweep(*by_name["codecs-missing"]).kernels.front().grid.at("message_bytes"),
            std::vector<std::string>{"131072"});
  EXPECT_TRUE(by_name.count("overlap-p2p"));
  EXPECT_TRUE(by_name.count("overlap-iallreduce"));
  EXPECT_TRUE(by_name.count("load-balance"));
}

TEST(MissingSweeps, NoneWhereThePointsExistOrForADescription) {
  SyntheticDb synthetic("missing-none", "hw-covered", fingerprint_of("self,vader"));
  for (std::uint64_t bytes : link_sizes()) synthetic.add_link_point(bytes, 1e-6 + double(bytes) / 5e9, 0.02);
  const HardwareModels models = fit_models(*synthetic.db, synthetic.hardware_id);
  for (const MissingSweep& sweep : missing_sweeps(a_workload(), models)) EXPECT_NE(sweep.name, "link-missing-sizes");
  const HardwareModels described =
      read_hardware_description(fs::path(COMMTUNE_CONFIGS_DIR) / "hardware/example-2-nodes.yaml");
  EXPECT_TRUE(missing_sweeps(a_workload(), described).empty());
}

}  // namespace
}  // namespace commtune::analysis
