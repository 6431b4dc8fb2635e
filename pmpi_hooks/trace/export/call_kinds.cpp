#include "trace/export/call_kinds.hpp"

#include <algorithm>
#include <array>

namespace commtune::trace {
namespace {

template <std::size_t N>
bool is_one_of(std::string_view name, const std::array<std::string_view, N>& names) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

constexpr std::array<std::string_view, 4> kSends = {"Send", "Bsend", "Ssend", "Rsend"};
constexpr std::array<std::string_view, 4> kIsends = {"Isend", "Ibsend", "Issend", "Irsend"};
constexpr std::array<std::string_view, 2> kRecvs = {"Recv", "Mrecv"};
constexpr std::array<std::string_view, 2> kIrecvs = {"Irecv", "Imrecv"};
constexpr std::array<std::string_view, 2> kSendRecvs = {"Sendrecv", "Sendrecv_replace"};

}  // namespace

std::string_view core_name(std::string_view function) {
  if (function.starts_with("MPI_")) function.remove_prefix(4);
  if (function.ends_with("_c")) function.remove_suffix(2);
  return function;
}

CallKind call_kind(const Function& function) {
  const std::string_view core = core_name(function.name);
  if (function.category == Category::Collective) {
    // Persistent collectives (MPI_Allreduce_init) only create a request; MPI_Start runs them.
    if (core.ends_with("_init")) return CallKind::Plain;
    // Every nonblocking collective is "I" and the blocking name (MPI_Iallreduce, MPI_Ineighbor_...).
    const bool nonblocking = core.size() > 1 && core[0] == 'I' && core[1] >= 'a' && core[1] <= 'z';
    return nonblocking ? CallKind::NonblockingCollective : CallKind::Collective;
  }
  if (function.category != Category::P2p) return CallKind::Plain;
  if (is_one_of(core, kSends)) return CallKind::Send;
  if (is_one_of(core, kIsends)) return CallKind::Isend;
  if (is_one_of(core, kRecvs)) return CallKind::Recv;
  if (is_one_of(core, kIrecvs)) return CallKind::Irecv;
  if (is_one_of(core, kSendRecvs)) return CallKind::SendRecv;
  return CallKind::Plain;  // probes, persistent and partitioned requests
}

std::vector<CallKind> call_kinds(const std::vector<Function>& functions) {
  std::vector<CallKind> kinds;
  kinds.reserve(functions.size());
  for (const Function& function : functions) kinds.push_back(call_kind(function));
  return kinds;
}

}  // namespace commtune::trace
