#include "commtune/tuner/fingerprint.hpp"

#include <fmt/format.h>
#include <hwloc.h>

#include <algorithm>
#include <memory>
#include <regex>
#include <stdexcept>

#include "commtune/kernels/measure.hpp"

extern char** environ;

namespace commtune::tuner {
namespace {

using Topology = std::unique_ptr<hwloc_topology, decltype(&hwloc_topology_destroy)>;

Topology new_topology() {
  hwloc_topology_t raw = nullptr;
  if (hwloc_topology_init(&raw) != 0) throw std::runtime_error("hwloc_topology_init failed");
  return Topology(raw, &hwloc_topology_destroy);
}

std::string cache_name(const hwloc_obj_attr_u::hwloc_cache_attr_s& cache) {
  std::string name = fmt::format("L{}", cache.depth);
  if (cache.type == HWLOC_OBJ_CACHE_DATA) name += "d";
  if (cache.type == HWLOC_OBJ_CACHE_INSTRUCTION) name += "i";
  return name;
}

HardwareTopology read_topology(hwloc_topology_t topology) {
  HardwareTopology result;
  result.sockets = hwloc_get_nbobjs_by_type(topology, HWLOC_OBJ_PACKAGE);
  result.cores = hwloc_get_nbobjs_by_type(topology, HWLOC_OBJ_CORE);
  result.pus = hwloc_get_nbobjs_by_type(topology, HWLOC_OBJ_PU);
  result.numa_nodes = hwloc_get_nbobjs_by_type(topology, HWLOC_OBJ_NUMANODE);
  result.memory_bytes = hwloc_get_root_obj(topology)->total_memory;
  if (hwloc_obj_t package = hwloc_get_obj_by_type(topology, HWLOC_OBJ_PACKAGE, 0)) {
    if (const char* model = hwloc_obj_get_info_by_name(package, "CPUModel")) result.cpu_model = model;
  }
  const hwloc_obj_type_t cache_types[] = {HWLOC_OBJ_L1CACHE, HWLOC_OBJ_L1ICACHE, HWLOC_OBJ_L2CACHE, HWLOC_OBJ_L2ICACHE,
                                          HWLOC_OBJ_L3CACHE, HWLOC_OBJ_L3ICACHE, HWLOC_OBJ_L4CACHE, HWLOC_OBJ_L5CACHE};
  for (hwloc_obj_type_t type : cache_types) {
    const int count = hwloc_get_nbobjs_by_type(topology, type);
    if (count <= 0) continue;
    const hwloc_obj_t first = hwloc_get_obj_by_type(topology, type, 0);
    result.caches.push_back({cache_name(first->attr->cache), first->attr->cache.size, count});
  }
  return result;
}

std::string value_after(const std::string& text, const std::regex& pattern) {
  std::smatch match;
  return std::regex_search(text, match, pattern) ? match[1].str() : "";
}

// Stores NAME=value in the MCA map (OMPI_MCA_ names) or the environment map (other prefixes);
// ignores names of no setting prefix.
void store_setting(LaunchSettings& settings, const std::string& name, const std::string& value) {
  const std::string mca_prefix = "OMPI_MCA_";
  if (name.starts_with(mca_prefix)) {
    settings.mca[name.substr(mca_prefix.size())] = value;
    return;
  }
  for (const char* prefix : kSettingPrefixes) {
    if (name.starts_with(prefix)) settings.environment[name] = value;
  }
}

void store_assignment(LaunchSettings& settings, const std::string& assignment) {
  const auto equals = assignment.find('=');
  if (equals == std::string::npos || equals == 0) return;
  store_setting(settings, assignment.substr(0, equals), assignment.substr(equals + 1));
}

nlohmann::json topology_json(const HardwareTopology& topology) {
  nlohmann::json caches = nlohmann::json::array();
  for (const CacheLevel& cache : topology.caches) {
    caches.push_back({{"name", cache.name}, {"size_bytes", cache.size_bytes}, {"count", cache.count}});
  }
  return {{"cpu_model", topology.cpu_model},
          {"sockets", topology.sockets},
          {"cores", topology.cores},
          {"pus", topology.pus},
          {"numa_nodes", topology.numa_nodes},
          {"caches", caches},
          {"memory_bytes", topology.memory_bytes}};
}

template <typename T>
T required(const nlohmann::json& object, const char* key, const char* where) {
  if (!object.is_object() || !object.contains(key)) {
    throw std::invalid_argument(fmt::format("hardware fingerprint: '{}' has no key '{}'", where, key));
  }
  try {
    return object.at(key).get<T>();
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(
        fmt::format("hardware fingerprint: '{}.{}' has the wrong type: {}", where, key, e.what()));
  }
}

}  // namespace

HardwareTopology detect_topology() {
  Topology topology = new_topology();
  if (hwloc_topology_load(topology.get()) != 0)
    throw std::runtime_error("hwloc could not load this machine's topology");
  return read_topology(topology.get());
}

HardwareTopology synthetic_topology(const std::string& description) {
  Topology topology = new_topology();
  if (hwloc_topology_set_synthetic(topology.get(), description.c_str()) != 0) {
    throw std::invalid_argument(fmt::format("hwloc rejects the synthetic topology '{}'", description));
  }
  if (hwloc_topology_load(topology.get()) != 0) {
    throw std::invalid_argument(fmt::format("hwloc could not load the synthetic topology '{}'", description));
  }
  return read_topology(topology.get());
}

MpiLibrary parse_mpi_library(const std::string& text) {
  MpiLibrary library;
  if (std::string version = value_after(text, std::regex(R"(Open MPI v(\d+(?:\.\d+)*))")); !version.empty()) {
    library.implementation = "Open MPI";
    library.version = version;
  } else if (version = value_after(text, std::regex(R"(MPICH Version:\s*(\S+))")); !version.empty()) {
    library.implementation = "MPICH";
    library.version = version;
    library.device = value_after(text, std::regex(R"(MPICH Device:\s*(\S+))"));
  } else {
    // Unknown library: keep its first line, which usually names it and its version.
    library.implementation = text.substr(0, text.find('\n'));
  }
  return library;
}

LaunchSettings collect_launch_settings(const std::vector<std::string>& environment,
                                       const std::vector<std::string>& launcher_args) {
  LaunchSettings settings;
  for (const std::string& assignment : environment) store_assignment(settings, assignment);
  const auto& args = launcher_args;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& word = args[i];
    const bool has_one = i + 1 < args.size(), has_two = i + 2 < args.size();
    if ((word == "--mca" || word == "-mca" || word == "--gmca" || word == "-gmca") && has_two) {
      settings.mca[args[i + 1]] = args[i + 2];
      i += 2;
    } else if (word == "-x" && has_one) {
      // "-x NAME=value" sets it; "-x NAME" forwards the launcher's own value, already collected.
      store_assignment(settings, args[++i]);
    } else if ((word == "-genv" || word == "-env") && has_two) {
      store_setting(settings, args[i + 1], args[i + 2]);
      i += 2;
    }
  }
  return settings;
}

