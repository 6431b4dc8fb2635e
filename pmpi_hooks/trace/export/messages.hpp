// Point-to-point messages paired up: each send with the receive that got it. MPI delivers the
// messages of one sender to one receiver on one communicator with one tag in the order they were
// sent, to the receives in the order they were posted; so the n-th send of a (sender, receiver,
// communicator, tag) goes to the n-th receive that names that sender and tag in its status.
#pragma once

#include <cstdint>
#include <vector>

#include "trace/export/call_kinds.hpp"
#include "trace/export/trace_index.hpp"
#include "trace/model.hpp"

namespace commtune::trace {

struct Message {
  CallRef send;                   // MPI_Send, MPI_Isend, MPI_Sendrecv, ...
  CallRef receive;                // the call in which the receive completed: MPI_Recv, or the MPI_Wait* of an MPI_Irecv
  std::uint64_t received_ns = 0;  // the completion's time; the end of a blocking receive
  std::uint64_t bytes = 0;
};

struct MessageMatch {
  std::vector<Message> messages;      // by sender key, then in sending order
  std::uint64_t unmatched_sends = 0;  // their receive is not in the trace (crash, cut log)
  std::uint64_t unmatched_receives = 0;
};

MessageMatch match_messages(const Trace& trace, const std::vector<CallKind>& kinds);

}  // namespace commtune::trace
