#include "trace/export/otf2_export.hpp"

#include <fmt/core.h>
#include <otf2/otf2.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <vector>

#include "trace/export/call_kinds.hpp"
#include "trace/export/trace_index.hpp"

namespace commtune::trace {
namespace {

namespace fs = std::filesystem;

constexpr const char* kArchiveName = "traces";
constexpr std::uint64_t kEventChunkBytes = 1 << 20;
constexpr std::uint64_t kDefinitionChunkBytes = 4 << 20;

// The collectives OTF2 has an operation for, in their blocking form, with the region role that
// says which way the data flows. Neighbourhood collectives have no OTF2 operation: their calls
// get Enter/Leave only.
struct CollectiveOperation {
  std::string_view name;
  OTF2_CollectiveOp op;
  OTF2_RegionRole role;
};
constexpr std::array<CollectiveOperation, 17> kCollectiveOperations = {{
    {"Barrier", OTF2_COLLECTIVE_OP_BARRIER, OTF2_REGION_ROLE_BARRIER},
    {"Bcast", OTF2_COLLECTIVE_OP_BCAST, OTF2_REGION_ROLE_COLL_ONE2ALL},
    {"Scatter", OTF2_COLLECTIVE_OP_SCATTER, OTF2_REGION_ROLE_COLL_ONE2ALL},
    {"Scatterv", OTF2_COLLECTIVE_OP_SCATTERV, OTF2_REGION_ROLE_COLL_ONE2ALL},
    {"Gather", OTF2_COLLECTIVE_OP_GATHER, OTF2_REGION_ROLE_COLL_ALL2ONE},
    {"Gatherv", OTF2_COLLECTIVE_OP_GATHERV, OTF2_REGION_ROLE_COLL_ALL2ONE},
    {"Reduce", OTF2_COLLECTIVE_OP_REDUCE, OTF2_REGION_ROLE_COLL_ALL2ONE},
    {"Allgather", OTF2_COLLECTIVE_OP_ALLGATHER, OTF2_REGION_ROLE_COLL_ALL2ALL},
    {"Allgatherv", OTF2_COLLECTIVE_OP_ALLGATHERV, OTF2_REGION_ROLE_COLL_ALL2ALL},
    {"Alltoall", OTF2_COLLECTIVE_OP_ALLTOALL, OTF2_REGION_ROLE_COLL_ALL2ALL},
    {"Alltoallv", OTF2_COLLECTIVE_OP_ALLTOALLV, OTF2_REGION_ROLE_COLL_ALL2ALL},
    {"Alltoallw", OTF2_COLLECTIVE_OP_ALLTOALLW, OTF2_REGION_ROLE_COLL_ALL2ALL},
    {"Allreduce", OTF2_COLLECTIVE_OP_ALLREDUCE, OTF2_REGION_ROLE_COLL_ALL2ALL},
    {"Reduce_scatter", OTF2_COLLECTIVE_OP_REDUCE_SCATTER, OTF2_REGION_ROLE_COLL_ALL2ALL},
    {"Reduce_scatter_block", OTF2_COLLECTIVE_OP_REDUCE_SCATTER_BLOCK, OTF2_REGION_ROLE_COLL_ALL2ALL},
    {"Scan", OTF2_COLLECTIVE_OP_SCAN, OTF2_REGION_ROLE_COLL_OTHER},
    {"Exscan", OTF2_COLLECTIVE_OP_EXSCAN, OTF2_REGION_ROLE_COLL_OTHER},
}};

// How the calls of one function are written.
struct Region {
  CallKind kind = CallKind::Plain;
  OTF2_RegionRole role = OTF2_REGION_ROLE_FUNCTION;
  bool has_operation = false;  // a collective OTF2 knows: Begin/End or Request/Complete records
  OTF2_CollectiveOp operation = OTF2_COLLECTIVE_OP_BARRIER;
};

Region region_of(const Function& function) {
  Region region;
  region.kind = call_kind(function);
  switch (function.category) {
    case Category::P2p:
      region.role = OTF2_REGION_ROLE_POINT2POINT;
      break;
    case Category::Rma:
      region.role = OTF2_REGION_ROLE_RMA;
      break;
    case Category::Io:
      region.role = OTF2_REGION_ROLE_FILE_IO;
      break;
    case Category::Collective:
      region.role = OTF2_REGION_ROLE_COLL_OTHER;
      break;
    default:
      region.role = OTF2_REGION_ROLE_FUNCTION;
      break;
  }
  if (function.category != Category::Collective) return region;
  std::string blocking(core_name(function.name));
  if (region.kind == CallKind::NonblockingCollective) {
    blocking.erase(0, 1);
    blocking[0] = char(std::toupper(static_cast<unsigned char>(blocking[0])));
  }
  if (blocking.ends_with("_init")) blocking.resize(blocking.size() - 5);
  for (const CollectiveOperation& known : kCollectiveOperations) {
    if (known.name != blocking) continue;
    region.role = known.role;
    region.has_operation = region.kind != CallKind::Plain;
    region.operation = known.op;
  }
  return region;
}

// OTF2's location id for a thread of a rank: the rank in the low half, as MPI tools number them,
// so that thread 0 of rank r is location r.
OTF2_LocationRef location_ref(int rank, int thread) {
  return (std::uint64_t(std::uint32_t(thread)) << 32) | std::uint32_t(rank);
}

OTF2_FlushType pre_flush(void*, OTF2_FileType, OTF2_LocationRef, void*, bool) { return OTF2_FLUSH; }

class Exporter {
 public:
  Exporter(const Trace& trace, const fs::path& dir)
      : trace_(trace), dir_(dir), comms_(trace), ranks_(rank_count(trace)), by_rank_(locations_by_rank(trace, ranks_)) {
    regions_.reserve(trace.functions.size());
    for (const Function& function : trace.functions) regions_.push_back(region_of(function));
  }