std::vector<std::string> current_environment() {
  std::vector<std::string> variables;
  for (char** entry = environ; entry && *entry; ++entry) variables.emplace_back(*entry);
  return variables;
}

std::string describe_transport(const MpiLibrary& mpi, const LaunchSettings& settings) {
  std::vector<std::string> parts;
  if (!mpi.device.empty()) parts.push_back(mpi.device);
  for (const char* name : {"pml", "btl", "mtl", "osc"}) {
    if (auto it = settings.mca.find(name); it != settings.mca.end())
      parts.push_back(fmt::format("{}={}", name, it->second));
  }
  for (const char* name : {"MPIR_CVAR_CH4_NETMOD", "MPIR_CVAR_NEMESIS_NETMOD", "UCX_TLS", "FI_PROVIDER"}) {
    if (auto it = settings.environment.find(name); it != settings.environment.end()) {
      parts.push_back(fmt::format("{}={}", name, it->second));
    }
  }
  if (parts.empty()) return "default";
  return fmt::format("{}", fmt::join(parts, " "));
}

nlohmann::json HardwareFingerprint::identity() const {
  const std::string transport = launch.transport.empty() ? describe_transport(mpi, launch) : launch.transport;
  return {
      {"topology", topology_json(topology)},
      {"mpi", {{"implementation", mpi.implementation}, {"version", mpi.version}, {"device", mpi.device}}},
      {"launch",
       {{"mca", launch.mca}, {"environment", launch.environment}, {"nodes", launch.nodes}, {"transport", transport}}}};
}

