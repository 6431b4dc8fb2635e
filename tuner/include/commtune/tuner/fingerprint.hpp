// The hardware fingerprint that keys the results database: what the machine is (hwloc topology,
// memory), which MPI runs on it and how (library, transport, MCA / CVAR settings in force, nodes,
// ranks per node). Its id is a hash of the canonical JSON of those identifying fields, so two runs
// that differ in any of them (say only the btl) never share results. A short calibration
// (latency, bandwidth) is stored with it but is not part of the id: it is a measurement, noisy
// from run to run, not an identity.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace commtune::tuner {

inline constexpr const char* kHardwareSchema = "commtune.hardware/1";

struct CacheLevel {
  std::string name;              // "L1d", "L1i", "L2", "L3" ("d" data, "i" instruction; unified has no suffix)
  std::uint64_t size_bytes = 0;  // of one cache of this level
  int count = 0;                 // caches of this level in the machine
};

struct HardwareTopology {
  std::string cpu_model;  // hwloc's CPUModel of the first package; empty when unknown (synthetic)
  int sockets = 0;        // hwloc packages
  int cores = 0;
  int pus = 0;  // hardware threads
  int numa_nodes = 0;
  std::vector<CacheLevel> caches;  // ordered by level, data before instruction
  std::uint64_t memory_bytes = 0;  // total of the NUMA nodes
};

// The machine this process runs on (one node; nodes of a job are assumed alike).
HardwareTopology detect_topology();
// A machine described in hwloc's synthetic syntax, e.g.
// "pack:2 numa:1(memory=16GB) l3:1(size=32MB) core:8 l1d:1(size=32KB) pu:2". Throws
// std::invalid_argument naming the description when hwloc rejects it.
HardwareTopology synthetic_topology(const std::string& description);

struct MpiLibrary {
  std::string implementation;  // "Open MPI", "MPICH", or the first words of an unknown library
  std::string version;         // "4.1.4"
  std::string device;          // MPICH's device ("ch4:ucx"); empty for Open MPI
};

// Parses what MPI_Get_library_version() returns (the kernel runner reports it as "mpi_library"),
// or the output of `ompi_info --version` / `mpichversion`, which have the same leading lines. The
// caller passes the text so the tuner itself never initialises MPI; the runner's string is the
// better source because it names the library the ranks actually loaded, not the first one on PATH.
MpiLibrary parse_mpi_library(const std::string& text);

// The MPI settings in force for a launch: environment variables of the prefixes in
// kSettingPrefixes, then the launcher's own options (`--mca name value`, `-x NAME=value`,
// `-genv NAME value`), which win over the environment as they do in mpirun.
struct LaunchSettings {
  std::map<std::string, std::string> mca;          // Open MPI parameter name (no prefix) -> value
  std::map<std::string, std::string> environment;  // other variables (MPIR_CVAR_*, UCX_*, FI_*) -> value
  int nodes = 1;                                   // identifying: one node has no inter-node link
  int ranks_per_node = 1;  // recorded, not identifying: a run's rank count is no property of the machine,
                           // and a profile must meet the sweeps of its machine whatever their rank counts
  std::string transport;   // set by the caller, or describe_transport() when empty
};
inline constexpr const char* kSettingPrefixes[] = {"OMPI_MCA_", "MPIR_CVAR_", "UCX_", "FI_"};

// `environment` holds "NAME=value" strings (see current_environment()); `launcher_args` are the
// launcher words before the program ("mpirun --mca btl tcp,self -np 4").
LaunchSettings collect_launch_settings(const std::vector<std::string>& environment,
                                       const std::vector<std::string>& launcher_args);
std::vector<std::string> current_environment();  // this process's environ

// "pml=ob1 btl=vader,self" for Open MPI (the selection parameters that are set, "default" for
// none); "ch4:ucx netmod=..." for MPICH, from the device and the CVARs / provider variables.
std::string describe_transport(const MpiLibrary& mpi, const LaunchSettings& settings);

// A short ping-pong between two ranks at a few message sizes (commtune-sweep-driver --calibrate,
// file format in driver_protocol.hpp). Stored with the fingerprint but NOT part of its id: it is a
// noisy measurement, and hashing it would split one machine into many in the results database.
struct CalibrationPoint {
  std::uint64_t message_bytes = 0;
  int round_trips = 0;            // timed round trips behind the median
  double latency_us = 0;          // median one-way time: half a round trip
  double bandwidth_mb_per_s = 0;  // message_bytes / latency_us (MB = 10^6 bytes); 0 for empty messages
};

struct Calibration {
  std::vector<CalibrationPoint> points;  // by increasing message size; empty when not measured
  int ranks = 0;                         // of the launch that measured it
  int peer_rank = 0;                     // rank 0's partner: the first rank on another node, else rank 1
  bool same_node = true;                 // whether rank 0 and its partner share a node
  bool empty() const { return points.empty(); }

  nlohmann::json to_json() const;  // {points: [...], ranks, peer_rank, same_node}
  // Throws std::invalid_argument naming the missing or mistyped key.
  static Calibration from_json(const nlohmann::json& object);
};

struct HardwareFingerprint {
  HardwareTopology topology;
  MpiLibrary mpi;
  LaunchSettings launch;
  Calibration calibration;  // stored, not identifying (see Calibration)

  nlohmann::json identity() const;  // the identifying fields; keys sorted, so dump() is canonical
  std::string id() const;           // 16 hex digits: FNV-1a 64 of identity().dump()
  nlohmann::json to_json() const;   // {schema, id, identity fields, calibration (null when empty)}
  // Throws std::invalid_argument naming the missing or mistyped key, or a schema mismatch.
  static HardwareFingerprint from_json(const nlohmann::json& document);
};

}  // namespace commtune::tuner
