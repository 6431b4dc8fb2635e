// What recommend_runtime_settings() needs besides the rules: the eager limits it can raise, the
// collective-algorithm measurements it reads from the results database, the Open MPI rules file it
// builds from them, and the `mpirun --tune` file it writes.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "commtune/analysis/models.hpp"
#include "commtune/analysis/ompi_rules.hpp"

namespace commtune::tuner {
class ResultsDb;
}

namespace commtune::analysis {

// An eager limit of one MPI library and transport (../shared/TUNING-FACTS.md): messages above it
// go through the rendezvous protocol, which costs a handshake round trip first.
struct EagerLimit {
  const char* mpi;        // "openmpi", "mpich"
  const char* transport;  // "vader" (shared memory), "tcp", "ch3", "ch4:ofi"
  const char* setting;    // MCA parameter or environment variable
  std::uint64_t default_bytes;
  std::uint64_t max_bytes;  // the most we recommend (vader: its fragment size, btl_vader_max_send_size)
};
const std::vector<EagerLimit>& eager_limits();  // every limit, once
// "openmpi", "mpich" or "" (unknown) from MPI_Get_library_version()'s text (profile.json mpi_library).
std::string mpi_family(const std::string& mpi_library_text);

// The limit a run used: Open MPI's vader on one node, tcp across nodes; MPICH's by device. nullptr
// when the library or device has none we know (MPICH ch4:ucx leaves it to UCX_RNDV_THRESH).
const EagerLimit* eager_limit_for(const std::string& mpi_library_text, int nodes);

// The collective-algorithm points of the database (kernel overlap, variant blocking, compute_us 0)
// measured on the same machine, MPI library and settings as `hardware_id`, apart from the
// algorithm settings each point varies. Empty when the fingerprint is unknown.
std::vector<CollectiveAlgorithmModel> collective_algorithm_models(const tuner::ResultsDb& db,
                                                                  const std::string& hardware_id);

// The fastest algorithm measured for one collective, communicator size and message size (the
// nearest measured size within a factor of 2), and the library's default at that size when it was
// measured too. `mpi` selects "openmpi" or "mpich" measurements.
struct AlgorithmChoice {
  CollectiveAlgorithmModel best;
  std::optional<CollectiveAlgorithmModel> default_algorithm;
};
std::optional<AlgorithmChoice> best_algorithm(const std::vector<CollectiveAlgorithmModel>& models,
                                              const std::string& mpi, const std::string& collective, int comm_size,
                                              std::uint64_t message_bytes);

// A rules file from every Open MPI measurement: per collective and communicator size, the fastest
// algorithm at each measured message size, switching at the geometric middle between measured
// sizes; an algorithm whose interval overlaps the default's keeps the built-in decision (0).
// Message sizes are converted to Open MPI's measure (x communicator size for allgather, alltoall,
// gather). Empty when there are no Open MPI measurements.
OmpiRules ompi_rules_from_measurements(const std::vector<CollectiveAlgorithmModel>& models);

// `mpirun --tune FILE` text: one `-mca NAME VALUE` line per parameter, with a comment header.
std::string ompi_tune_file_text(const std::map<std::string, std::string>& mca);

}  // namespace commtune::analysis
