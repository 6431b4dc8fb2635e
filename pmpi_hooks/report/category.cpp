#include "report/category.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

namespace commtune::report {
namespace {

bool starts_with_any(std::string_view name, std::initializer_list<std::string_view> prefixes) {
  return std::any_of(prefixes.begin(), prefixes.end(),
                     [&](std::string_view prefix) { return name.starts_with(prefix); });
}

bool is_any_of(std::string_view name, std::initializer_list<std::string_view> names) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// The collectives, in their blocking form; I... and ..._init are the same operations started
// nonblocking or persistent; every Neighbor_... function is a collective on a topology.
bool is_collective(std::string_view core) {
  if (core.starts_with("Neighbor_") || core.starts_with("Ineighbor_")) return true;
  if (core.ends_with("_init")) core.remove_suffix(5);
  constexpr std::array<std::string_view, 16> kCollectives = {
      "Barrier",   "Bcast",     "Gather",     "Gatherv",        "Scatter",
      "Scatterv",  "Allgather", "Allgatherv", "Alltoall",       "Alltoallv",
      "Alltoallw", "Reduce",    "Allreduce",  "Reduce_scatter", "Reduce_scatter_block",
      "Scan"};
  auto known = [&](std::string_view name) {
    return name == "Exscan" || std::find(kCollectives.begin(), kCollectives.end(), name) != kCollectives.end();
  };
  if (known(core)) return true;
  // MPI_Iallreduce: "I" and the blocking name with its first letter in lower case.
  if (core.size() < 2 || core[0] != 'I') return false;
  std::string blocking(core.substr(1));
  blocking[0] = char(std::toupper(static_cast<unsigned char>(blocking[0])));
  return known(blocking);
}

}  // namespace

std::string category_of_function(std::string_view function) {
  if (!function.starts_with("MPI_")) return "other";
  std::string_view core = function.substr(4);
  if (core.ends_with("_c")) core.remove_suffix(2);  // MPI-4 large-count variants
  if (is_collective(core)) return "collective";
  if (is_any_of(core, {"Send",         "Bsend",
                       "Ssend",        "Rsend",
                       "Isend",        "Ibsend",
                       "Issend",       "Irsend",
                       "Recv",         "Irecv",
                       "Mrecv",        "Imrecv",
                       "Sendrecv",     "Sendrecv_replace",
                       "Isendrecv",    "Isendrecv_replace",
                       "Send_init",    "Bsend_init",
                       "Ssend_init",   "Rsend_init",
                       "Recv_init",    "Psend_init",
                       "Precv_init",   "Pready",
                       "Pready_range", "Pready_list",
                       "Parrived",     "Probe",
                       "Iprobe",       "Mprobe",
                       "Improbe"}))
    return "p2p";
  if (starts_with_any(core, {"Wait", "Test", "Start", "Request_", "Cancel", "Grequest_"})) return "completion";
  if (starts_with_any(core, {"Win_"}) ||
      is_any_of(core, {"Put", "Get", "Accumulate", "Get_accumulate", "Fetch_and_op", "Compare_and_swap", "Rput", "Rget",
                       "Raccumulate", "Rget_accumulate"}))
    return "rma";
  if (starts_with_any(core, {"File_"}) || core == "Register_datarep") return "io";
  if (is_any_of(core, {"Init", "Init_thread", "Finalize", "Initialized", "Finalized", "Abort"})) return "lifecycle";
  return "other";
}

}  // namespace commtune::report
