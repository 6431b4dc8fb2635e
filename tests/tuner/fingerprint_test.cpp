// Hardware fingerprints (tuner/fingerprint.hpp) on synthetic hwloc machines and hand-written
// launch settings: what is read, what makes two ids differ, and what does not.
#include "commtune/tuner/fingerprint.hpp"

#include <gtest/gtest.h>

namespace commtune::tuner {
namespace {

const char* const kTwoSocketMachine = "pack:2 numa:1(memory=8GB) l3:1(size=16MB) core:4 l2:1(size=1MB) pu:2";

HardwareFingerprint open_mpi_fingerprint(const std::vector<std::string>& launcher_args) {
  HardwareFingerprint fingerprint;
  fingerprint.topology = synthetic_topology(kTwoSocketMachine);
  fingerprint.mpi = parse_mpi_library("Open MPI v4.1.4, package: Debian OpenMPI, ident: 4.1.4, repo rev: v4.1.4");
  fingerprint.launch =
      collect_launch_settings({"HOME=/root", "OMPI_MCA_pml=ob1", "OMPI_ALLOW_RUN_AS_ROOT=1"}, launcher_args);
  fingerprint.launch.nodes = 1;
  fingerprint.launch.ranks_per_node = 4;
  return fingerprint;
}

TEST(Topology, ReadsASyntheticMachine) {
  const HardwareTopology topology = synthetic_topology(kTwoSocketMachine);
  EXPECT_EQ(topology.sockets, 2);
  EXPECT_EQ(topology.numa_nodes, 2);
  EXPECT_EQ(topology.cores, 8);
  EXPECT_EQ(topology.pus, 16);
  EXPECT_EQ(topology.memory_bytes, 2 * 8ULL * 1000 * 1000 * 1000);  // hwloc's "GB" is decimal
  ASSERT_EQ(topology.caches.size(), 2u);
  EXPECT_EQ(topology.caches[0].name, "L2");
  EXPECT_EQ(topology.caches[0].count, 8);
  EXPECT_EQ(topology.caches[0].size_bytes, 1000u * 1000);
  EXPECT_EQ(topology.caches[1].name, "L3");
  EXPECT_EQ(topology.caches[1].count, 2);
  EXPECT_THROW(synthetic_topology("pack:2 nonsense:3"), std::invalid_argument);
}

TEST(Topology, DetectsThisMachine) {
  const HardwareTopology topology = detect_topology();
  EXPECT_GE(topology.sockets, 1);
  EXPECT_GE(topology.cores, topology.sockets);
  EXPECT_GE(topology.pus, topology.cores);
  EXPECT_GT(topology.memory_bytes, 0u);
}

TEST(MpiLibrary, ParsesOpenMpiAndMpich) {
  const MpiLibrary open_mpi = parse_mpi_library("Open MPI v4.1.4, package: Debian OpenMPI, ident: 4.1.4");
  EXPECT_EQ(open_mpi.implementation, "Open MPI");
  EXPECT_EQ(open_mpi.version, "4.1.4");
  EXPECT_EQ(open_mpi.device, "");
  const MpiLibrary mpich = parse_mpi_library(
      "MPICH Version:    \t4.0.2\nMPICH Release date:\tThu Apr  7 12:34:45 CDT 2022\nMPICH Device:    \tch4:ucx\n");
  EXPECT_EQ(mpich.implementation, "MPICH");
  EXPECT_EQ(mpich.version, "4.0.2");
  EXPECT_EQ(mpich.device, "ch4:ucx");
  EXPECT_EQ(parse_mpi_library("Intel(R) MPI Library 2021.6\nmore").implementation, "Intel(R) MPI Library 2021.6");
}

TEST(LaunchSettings, LauncherOptionsWinOverTheEnvironment) {
  const LaunchSettings settings = collect_launch_settings(
      {"OMPI_MCA_btl=tcp,self", "MPIR_CVAR_CH4_NETMOD=ofi", "PATH=/usr/bin", "UCX_TLS=sm"},
      {"mpirun", "--mca", "btl", "vader,self", "-np", "4", "-x", "OMPI_MCA_coll_tuned_use_dynamic_rules=1", "-genv",
       "MPIR_CVAR_BCAST_INTRA_ALGORITHM", "binomial"});
  EXPECT_EQ(settings.mca.at("btl"), "vader,self");
  EXPECT_EQ(settings.mca.at("coll_tuned_use_dynamic_rules"), "1");
  EXPECT_EQ(settings.environment.at("MPIR_CVAR_CH4_NETMOD"), "ofi");
  EXPECT_EQ(settings.environment.at("MPIR_CVAR_BCAST_INTRA_ALGORITHM"), "binomial");
  EXPECT_EQ(settings.environment.at("UCX_TLS"), "sm");
  EXPECT_EQ(settings.environment.count("PATH"), 0u);
  EXPECT_EQ(describe_transport(parse_mpi_library("Open MPI v4.1.4"), settings),
            "btl=vader,self MPIR_CVAR_CH4_NETMOD=ofi UCX_TLS=sm");
  EXPECT_EQ(describe_transport(MpiLibrary{}, LaunchSettings{}), "default");
}

TEST(Fingerprint, IdenticalInputsGiveIdenticalIds) {
  const HardwareFingerprint a = open_mpi_fingerprint({"--mca", "btl", "vader,self"});
  const HardwareFingerprint b = open_mpi_fingerprint({"--mca", "btl", "vader,self"});
  EXPECT_EQ(a.id(), b.id());
  EXPECT_EQ(a.id().size(), 16u);
}

TEST(Fingerprint, OnlyTheBtlDiffersAndTheIdsDiffer) {
  const HardwareFingerprint shared_memory = open_mpi_fingerprint({"--mca", "btl", "vader,self"});
  const HardwareFingerprint tcp = open_mpi_fingerprint({"--mca", "btl", "tcp,self"});
  EXPECT_NE(shared_memory.id(), tcp.id());
  EXPECT_EQ(shared_memory.identity()["launch"]["transport"], "pml=ob1 btl=vader,self");
}

TEST(Fingerprint, CalibrationAndRanksPerNodeAreStoredButNotIdentifying) {
  HardwareFingerprint a = open_mpi_fingerprint({});
  HardwareFingerprint b = a;
  a.calibration = {.points = {{8, 100, 1.2, 6.5}, {1 << 20, 20, 310.0, 3380}}, .ranks = 2, .peer_rank = 1};
  b.calibration = {.points = {{8, 90, 1.5, 5.3}}, .ranks = 4, .peer_rank = 2, .same_node = false};
  EXPECT_EQ(a.id(), b.id());
  b.launch.ranks_per_node = 2;
  EXPECT_EQ(a.id(), b.id());  // how many ranks a launch put on a node is no property of the machine
  b.launch.nodes = 2;
  EXPECT_NE(a.id(), b.id());
  HardwareFingerprint other_machine = a;
  other_machine.topology = synthetic_topology("pack:1 numa:1(memory=8GB) core:8 pu:2");
  EXPECT_NE(a.id(), other_machine.id());
}

TEST(Fingerprint, JsonRoundTripKeepsTheIdAndTheCalibration) {
  HardwareFingerprint original = open_mpi_fingerprint({"--mca", "btl", "tcp,self"});
  original.calibration = {
      .points = {{8, 200, 1.25, 6.4}, {4096, 150, 2.5, 1638.4}}, .ranks = 4, .peer_rank = 2, .same_node = false};
  const std::string id_without_calibration =
      HardwareFingerprint{original.topology, original.mpi, original.launch, {}}.id();
  EXPECT_EQ(original.id(), id_without_calibration);
  const nlohmann::json document = original.to_json();
  EXPECT_EQ(document["schema"], kHardwareSchema);
  EXPECT_EQ(document["id"], original.id());
  EXPECT_EQ(document["calibration"]["points"].size(), 2u);
  const HardwareFingerprint restored = HardwareFingerprint::from_json(nlohmann::json::parse(document.dump()));
  EXPECT_EQ(restored.id(), original.id());
  ASSERT_EQ(restored.calibration.points.size(), 2u);
  EXPECT_EQ(restored.calibration.points[1].message_bytes, 4096u);
  EXPECT_EQ(restored.calibration.points[1].round_trips, 150);
  EXPECT_DOUBLE_EQ(restored.calibration.points[0].latency_us, 1.25);
  EXPECT_DOUBLE_EQ(restored.calibration.points[1].bandwidth_mb_per_s, 1638.4);
  EXPECT_EQ(restored.calibration.ranks, 4);
  EXPECT_EQ(restored.calibration.peer_rank, 2);
  EXPECT_FALSE(restored.calibration.same_node);
  // Without a calibration the member is null and comes back empty.
  const nlohmann::json bare = HardwareFingerprint{original.topology, original.mpi, original.launch, {}}.to_json();
  EXPECT_TRUE(bare["calibration"].is_null());
  EXPECT_TRUE(HardwareFingerprint::from_json(bare).calibration.empty());
  EXPECT_EQ(bare["id"], document["id"]);
  nlohmann::json broken = document;
  broken["topology"].erase("cores");
  try {
    HardwareFingerprint::from_json(broken);
    FAIL() << "a fingerprint without topology.cores was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("'cores'"), std::string::npos) << e.what();
  }
  broken = document;
  broken["calibration"]["points"][0].erase("latency_us");
  EXPECT_THROW(HardwareFingerprint::from_json(broken), std::invalid_argument);
  broken = document;
  broken["schema"] = "commtune.hardware/99";
  EXPECT_THROW(HardwareFingerprint::from_json(broken), std::invalid_argument);
}

}  // namespace
}  // namespace commtune::tuner
