// Hardware models: what communication and its alternatives cost on one machine, fitted (Eigen)
// from the results database's points for one hardware fingerprint, or taken from a hardware
// description (a YAML file: nodes x cores, intra- and inter-node latency and bandwidth) to answer
// "what if this ran on cluster X". Plain values with their evaluation inline, so that the rules in
// recommend.hpp are tested with models written by hand.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "commtune/analysis/signature.hpp"

namespace commtune::tuner {
class ResultsDb;
}

namespace commtune::analysis {

// How well a fit predicts points it was not fitted on (k-fold or leave-one-out, say which).
struct FitQuality {
  int points = 0;    // points the final fit used
  int held_out = 0;  // predictions made on held-out points
  double median_abs_relative_error = 0;
  double p90_abs_relative_error = 0;
  std::string method;  // "leave-one-out", "5-fold", "description (not fitted)"
};

// One segment of a piecewise latency-bandwidth (Hockney) model: from `from_bytes` on, one message
// takes latency_s + bytes * seconds_per_byte.
struct LinkSegment {
  std::uint64_t from_bytes = 0;
  double latency_s = 0;
  double seconds_per_byte = 0;
};

// One message of `bytes` between two ranks over one kind of link. Segments are split at protocol
// breakpoints (eager / rendezvous) found in the data, not assumed.
struct LinkModel {
  std::string name;                   // "shared memory", "tcp", "intra-node", "inter-node"
  std::string source;                 // "database <hardware id>: 31 points of kernel nonblocking", "description FILE"
  std::vector<LinkSegment> segments;  // by from_bytes; the first starts at 0
  FitQuality quality;
  std::uint64_t measured_up_to_bytes = 0;  // the largest size measured; 0 for a description

  double seconds(std::uint64_t bytes) const {
    if (segments.empty()) return 0;
    const LinkSegment* use = &segments.front();
    for (const auto& segment : segments)
      if (segment.from_bytes <= bytes) use = &segment;
    return use->latency_s + double(bytes) * use->seconds_per_byte;
  }
  // Asymptotic bandwidth of the last segment.
  double bandwidth_bytes_per_s() const {
    return segments.empty() || segments.back().seconds_per_byte <= 0 ? 0 : 1.0 / segments.back().seconds_per_byte;
  }
};

// A compressor on this machine for one kind of data: throughput in bytes of input per second.
struct CodecModel {
  std::string codec;      // lz4, zstd, zlib
  int level = 0;          // 0: the codec's default
  std::string data_kind;  // the batching kernel's `data`: random, smooth, ids, file
  double compress_bytes_per_s = 0;
  double decompress_bytes_per_s = 0;
  double ratio = 1;  // input bytes / compressed bytes
  int points = 0;
  FitQuality quality;
};

// How much of a nonblocking operation's time the overlap kernel hid behind computation.
struct OverlapModel {
  std::string operation;  // p2p, ibcast, iallreduce
  std::uint64_t message_bytes = 0;
  double achievable_fraction = 0;  // 0..1 of the shorter of computation and communication (overlap_imb_percent / 100)
  double ci_low = 0;
  double ci_high = 0;
  int chunks = 0;  // the best configuration measured
  bool progress_thread = false;
  int points = 0;
};

// Load-balancing efficiency (mean busy / makespan) the load_balance kernel reached.
struct LoadBalanceModel {
  std::string variant;            // static, master_worker, work_stealing
  std::string cost_distribution;  // uniform, linear_ramp, heavy_tailed
  int threads = 0;
  int chunk = 0;
  double efficiency = 0;  // 0..1
  double ci_low = 0;
  double ci_high = 0;
  int points = 0;
};

// One collective algorithm measured on this machine (kernel overlap, variant blocking, compute_us 0:
// one blocking MPI_Allreduce or MPI_Bcast per iteration), with the setting that selected it.
struct CollectiveAlgorithmModel {
  std::string collective;  // allreduce, bcast
  std::string mpi;        // "openmpi" (coll_tuned_<collective>_algorithm) or "mpich" (MPIR_CVAR_<COLL>_INTRA_ALGORITHM)
  std::string algorithm;  // the MPI's name for it; "default" for the library's own choice
  int algorithm_id = 0;   // Open MPI's number (0: its built-in decision); 0 for MPICH
  int comm_size = 0;
  std::uint64_t message_bytes = 0;  // per rank (datatype size x count)
  double median_s = 0;              // one call
  double ci_low_s = 0;
  double ci_high_s = 0;
  int samples = 0;
  std::string source;  // "database <hardware id> point <id>"
};

struct HardwareModels {
  std::string hardware_id;  // the fingerprint the database points belong to; empty for a description
  std::string source;       // "database FILE", "description FILE", or "none"
  int nodes = 1;
  int cores_per_node = 0;
  std::optional<LinkModel> intra_node;  // between ranks on one node
  std::optional<LinkModel> inter_node;  // between nodes; empty for one node without a description
  double memcpy_bytes_per_s = 0;        // packing cost for batching; 0 unknown
  std::vector<CodecModel> codecs;
  std::vector<OverlapModel> overlap;
  std::vector<LoadBalanceModel> load_balance;
  std::vector<CollectiveAlgorithmModel> collectives;
  std::vector<std::string> hosts;  // node names (a description's); empty when unknown
  std::vector<std::string> notes;  // what is missing and which sweep would supply it
  // How the launcher places ranks on nodes (a description's `placement`): "block" fills a node
  // before the next, "cyclic" deals ranks round-robin.
  std::string placement = "block";
  // The fingerprint's MPI settings (MCA parameters, other variables such as MPIR_CVAR_*), so that a
  // missing sweep measures the same hardware; empty for a description.
  std::map<std::string, std::string> launch_mca;
  std::map<std::string, std::string> launch_environment;
};

class ModelError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Fits every model the database's points for `hardware_id` allow; models without points stay
// empty and get a note.
HardwareModels fit_models(const tuner::ResultsDb& db, const std::string& hardware_id);

// A hardware description (schema commtune.hardware_description/1, docs/analysis.md). Throws
// ModelError naming the file, line and key of a bad value.
HardwareModels read_hardware_description(const std::filesystem::path& file);

// A sweep the database lacks for this workload, as a ready-to-run spec (commtune.sweep/1).
struct MissingSweep {
  std::string name;       // file name without .yaml, e.g. "link-shared-memory"
  std::string reason;     // "no link points between 4 KiB and 1 MiB, the sizes of sites 1 and 3"
  std::string spec_yaml;  // `commtune sweep` accepts it as it is
};

// The sweeps that would give `models` points at the workload's message sizes, codecs, overlap and
// load-balancing shapes where they have none.
std::vector<MissingSweep> missing_sweeps(const WorkloadSignature& workload, const HardwareModels& models);

}  // namespace commtune::analysis
