// Synthetic traces whose content is known by construction, for the exporter tests and the
// benchmark: every rank runs the same iterations of a ring exchange (MPI_Irecv/MPI_Isend/
// MPI_Waitall to the right neighbour, MPI_Send/MPI_Recv, MPI_Sendrecv), MPI_Allreduce on the
// world, MPI_Bcast on a communicator from MPI_Comm_split (even and odd ranks), MPI_Iallreduce
// with MPI_Wait; extra threads exchange with their counterparts and post a send that thread 0
// completes.
#pragma once

#include <cstdint>

#include "trace/model.hpp"

namespace commtune::trace {

struct SyntheticOptions {
  int ranks = 2;
  int threads = 1;  // per rank
  std::uint64_t iterations = 10;
  std::uint64_t message_bytes = 4096;
};

// Communicator ids in the synthetic traces.
inline constexpr std::uint32_t kSyntheticWorld = 0;
inline constexpr std::uint32_t kSyntheticSelf = 1;
inline constexpr std::uint32_t kSyntheticEven = 2;  // MPI_Comm_split: the even ranks
inline constexpr std::uint32_t kSyntheticOdd = 3;   // and the odd ones (when ranks > 1)

Trace make_synthetic_trace(const SyntheticOptions& options);

}  // namespace commtune::trace