std::string HardwareFingerprint::id() const {
  const std::string canonical = identity().dump();
  kernels::Checksum checksum;
  checksum.add(canonical.data(), canonical.size());
  return kernels::to_hex(checksum.value());
}

nlohmann::json Calibration::to_json() const {
  nlohmann::json list = nlohmann::json::array();
  for (const CalibrationPoint& point : points) {
    list.push_back({{"message_bytes", point.message_bytes},
                    {"round_trips", point.round_trips},
                    {"latency_us", point.latency_us},
                    {"bandwidth_mb_per_s", point.bandwidth_mb_per_s}});
  }
  return {{"points", std::move(list)}, {"ranks", ranks}, {"peer_rank", peer_rank}, {"same_node", same_node}};
}

Calibration Calibration::from_json(const nlohmann::json& object) {
  Calibration calibration;
  calibration.ranks = required<int>(object, "ranks", "calibration");
  calibration.peer_rank = required<int>(object, "peer_rank", "calibration");
  calibration.same_node = required<bool>(object, "same_node", "calibration");
  for (const nlohmann::json& point : required<nlohmann::json>(object, "points", "calibration")) {
    calibration.points.push_back(
        {.message_bytes = required<std::uint64_t>(point, "message_bytes", "calibration.points[]"),
         .round_trips = required<int>(point, "round_trips", "calibration.points[]"),
         .latency_us = required<double>(point, "latency_us", "calibration.points[]"),
         .bandwidth_mb_per_s = required<double>(point, "bandwidth_mb_per_s", "calibration.points[]")});
  }
  return calibration;
}

nlohmann::json HardwareFingerprint::to_json() const {
  nlohmann::json document = identity();
  document["schema"] = kHardwareSchema;
  document["id"] = id();
  document["launch"]["ranks_per_node"] = launch.ranks_per_node;  // recorded, not identifying
  document["calibration"] = calibration.empty() ? nlohmann::json(nullptr) : calibration.to_json();
  return document;
}

HardwareFingerprint HardwareFingerprint::from_json(const nlohmann::json& document) {
  const auto schema = required<std::string>(document, "schema", "document");
  if (schema != kHardwareSchema) {
    throw std::invalid_argument(fmt::format("hardware fingerprint: schema '{}' is not the one this commtune reads ({})",
                                            schema, kHardwareSchema));
  }
  HardwareFingerprint fingerprint;
  const nlohmann::json& topology = document.at("topology");
  HardwareTopology& t = fingerprint.topology;
  t.cpu_model = required<std::string>(topology, "cpu_model", "topology");
  t.sockets = required<int>(topology, "sockets", "topology");
  t.cores = required<int>(topology, "cores", "topology");
  t.pus = required<int>(topology, "pus", "topology");
  t.numa_nodes = required<int>(topology, "numa_nodes", "topology");
  t.memory_bytes = required<std::uint64_t>(topology, "memory_bytes", "topology");
  for (const nlohmann::json& cache : required<nlohmann::json>(topology, "caches", "topology")) {
    t.caches.push_back({required<std::string>(cache, "name", "topology.caches[]"),
                        required<std::uint64_t>(cache, "size_bytes", "topology.caches[]"),
                        required<int>(cache, "count", "topology.caches[]")});
  }
  const auto mpi = required<nlohmann::json>(document, "mpi", "document");
  fingerprint.mpi = {required<std::string>(mpi, "implementation", "mpi"), required<std::string>(mpi, "version", "mpi"),
                     required<std::string>(mpi, "device", "mpi")};
  const auto launch = required<nlohmann::json>(document, "launch", "document");
  fingerprint.launch.mca = required<std::map<std::string, std::string>>(launch, "mca", "launch");
  fingerprint.launch.environment = required<std::map<std::string, std::string>>(launch, "environment", "launch");
  fingerprint.launch.nodes = required<int>(launch, "nodes", "launch");
  fingerprint.launch.ranks_per_node = required<int>(launch, "ranks_per_node", "launch");
  fingerprint.launch.transport = required<std::string>(launch, "transport", "launch");
  if (const auto it = document.find("calibration"); it != document.end() && !it->is_null()) {
    fingerprint.calibration = Calibration::from_json(*it);
  }
  return fingerprint;
}

}  // namespace commtune::tuner
