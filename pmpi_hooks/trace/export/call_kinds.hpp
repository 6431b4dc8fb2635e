// What an MPI call does to messages, from its function's name and category: the one table both
// exporters read (OTF2 for its MPI event records, the timeline for its message arrows).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "trace/model.hpp"

namespace commtune::trace {

enum class CallKind : std::uint8_t {
  Plain,                  // no message of its own (Wait, Comm_split, ...): completions only
  Send,                   // blocking send to `peer`
  Recv,                   // blocking receive; `peer`, `tag` from the status
  SendRecv,               // a send to `peer` and a receive (completion or `peer`)
  Isend,                  // posts a send request
  Irecv,                  // posts a receive request, completed in a later call
  Collective,             // blocking collective; `peer` is the root
  NonblockingCollective,  // posts a collective request
};

CallKind call_kind(const Function& function);

// The calls whose request a later call completes (MPI_Wait*, MPI_Test*).
inline bool posts_request(CallKind kind) {
  return kind == CallKind::Isend || kind == CallKind::Irecv || kind == CallKind::NonblockingCollective;
}

// call_kind() for every function of the trace, indexed like Trace::functions.
std::vector<CallKind> call_kinds(const std::vector<Function>& functions);

// The name without "MPI_" and without the large-count suffix "_c": "Isend" for "MPI_Isend_c".
std::string_view core_name(std::string_view function);

}  // namespace commtune::trace
