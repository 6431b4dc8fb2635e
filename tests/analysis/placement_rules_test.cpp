// The load-balance, topology and runtime-settings rules (analysis/src/rules/) on hand-built
// profiles and models: detected and not detected, the gain bounded by the time at the sites,
// "keep as is" when the interval includes zero, and the files they write.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "commtune/analysis/ompi_rules.hpp"
#include "commtune/analysis/recommend.hpp"

namespace commtune::analysis {
namespace {

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A run of `ranks` ranks on `hosts` (rank r on hosts[r % hosts.size()] ... by blocks).
profile::Profile base_profile(int ranks, double wall_time_s, const std::vector<std::string>& host_of_rank = {}) {
  profile::Profile profile;
  profile.ranks = ranks;
  profile.ranks_reported = ranks;
  profile.complete = true;
  profile.wall_time_s = wall_time_s;
  profile.mpi_library = "Open MPI v4.1.4, package: Debian OpenMPI, ident: 4.1.4, repo rev: v4.1.4, May 26, 2022";
  for (int r = 0; r < ranks; ++r)
    profile.per_rank.push_back({.rank = r, .host = host_of_rank.empty() ? "vm" : host_of_rank[std::size_t(r)]});
  return profile;
}

profile::CallSite site(int id, const char* function, const char* category, int ranks, std::uint64_t calls,
                       double time_per_rank_max_s) {
  profile::CallSite out;
  out.id = id;
  out.function = function;
  out.category = category;
  out.ranks = ranks;
  out.calls = calls;
  out.comm_size = ranks;
  out.time_per_rank.max = time_per_rank_max_s;
  out.frames.push_back(
      {.module = "app", .offset = 0x10, .symbol = "solve", .file = "solver.c", .line = 212, .debug_info = true});
  return out;
}

struct Fixture : ::testing::Test {
  WorkloadSignature signature;
  HardwareModels models;
  std::filesystem::path files_dir =
      std::filesystem::temp_directory_path() /
      ("commtune_rules_test_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
  void SetUp() override { std::filesystem::remove_all(files_dir); }
  void TearDown() override { std::filesystem::remove_all(files_dir); }
  AnalysisInput input(const profile::Profile& profile) { return {profile, signature, models, files_dir}; }
};

// ---- load balance ---------------------------------------------------------------------------------

// 4 ranks computing 6..10 s (mean 8) before an MPI_Allreduce reached 400 times per rank, where one
// rank waited up to `waited_s`.
profile::Profile imbalanced(double waited_s, double min_s = 6, double mean_s = 8, double max_s = 10) {
  profile::Profile profile = base_profile(4, 12);
  profile.imbalance.app_time = {.min = min_s, .mean = mean_s, .max = max_s, .cv = 0.2, .min_rank = 0, .max_rank = 3};
  auto allreduce = site(1, "MPI_Allreduce", "collective", 4, 1600, waited_s + 0.1);
  allreduce.wait = profile::WaitState{
      .kind = "collective", .time_s = waited_s * 2, .instances = 1600, .per_rank_max_s = waited_s, .max_rank = 0};
  profile.callsites.push_back(allreduce);
  return profile;
}

LoadBalanceModel stealing(double efficiency, double low, double high) {
  return {.variant = "work_stealing",
          .cost_distribution = "linear_ramp",
          .threads = 2,
          .chunk = 4,
          .efficiency = efficiency,
          .ci_low = low,
          .ci_high = high,
          .points = 12};
}

TEST_F(Fixture, LoadBalanceDetectedWithTheModelsEfficiency) {
  models.load_balance = {stealing(0.95, 0.93, 0.97),
                         {.variant = "static", .efficiency = 0.99, .ci_low = 0.98, .ci_high = 1.0, .points = 3}};
  const auto profile = imbalanced(3.5);
  const auto made = recommend_load_balance(input(profile));
  ASSERT_EQ(made.size(), 1u);
  const Recommendation& r = made[0];
  EXPECT_EQ(r.technique, Technique::LoadBalance);
  EXPECT_EQ(r.parameters.at("variant"), "work_stealing");  // never the static one
  EXPECT_EQ(r.parameters.at("chunk"), "4");
  EXPECT_NEAR(r.gain.seconds, 10 - 8 / 0.95, 1e-9);
  EXPECT_NEAR(r.gain.ci_low_s, 10 - 8 / 0.93, 1e-9);
  EXPECT_NEAR(r.gain.ci_high_s, 10 - 8 / 0.97, 1e-9);
  EXPECT_NEAR(r.gain.bound_s, 3.5, 1e-12);
  EXPECT_TRUE(r.gain.significant);
  ASSERT_EQ(r.callsites.size(), 1u);
  EXPECT_EQ(r.callsites[0].location, "solver.c:212");
}

TEST_F(Fixture, LoadBalanceGainNeverExceedsTheWaitingMeasured) {
  models.load_balance = {stealing(0.95, 0.93, 0.97)};
  const auto made = recommend_load_balance(input(imbalanced(0.5)));
  ASSERT_EQ(made.size(), 1u);
  EXPECT_DOUBLE_EQ(made[0].gain.seconds, 0.5);
  EXPECT_DOUBLE_EQ(made[0].gain.ci_high_s, 0.5);
}

TEST_F(Fixture, LoadBalanceKeepAsIsWhenTheSchedulerMayNotBeatTheCurrentBalance) {
  // Current balance 8 / 10 = 0.8; the scheduler reaches 0.8 [0.7, 0.9]: the interval spans zero.
  models.load_balance = {stealing(0.8, 0.7, 0.9)};
  const auto made = recommend_load_balance(input(imbalanced(3)));
  ASSERT_EQ(made.size(), 1u);
  EXPECT_FALSE(made[0].gain.significant);
  EXPECT_LT(made[0].gain.ci_low_s, 0);
  EXPECT_NE(made[0].title.find("keep as is"), std::string::npos);
}

TEST_F(Fixture, LoadBalanceWithoutAModelIsNotSignificant) {
  const auto made = recommend_load_balance(input(imbalanced(3)));
  ASSERT_EQ(made.size(), 1u);
  EXPECT_FALSE(made[0].gain.significant);
  EXPECT_DOUBLE_EQ(made[0].gain.ci_low_s, 0);
  EXPECT_NE(made[0].parameters.at("note").find("load_balance.yaml"), std::string::npos);
}

TEST_F(Fixture, LoadBalanceNotDetected) {
  models.load_balance = {stealing(0.95, 0.93, 0.97)};
  EXPECT_TRUE(recommend_load_balance(input(imbalanced(3, 9.8, 9.9, 10))).empty());  // balanced
  auto no_wait = imbalanced(3);
  no_wait.callsites[0].wait.reset();  // imbalanced, but nobody waits at a collective
  EXPECT_TRUE(recommend_load_balance(input(no_wait)).empty());
  auto once = imbalanced(3);
  once.callsites[0].calls = 4;  // once per rank: not persistent
  EXPECT_TRUE(recommend_load_balance(input(once)).empty());
}

// ---- topology -----------------------------------------------------------------------------------------

// 4 ranks; 0-2 and 1-3 exchange 100 messages of 10 kB each way, 0-1 and 2-3 one message of 1 kB.
profile::Profile split_pairs(double wall_time_s) {
  profile::Profile profile = base_profile(4, wall_time_s);
  auto add = [&](int a, int b, std::uint64_t messages, std::uint64_t bytes) {
    profile.comm_matrix.pairs.push_back({.sender = a, .receiver = b, .messages = messages, .bytes = bytes});
    profile.comm_matrix.pairs.push_back({.sender = b, .receiver = a, .messages = messages, .bytes = bytes});
  };
  add(0, 2, 100, 1000000);
  add(1, 3, 100, 1000000);
  add(0, 1, 1, 1000);
  add(2, 3, 1, 1000);
  profile.comm_matrix.ranks = 4;
  profile.callsites.push_back(site(1, "MPI_Sendrecv", "p2p", 4, 404, 0.05));
  return profile;
}

LinkModel link(const char* name, double latency_s, double bytes_per_s) {
  return {.name = name,
          .source = "description test.yaml",
          .segments = {{0, latency_s, 1 / bytes_per_s}},
          .quality = {.method = "description (not fitted)"}};
}

void describe_two_nodes(HardwareModels& models) {
  models.source = "description test.yaml";
  models.nodes = 2;
  models.cores_per_node = 2;
  models.intra_node = link("intra-node", 1e-6, 10e9);
  models.inter_node = link("inter-node", 10e-6, 1e9);
}

TEST_F(Fixture, TopologyMovesHeavyPairsTogetherAndWritesTheRankfile) {
  describe_two_nodes(models);
  const auto made = recommend_topology(input(split_pairs(0.1)));
  ASSERT_EQ(made.size(), 1u);
  const Recommendation& r = made[0];
  EXPECT_EQ(r.technique, Technique::Topology);
  EXPECT_EQ(r.parameters.at("inter_node_bytes_before"), "4000000");
  EXPECT_EQ(r.parameters.at("inter_node_bytes_after"), "4000");
  EXPECT_EQ(r.parameters.at("inter_node_messages_after"), "4");
  // Rank 0's links: before 100 x (10 us + 10 kB / 1 GB/s) + 1 x (1 us + 1 kB / 10 GB/s),
  // after 100 x (1 us + 10 kB / 10 GB/s) + 1 x (10 us + 1 kB / 1 GB/s).
  const double before = 100 * (10e-6 + 1e4 / 1e9) + (1e-6 + 1e3 / 10e9);
  const double after = 100 * (1e-6 + 1e4 / 10e9) + (10e-6 + 1e3 / 1e9);
  EXPECT_NEAR(r.gain.seconds, before - after, 1e-12);
  EXPECT_NEAR(r.gain.ci_low_s, (before - after) * 0.75, 1e-12);  // a description: 25 % assumed
  EXPECT_TRUE(r.gain.significant);
  const std::string rankfile = read_text(files_dir / "placement.rankfile");
  EXPECT_NE(rankfile.find("rank 0=node0 slot=0\n"), std::string::npos) << rankfile;
  EXPECT_NE(rankfile.find("rank 2=node0 slot=1\n"), std::string::npos) << rankfile;
  EXPECT_NE(rankfile.find("rank 1=node1 slot=0\n"), std::string::npos) << rankfile;
  EXPECT_NE(rankfile.find("rank 3=node1 slot=1\n"), std::string::npos) << rankfile;
  EXPECT_NE(r.apply.summary.find("placeholders"), std::string::npos);
  EXPECT_EQ(read_text(files_dir / "placement.hydra-hosts")
                .substr(read_text(files_dir / "placement.hydra-hosts").find('\n') + 1),
            "node0:1\nnode1:1\nnode0:1\nnode1:1\n");
  EXPECT_NE(std::find(r.apply.launcher_args.begin(), r.apply.launcher_args.end(), "--map-by node"),
            r.apply.launcher_args.end());
}

TEST_F(Fixture, TopologyUsesDescribedHostNamesAndIsBoundedByTheP2pTime) {
  describe_two_nodes(models);
  models.hosts = {"alpha", "beta"};
  auto profile = split_pairs(0.1);
  profile.callsites[0].time_per_rank.max = 0.001;
  const auto made = recommend_topology(input(profile));
  ASSERT_EQ(made.size(), 1u);
  EXPECT_DOUBLE_EQ(made[0].gain.seconds, 0.001);
  EXPECT_EQ(made[0].apply.summary.find("placeholders"), std::string::npos);
  EXPECT_NE(read_text(files_dir / "placement.rankfile").find("rank 2=alpha slot=1"), std::string::npos);
}

TEST_F(Fixture, TopologyKeepAsIsWhenTheSavingIsTiny) {
  describe_two_nodes(models);
  const auto made = recommend_topology(input(split_pairs(100)));  // 1.8 ms of a 100 s run
  ASSERT_EQ(made.size(), 1u);
  EXPECT_FALSE(made[0].gain.significant);
  EXPECT_NE(made[0].title.find("keep as is"), std::string::npos);
}

TEST_F(Fixture, TopologyNotDetected) {
  describe_two_nodes(models);
  auto profile = split_pairs(0.1);
  // Heavy pairs 0-1 and 2-3: the launcher's blocks of 2 already keep them together.
  for (auto& pair : profile.comm_matrix.pairs) {
    if (pair.bytes < 1000000) continue;
    pair.receiver = pair.sender ^ 1;
  }
  EXPECT_TRUE(recommend_topology(input(profile)).empty());
  HardwareModels one_node;
  one_node.nodes = 1;
  one_node.cores_per_node = 4;
  EXPECT_TRUE(recommend_topology({split_pairs(0.1), signature, one_node, files_dir}).empty());
}

TEST_F(Fixture, TopologyCyclicPlacementAlreadyKeepsTheseHeavyPairsTogether) {
  describe_two_nodes(models);
  models.placement = "cyclic";  // ranks 0 and 2 on node 0, 1 and 3 on node 1
  EXPECT_TRUE(recommend_topology(input(split_pairs(0.1))).empty());
}

TEST_F(Fixture, TopologyTakesTheCurrentMappingFromTheHostsItRanOn) {
  describe_two_nodes(models);
  // Already placed well by hand: 0 and 2 on a, 1 and 3 on b. Nothing to gain.
  auto profile = split_pairs(0.1);
  for (int r = 0; r < 4; ++r) profile.per_rank[std::size_t(r)].host = r % 2 ? "b" : "a";
  EXPECT_TRUE(recommend_topology(input(profile)).empty());
}

// ---- runtime settings: eager limit ----------------------------------------------------------------------

// 2 ranks on one node; an MPI_Send site with 4000 messages of 4-8 KiB and 1000 of 64-127 bytes.
profile::Profile eager_profile(double wall_time_s, std::uint64_t low_bytes = 4096) {
  profile::Profile profile = base_profile(2, wall_time_s);
  auto send = site(1, "MPI_Send", "p2p", 2, 5000, 0.5);
  send.sizes.sent = {{.bin = 7, .min_bytes = 64, .max_bytes = 127, .count = 1000},
                     {.bin = 13, .min_bytes = low_bytes, .max_bytes = 2 * low_bytes - 1, .count = 4000}};
  profile.callsites.push_back(send);
  return profile;
}

TEST_F(Fixture, EagerLimitRaisedForMessagesJustAboveIt) {
  // The link model has its protocol breakpoint at 4 KiB: 0.2 us below, 2 us above.
  models.intra_node = LinkModel{.name = "shared memory",
                                .source = "database abc: 30 points",
                                .segments = {{0, 0.2e-6, 1e-10}, {4096, 2e-6, 1e-10}},
                                .quality = {.points = 30, .held_out = 30, .p90_abs_relative_error = 0.1}};
  const auto made = recommend_runtime_settings(input(eager_profile(0.1)));
  ASSERT_EQ(made.size(), 1u);
  const Recommendation& r = made[0];
  EXPECT_EQ(r.technique, Technique::RuntimeSettings);
  EXPECT_EQ(r.parameters.at("btl_vader_eager_limit"), "16384");
  // The 1.8 us jump over the model's time of a 6 KiB message, of the time the site measured for
  // its 4-8 KiB messages (0.5 s x 80 % of them).
  const double share = 1.8e-6 / (2e-6 + 6143 * 1e-10);
  EXPECT_NEAR(r.gain.seconds, 0.5 * 0.8 * share, 1e-12);
  EXPECT_NEAR(r.gain.ci_low_s, 0.5 * 0.8 * share * (1 - 0.1 * 1.96 / 1.645), 1e-12);  // p90 error 0.1 as 95 %
  EXPECT_TRUE(r.gain.significant);
  EXPECT_NEAR(r.gain.bound_s, 0.5 * 0.8, 1e-12);
  EXPECT_EQ(r.apply.environment, (std::vector<std::string>{"OMPI_MCA_btl_vader_eager_limit=16384"}));
  EXPECT_NE(read_text(files_dir / "eager_limit.tune").find("\n-mca btl_vader_eager_limit 16384\n"), std::string::npos);
}

TEST_F(Fixture, EagerLimitAlreadyRaisedInTheLaunchSettings) {
  models.launch_mca = {{"btl_vader_eager_limit", "16384"}};  // 4-8 KiB messages are eager already
  EXPECT_TRUE(recommend_runtime_settings(input(eager_profile(0.1))).empty());
  models.launch_mca = {{"btl_vader_eager_limit", "1024"}};  // lowered: 1-2 KiB messages are now above it
  const auto made = recommend_runtime_settings(input(eager_profile(0.1, 1024)));
  ASSERT_EQ(made.size(), 1u);
  EXPECT_EQ(made[0].parameters.at("btl_vader_eager_limit"), "4096");
}

TEST_F(Fixture, EagerLimitAcrossNodesIsTcpsAndKeepAsIsWithoutALinkModel) {
  auto profile = eager_profile(0.1, 65536);
  profile.per_rank[1].host = "other";
  const auto made = recommend_runtime_settings(input(profile));
  ASSERT_EQ(made.size(), 1u);
  EXPECT_EQ(made[0].parameters.at("btl_tcp_eager_limit"), "262144");
  EXPECT_FALSE(made[0].gain.significant);  // no inter-node model: the handshake cost is unknown
}

TEST_F(Fixture, EagerLimitNotDetected) {
  models.intra_node = link("shared memory", 1e-6, 10e9);
  EXPECT_TRUE(recommend_runtime_settings(input(eager_profile(0.1, 512))).empty());  // below the limit
  auto mpich = eager_profile(0.1);
  mpich.mpi_library =
      "MPICH Version:\t4.0.2\nMPICH Release date:\tThu Apr  7 12:34:45 CDT 2022\nMPICH Device:\tch4:ucx\n";
  EXPECT_TRUE(recommend_runtime_settings(input(mpich)).empty());  // UCX decides: no CVAR of ours
  auto ch3 = eager_profile(0.1, 131072);
  ch3.mpi_library = "MPICH Version:\t4.0.2\nMPICH Device:\tch3:nemesis\n";
  const auto made = recommend_runtime_settings(input(ch3));
  ASSERT_EQ(made.size(), 1u);
  EXPECT_EQ(made[0].apply.environment, (std::vector<std::string>{"MPIR_CVAR_CH3_EAGER_MAX_MSG_SIZE=524288"}));
}

// ---- runtime settings: collective algorithms --------------------------------------------------------------

CollectiveAlgorithmModel allreduce(const char* mpi, const char* algorithm, int id, double median_us, double low_us,
                                   double high_us) {
  return {.collective = "allreduce",
          .mpi = mpi,
          .algorithm = algorithm,
          .algorithm_id = id,
          .comm_size = 4,
          .message_bytes = 8192,
          .median_s = median_us * 1e-6,
          .ci_low_s = low_us * 1e-6,
          .ci_high_s = high_us * 1e-6,
          .samples = 20,
          .source = "database abc point 7"};
}

// 4 ranks, 1000 MPI_Allreduce of 8 KiB per rank.
profile::Profile allreduce_profile(double wall_time_s) {
  profile::Profile profile = base_profile(4, wall_time_s);
  auto call = site(1, "MPI_Allreduce", "collective", 4, 4000, 0.3);
  call.bytes_sent = 4000 * 8192;
  call.bytes_received = 4000 * 8192;
  profile.callsites.push_back(call);
  return profile;
}

TEST_F(Fixture, CollectiveAlgorithmFromMeasurementsWithARulesFileOpenMpiReads) {
  models.collectives = {allreduce("openmpi", "default", 0, 20, 19, 21), allreduce("openmpi", "ring", 4, 10, 9, 11),
                        allreduce("openmpi", "recursive_doubling", 3, 15, 14, 16)};
  const auto made = recommend_runtime_settings(input(allreduce_profile(0.5)));
  ASSERT_EQ(made.size(), 1u);
  const Recommendation& r = made[0];
  EXPECT_EQ(r.technique, Technique::CollectiveAlgorithm);
  EXPECT_EQ(r.parameters.at("algorithm"), "ring");
  EXPECT_EQ(r.parameters.at("ompi_algorithm_id"), "4");
  EXPECT_NEAR(r.gain.seconds, 1000 * 10e-6, 1e-12);
  EXPECT_NEAR(r.gain.ci_low_s, 1000 * 8e-6, 1e-12);
  EXPECT_TRUE(r.gain.significant);
  const OmpiRules rules = read_ompi_rules(files_dir / "coll_tuned_rules.conf");
  EXPECT_EQ(ompi_rules_lookup(rules, 2, 4, 8192), 4);
  EXPECT_NE(
      std::find(r.apply.launcher_args.begin(), r.apply.launcher_args.end(), "--mca coll_tuned_use_dynamic_rules 1"),
      r.apply.launcher_args.end());
}

TEST_F(Fixture, CollectiveAlgorithmKeepAsIsAndBounded) {
  models.collectives = {allreduce("openmpi", "default", 0, 20, 19, 21), allreduce("openmpi", "ring", 4, 15, 9, 25)};
  auto made = recommend_runtime_settings(input(allreduce_profile(0.5)));
  ASSERT_EQ(made.size(), 1u);
  EXPECT_FALSE(made[0].gain.significant);
  EXPECT_NE(made[0].title.find("keep as is"), std::string::npos);
  models.collectives = {allreduce("openmpi", "default", 0, 2000, 1900, 2100),
                        allreduce("openmpi", "ring", 4, 10, 9, 11)};
  made = recommend_runtime_settings(input(allreduce_profile(0.5)));
  ASSERT_EQ(made.size(), 1u);
  EXPECT_DOUBLE_EQ(made[0].gain.seconds, 0.3);  // the time at the site
}

TEST_F(Fixture, CollectiveAlgorithmForMpichIsAnEnvironmentVariable) {
  models.collectives = {allreduce("mpich", "default", 0, 20, 19, 21), allreduce("mpich", "smp", 0, 10, 9, 11),
                        allreduce("openmpi", "basic_linear", 1, 1, 1, 1)};
  auto profile = allreduce_profile(0.5);
  profile.mpi_library = "MPICH Version:\t4.0.2\nMPICH Device:\tch4:ucx\n";
  const auto made = recommend_runtime_settings(input(profile));
  ASSERT_EQ(made.size(), 1u);
  EXPECT_EQ(made[0].apply.environment, (std::vector<std::string>{"MPIR_CVAR_ALLREDUCE_INTRA_ALGORITHM=smp"}));
  EXPECT_FALSE(std::filesystem::exists(files_dir / "coll_tuned_rules.conf"));
}

TEST_F(Fixture, CollectiveAlgorithmNotDetected) {
  // Measured at another communicator size, or far from the site's message size, or the default wins.
  models.collectives = {allreduce("openmpi", "default", 0, 20, 19, 21), allreduce("openmpi", "ring", 4, 10, 9, 11)};
  for (auto& model : models.collectives) model.comm_size = 8;
  EXPECT_TRUE(recommend_runtime_settings(input(allreduce_profile(0.5))).empty());
  for (auto& model : models.collectives) {
    model.comm_size = 4;
    model.message_bytes = 65536;
  }
  EXPECT_TRUE(recommend_runtime_settings(input(allreduce_profile(0.5))).empty());
  models.collectives = {allreduce("openmpi", "default", 0, 10, 9, 11), allreduce("openmpi", "ring", 4, 20, 19, 21)};
  EXPECT_TRUE(recommend_runtime_settings(input(allreduce_profile(0.5))).empty());
}

TEST_F(Fixture, TheRulesAreInTheList) {
  describe_two_nodes(models);
  models.load_balance = {stealing(0.95, 0.93, 0.97)};
  auto profile = split_pairs(0.1);
  const auto all = recommend(input(profile));
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all[0].technique, Technique::Topology);
  EXPECT_EQ(all[0].rank, 1);
}

}  // namespace
}  // namespace commtune::analysis