  Otf2Result run();

 private:
  struct WrittenLocation {
    int rank = 0;
    int thread = 0;
    std::uint64_t events = 0;
  };

  bool check(OTF2_ErrorCode code, std::string_view what);
  bool remove_old_archive();
  void write_events();
  void write_location(OTF2_EvtWriter* writer, std::size_t location, bool single_thread, PostedRequests& posted);
  void write_call(OTF2_EvtWriter* writer, const Call& call, PostedRequests& posted);
  void write_completion(OTF2_EvtWriter* writer, const Completion& completion, OTF2_TimeStamp time,
                        PostedRequests& posted);
  void write_local_definitions();
  void write_global_definitions();
  void write_system_tree();
  void write_communicators();
  OTF2_StringRef string_ref(const std::string& text);

  // OTF2 wants a communicator rank; -1 (unknown, MPI_PROC_NULL) and non-members give none.
  std::uint32_t comm_rank(std::uint32_t comm_index, int world_rank) const {
    const int rank = comms_.rank_in(comm_index, world_rank);
    return rank < 0 ? OTF2_UNDEFINED_UINT32 : std::uint32_t(rank);
  }
  std::uint32_t root_of(std::uint32_t comm_index, int world_root) const {
    if (world_root < 0) return OTF2_COLLECTIVE_ROOT_NONE;
    return comm_rank(comm_index, world_root);
  }
  // Event times on one location never go backwards (OTF2 requires it): a call that starts before
  // the previous one ended (clock alignment rounding) is moved to that end.
  OTF2_TimeStamp at(std::uint64_t time_ns) {
    last_time_ns_ = std::max(last_time_ns_, time_ns);
    return last_time_ns_;
  }

  const Trace& trace_;
  fs::path dir_;
  CommunicatorIndex comms_;
  int ranks_;
  std::vector<std::pair<std::size_t, std::size_t>> by_rank_;
  std::vector<Region> regions_;
  OTF2_Archive* archive_ = nullptr;
  OTF2_GlobalDefWriter* definitions_ = nullptr;
  std::unordered_map<std::string, OTF2_StringRef> strings_;
  std::vector<WrittenLocation> written_;
  std::uint64_t first_time_ns_ = UINT64_MAX;
  std::uint64_t last_event_ns_ = 0;
  std::uint64_t last_time_ns_ = 0;
  std::string error_;
};

bool Exporter::check(OTF2_ErrorCode code, std::string_view what) {
  if (code == OTF2_SUCCESS) return true;
  if (error_.empty()) error_ = fmt::format("{}: {}", what, OTF2_Error_GetDescription(code));
  return false;
}

bool Exporter::remove_old_archive() {
  std::error_code error;
  fs::create_directories(dir_, error);
  if (error) {
    error_ = fmt::format("cannot create {}: {}", dir_.string(), error.message());
    return false;
  }
  // Only what an archive of our name consists of: the directory may hold other files, and a
  // "traces" directory without the anchor file beside it is not ours to delete.
  const fs::path anchor = dir_ / (std::string(kArchiveName) + ".otf2");
  if (!fs::exists(anchor, error) && fs::exists(dir_ / kArchiveName, error)) {
    error_ = fmt::format("{} exists and is not part of an OTF2 archive (no {} beside it); choose another directory",
                         (dir_ / kArchiveName).string(), anchor.filename().string());
    return false;
  }
  for (const char* suffix : {".otf2", ".def", ""}) {
    fs::remove_all(dir_ / (std::string(kArchiveName) + suffix), error);
    if (error) {
      error_ = fmt::format("cannot replace the archive in {}: {}", dir_.string(), error.message());
      return false;
    }
  }
  return true;
}

Otf2Result Exporter::run() {
  Otf2Result result;
  result.anchor = dir_ / (std::string(kArchiveName) + ".otf2");
  if (!remove_old_archive()) {
    result.error = error_;
    return result;
  }
  archive_ = OTF2_Archive_Open(dir_.c_str(), kArchiveName, OTF2_FILEMODE_WRITE, kEventChunkBytes, kDefinitionChunkBytes,
                               OTF2_SUBSTRATE_POSIX, OTF2_COMPRESSION_NONE);
  if (!archive_) {
    result.error = fmt::format("OTF2 cannot create an archive in {}", dir_.string());
    return result;
  }
  const OTF2_FlushCallbacks flush{pre_flush, nullptr};  // no post-flush: no BufferFlush records
  if (check(OTF2_Archive_SetFlushCallbacks(archive_, &flush, nullptr), "flush callbacks") &&
      check(OTF2_Archive_SetSerialCollectiveCallbacks(archive_), "serial collective callbacks") &&
      check(OTF2_Archive_SetCreator(archive_, "commtune"), "creator") &&
      check(OTF2_Archive_SetDescription(archive_, trace_.command.c_str()), "description")) {
    write_events();
    write_local_definitions();
    write_global_definitions();
  }
  check(OTF2_Archive_Close(archive_), "closing the archive");
  result.ok = error_.empty();
  result.error = error_;
  for (const WrittenLocation& location : written_) result.events += location.events;
  result.locations = written_.size();
  return result;
}

void Exporter::write_events() {
  if (!check(OTF2_Archive_OpenEvtFiles(archive_), "opening the event files")) return;
  PostedRequests posted;
  std::vector<CallKind> kinds;
  for (const Region& region : regions_) kinds.push_back(region.kind);
  constexpr std::size_t kNoLog = SIZE_MAX;
  std::vector<std::pair<int, std::size_t>> threads;  // (thread, index in Trace::locations or kNoLog)
  for (int rank = 0; rank < ranks_; ++rank) {
    const auto [first, last] = by_rank_[std::size_t(rank)];
    posted.clear();
    if (last - first > 1) posted.post_all(trace_, kinds, first, last);
    // Thread 0 of every rank is a member of the world's location group: a rank that left no
    // log (killed before its first flush) still gets that location, with no events.
    threads.clear();
    if (first == last || trace_.locations[first].thread != 0) threads.emplace_back(0, kNoLog);
    for (std::size_t location = first; location < last; ++location) {
      threads.emplace_back(trace_.locations[location].thread, location);
    }
    for (const auto& [thread, location] : threads) {
      OTF2_EvtWriter* writer = OTF2_Archive_GetEvtWriter(archive_, location_ref(rank, thread));
      if (!writer) {
        error_ = fmt::format("OTF2 gives no event writer for rank {} thread {}", rank, thread);
        return;
      }
      if (location != kNoLog) write_location(writer, location, last - first == 1, posted);
      WrittenLocation& out = written_.emplace_back(WrittenLocation{rank, thread, 0});
      check(OTF2_EvtWriter_GetNumberOfEvents(writer, &out.events), "counting events");
      if (!check(OTF2_Archive_CloseEvtWriter(archive_, writer), "closing an event writer")) return;
    }
  }
  check(OTF2_Archive_CloseEvtFiles(archive_), "closing the event files");
}

void Exporter::write_location(OTF2_EvtWriter* writer, std::size_t location, bool single_thread,
                              PostedRequests& posted) {
  const auto& calls = trace_.locations[location].calls;
  last_time_ns_ = 0;
  for (std::size_t c = 0; c < calls.size(); ++c) {
    const Call& call = calls[c];
    if (call.function >= regions_.size()) continue;  // the reader gives every call a function
    const CallKind kind = regions_[call.function].kind;
    if (single_thread && posts_request(kind)) {
      posted.post(call.request, CallRef{std::uint32_t(location), std::uint32_t(c)});
    }
    write_call(writer, call, posted);
  }
  if (!calls.empty()) {
    first_time_ns_ = std::min(first_time_ns_, calls.front().start_ns);
    last_event_ns_ = std::max(last_event_ns_, last_time_ns_);
  }
}

void Exporter::write_call(OTF2_EvtWriter* writer, const Call& call, PostedRequests& posted) {
  const Region& region = regions_[call.function];
  const OTF2_RegionRef region_ref = call.function;
  const OTF2_TimeStamp start = at(call.start_ns);
  OTF2_EvtWriter_Enter(writer, nullptr, start, region_ref);
  const std::uint32_t comm = comms_.index_of(call.comm);
  const bool has_comm = comm != kNone;
  const std::uint32_t tag = std::uint32_t(call.tag);
  switch (region.kind) {
    case CallKind::Send:
    case CallKind::SendRecv:
      if (has_comm && call.peer >= 0) {
        OTF2_EvtWriter_MpiSend(writer, nullptr, start, comm_rank(comm, call.peer), comm, tag, call.bytes_sent);
      }
      break;
    case CallKind::Isend:
      if (has_comm && call.peer >= 0 && call.request != 0) {
        OTF2_EvtWriter_MpiIsend(writer, nullptr, start, comm_rank(comm, call.peer), comm, tag, call.bytes_sent,
                                call.request);
      }
      break;
    case CallKind::Irecv:
      if (has_comm && call.request != 0) OTF2_EvtWriter_MpiIrecvRequest(writer, nullptr, start, call.request);
      break;
    case CallKind::NonblockingCollective:
      if (has_comm && region.has_operation && call.request != 0) {
        OTF2_EvtWriter_NonBlockingCollectiveRequest(writer, nullptr, start, call.request);
      }
      break;
    case CallKind::Collective:
      if (has_comm && region.has_operation) OTF2_EvtWriter_MpiCollectiveBegin(writer, nullptr, start);
      break;
    default:
      break;
  }
  // Completions in time order, inside the call (the reader puts them there; rounding may not).
  for (const Completion& completion : call.completions) {
    write_completion(writer, completion, at(std::min(std::max(completion.time_ns, call.start_ns), call.end_ns)),
                     posted);
  }
  const OTF2_TimeStamp end = at(call.end_ns);
  switch (region.kind) {
    case CallKind::Recv:
      if (has_comm && call.peer >= 0) {
        OTF2_EvtWriter_MpiRecv(writer, nullptr, end, comm_rank(comm, call.peer), comm, tag, call.bytes_received);
      }
      break;
    case CallKind::SendRecv: {
      // The receive half: what its status said when the reader recorded it as a completion.
      const auto received = std::find_if(call.completions.begin(), call.completions.end(),
                                         [](const Completion& c) { return c.receive && c.request == 0; });
      if (has_comm && received != call.completions.end() && received->peer >= 0) {
        OTF2_EvtWriter_MpiRecv(writer, nullptr, end, comm_rank(comm, received->peer), comm,
                               std::uint32_t(received->tag), received->bytes);
      }
      break;
    }
    case CallKind::Collective:
      if (has_comm && region.has_operation) {
        OTF2_EvtWriter_MpiCollectiveEnd(writer, nullptr, end, region.operation, comm, root_of(comm, call.peer),
                                        call.bytes_sent, call.bytes_received);
      }
      break;
    default:
      break;
  }
  OTF2_EvtWriter_Leave(writer, nullptr, end, region_ref);
}

void Exporter::write_completion(OTF2_EvtWriter* writer, const Completion& completion, OTF2_TimeStamp time,
                                PostedRequests& posted) {
  CallRef ref;
  // A request we did not see posted (persistent, or posted before the log began) has no record
  // to complete.
  if (completion.request == 0 || !posted.take(completion.request, ref)) return;
  const Call& post = trace_.locations[ref.location].calls[ref.call];
  const Region& region = regions_[post.function];
  const std::uint32_t comm = comms_.index_of(post.comm);
  if (comm == kNone) return;
  switch (region.kind) {
    case CallKind::Isend:
      if (post.peer >= 0) OTF2_EvtWriter_MpiIsendComplete(writer, nullptr, time, completion.request);
      break;
    case CallKind::Irecv: {
      // The status names the sender and tag of a wildcard receive; the posting call the others.
      const int sender = completion.peer >= 0 ? completion.peer : post.peer;
      const int tag = completion.peer >= 0 ? completion.tag : post.tag;
      OTF2_EvtWriter_MpiIrecv(writer, nullptr, time, comm_rank(comm, sender), comm, std::uint32_t(tag),
                              completion.bytes, completion.request);
      break;
    }
    case CallKind::NonblockingCollective:
      if (region.has_operation) {
        OTF2_EvtWriter_NonBlockingCollectiveComplete(writer, nullptr, time, region.operation, comm,
                                                     root_of(comm, post.peer), post.bytes_sent, post.bytes_received,
                                                     completion.request);
      }
      break;
    default:
      break;
  }
}

void Exporter::write_local_definitions() {
  if (!error_.empty() || !check(OTF2_Archive_OpenDefFiles(archive_), "opening the local definition files")) return;
  // otf2-print expects a local definition file per location, even an empty one.
  for (const WrittenLocation& location : written_) {
    OTF2_DefWriter* writer = OTF2_Archive_GetDefWriter(archive_, location_ref(location.rank, location.thread));
    if (!writer) {
      error_ = fmt::format("OTF2 gives no definition writer for rank {} thread {}", location.rank, location.thread);
      return;
    }
    if (!check(OTF2_Archive_CloseDefWriter(archive_, writer), "closing a local definition writer")) return;
  }
  check(OTF2_Archive_CloseDefFiles(archive_), "closing the local definition files");
}

OTF2_StringRef Exporter::string_ref(const std::string& text) {
  const auto [found, inserted] = strings_.try_emplace(text, OTF2_StringRef(strings_.size()));
  if (inserted) check(OTF2_GlobalDefWriter_WriteString(definitions_, found->second, text.c_str()), "a string");
  return found->second;
}

void Exporter::write_global_definitions() {
  if (!error_.empty()) return;
  definitions_ = OTF2_Archive_GetGlobalDefWriter(archive_);
  if (!definitions_) {
    error_ = "OTF2 gives no global definition writer";
    return;
  }
  const std::uint64_t offset_ns = first_time_ns_ == UINT64_MAX ? 0 : first_time_ns_;
  const std::uint64_t length_ns = std::max(last_event_ns_, offset_ns) - offset_ns;
  const std::uint64_t realtime_ns =
      trace_.epoch_unix_ns == 0 ? OTF2_UNDEFINED_TIMESTAMP : trace_.epoch_unix_ns + offset_ns;
  check(OTF2_GlobalDefWriter_WriteClockProperties(definitions_, 1'000'000'000, offset_ns, length_ns, realtime_ns),
        "clock properties");
  check(OTF2_GlobalDefWriter_WriteParadigm(definitions_, OTF2_PARADIGM_MPI, string_ref("MPI"),
                                           OTF2_PARADIGM_CLASS_PROCESS),
        "the MPI paradigm");
  const OTF2_StringRef empty = string_ref("");
  for (std::size_t f = 0; f < trace_.functions.size(); ++f) {
    const OTF2_StringRef name = string_ref(trace_.functions[f].name);
    check(OTF2_GlobalDefWriter_WriteRegion(definitions_, OTF2_RegionRef(f), name, name, empty, regions_[f].role,
                                           OTF2_PARADIGM_MPI, OTF2_REGION_FLAG_NONE, empty, 0, 0),
          "a region");
  }
  write_system_tree();
  write_communicators();
  check(OTF2_Archive_CloseGlobalDefWriter(archive_, definitions_), "closing the global definitions");
}

void Exporter::write_system_tree() {
  const OTF2_SystemTreeNodeRef machine = 0;
  check(OTF2_GlobalDefWriter_WriteSystemTreeNode(definitions_, machine, string_ref("machine"), string_ref("machine"),
                                                 OTF2_UNDEFINED_SYSTEM_TREE_NODE),
        "the system tree root");
  std::unordered_map<std::string, OTF2_SystemTreeNodeRef> hosts;
  std::vector<OTF2_SystemTreeNodeRef> node_of_rank(std::size_t(ranks_), machine);
  for (int rank = 0; rank < ranks_; ++rank) {
    const std::size_t r = std::size_t(rank);
    const std::string host = r < trace_.hosts.size() && !trace_.hosts[r].empty() ? trace_.hosts[r] : "unknown host";
    const auto [found, inserted] = hosts.try_emplace(host, OTF2_SystemTreeNodeRef(hosts.size() + 1));
    if (inserted) {
      check(OTF2_GlobalDefWriter_WriteSystemTreeNode(definitions_, found->second, string_ref(host), string_ref("node"),
                                                     machine),
            "a host node");
    }
    node_of_rank[r] = found->second;
  }
  for (int rank = 0; rank < ranks_; ++rank) {
    check(OTF2_GlobalDefWriter_WriteLocationGroup(
              definitions_, OTF2_LocationGroupRef(rank), string_ref(fmt::format("MPI Rank {}", rank)),
              OTF2_LOCATION_GROUP_TYPE_PROCESS, node_of_rank[std::size_t(rank)], OTF2_UNDEFINED_LOCATION_GROUP),
          "a location group");
  }
  for (const WrittenLocation& location : written_) {
    check(OTF2_GlobalDefWriter_WriteLocation(
              definitions_, location_ref(location.rank, location.thread),
              string_ref(location.thread == 0 ? "Master thread" : fmt::format("Thread {}", location.thread)),
              OTF2_LOCATION_TYPE_CPU_THREAD, location.events, OTF2_LocationGroupRef(location.rank)),
          "a location");
  }
}

void Exporter::write_communicators() {
  // Group 0: the world's locations, thread 0 of each rank by world rank; every communicator's
  // group lists its members as indices into it, which are world ranks.
  std::vector<std::uint64_t> members;
  for (int rank = 0; rank < ranks_; ++rank) members.push_back(location_ref(rank, 0));
  check(OTF2_GlobalDefWriter_WriteGroup(definitions_, 0, string_ref("MPI_COMM_WORLD locations"),
                                        OTF2_GROUP_TYPE_COMM_LOCATIONS, OTF2_PARADIGM_MPI, OTF2_GROUP_FLAG_NONE,
                                        std::uint32_t(members.size()), members.data()),
        "the world's locations");
  OTF2_GroupRef next_group = 1;
  OTF2_GroupRef self_group = OTF2_UNDEFINED_GROUP;
  auto comm_group = [&](const std::string& name, auto first, auto last) {
    members.assign(first, last);
    check(OTF2_GlobalDefWriter_WriteGroup(definitions_, next_group, string_ref(name), OTF2_GROUP_TYPE_COMM_GROUP,
                                          OTF2_PARADIGM_MPI, OTF2_GROUP_FLAG_NONE, std::uint32_t(members.size()),
                                          members.data()),
          "a communicator group");
    return next_group++;
  };
  OTF2_CommRef world = OTF2_UNDEFINED_COMM;
  for (std::size_t index = 0; index < trace_.communicators.size(); ++index) {
    const Communicator& comm = trace_.communicators[index];
    if (comm.name == "MPI_COMM_WORLD" && world == OTF2_UNDEFINED_COMM) world = OTF2_CommRef(index);
  }
  for (std::size_t index = 0; index < trace_.communicators.size(); ++index) {
    const Communicator& comm = trace_.communicators[index];
    const OTF2_CommRef self = OTF2_CommRef(index);
    const bool predefined = comm.name == "MPI_COMM_WORLD" || comm.name == "MPI_COMM_SELF";
    const std::string name = predefined ? comm.name : fmt::format("{} #{}", comm.name, comm.id);
    const auto& ranks = comm.world_ranks;
    if (comm.remote_size > 0 && std::size_t(comm.remote_size) < ranks.size()) {
      const auto split = ranks.end() - comm.remote_size;
      const OTF2_GroupRef local = comm_group(name + " local group", ranks.begin(), split);
      const OTF2_GroupRef remote = comm_group(name + " remote group", split, ranks.end());
      check(OTF2_GlobalDefWriter_WriteInterComm(definitions_, self, string_ref(name), local, remote,
                                                OTF2_UNDEFINED_COMM, OTF2_COMM_FLAG_NONE),
            "an intercommunicator");
      continue;
    }
    OTF2_GroupRef group;
    if (comm.name == "MPI_COMM_SELF") {
      // One COMM_SELF group stands for every rank's MPI_COMM_SELF (at most one per paradigm).
      if (self_group == OTF2_UNDEFINED_GROUP) {
        self_group = next_group++;
        check(OTF2_GlobalDefWriter_WriteGroup(definitions_, self_group, string_ref("MPI_COMM_SELF"),
                                              OTF2_GROUP_TYPE_COMM_SELF, OTF2_PARADIGM_MPI, OTF2_GROUP_FLAG_NONE, 0,
                                              nullptr),
              "the self group");
      }
      group = self_group;
    } else {
      group = comm_group(name, ranks.begin(), ranks.end());
    }
    // Every communicator other than the predefined two comes from MPI_COMM_WORLD or one derived
    // from it; the trace does not say which, so the world is named as the ancestor they share.
    const OTF2_CommRef parent = predefined || world == self ? OTF2_UNDEFINED_COMM : world;
    check(OTF2_GlobalDefWriter_WriteComm(definitions_, self, string_ref(name), group, parent, OTF2_COMM_FLAG_NONE),
          "a communicator");
  }
}

}  // namespace

Otf2Result write_otf2(const Trace& trace, const fs::path& dir) { return Exporter(trace, dir).run(); }

}  // namespace commtune::trace
