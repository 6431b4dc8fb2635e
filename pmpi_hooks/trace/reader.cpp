#include "trace/reader.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <tuple>

#include "callsites/callsite_resolver.hpp"
#include "commtune/pmpi/run_directory.hpp"
#include "trace/format.hpp"

namespace commtune::trace {
namespace {

namespace fs = std::filesystem;
namespace fmt = format;

struct ClockPoint {
  std::uint64_t local_ns = 0;
  double offset_ns = 0;  // this rank's clock minus rank 0's
};

// What the files of one rank say about it.
struct RankInfo {
  bool have_start = false, have_end = false;
  ClockPoint start, end;
  bool have_run = false;
  std::string host, program, command;
  std::uint64_t init_mono_ns = 0, init_unix_ns = 0;
};

// The run-wide tables the files' definitions are mapped into.
class Builder {
 public:
  Trace trace;
  std::map<int, RankInfo> ranks;

  std::uint32_t function(std::string_view category, std::string_view name) {
    auto [it, added] = functions_.try_emplace(std::string(name), std::uint32_t(trace.functions.size()));
    if (added) trace.functions.push_back({std::string(name), category_from_name(category)});
    return it->second;
  }
  std::uint32_t site(std::string_view module, std::uint64_t offset) {
    auto [it, added] = sites_.try_emplace({std::string(module), offset}, std::uint32_t(trace.sites.size()));
    if (added) {
      CallSite site;
      site.module = module;
      site.offset = offset;
      trace.sites.push_back(site);
    }
    return it->second;
  }
  // The id every member calls it by: same origin, same member list (an intercommunicator's two
  // groups in a fixed order), same sequence number among the communicators with that list.
  std::uint32_t comm(int rank, fmt::CommOrigin origin, std::uint32_t sequence, std::string_view name,
                     std::vector<int> members, int remote_size) {
    std::vector<int> key = members;
    if (origin == fmt::CommOrigin::World) key.clear();
    if (remote_size > 0 && std::size_t(remote_size) <= key.size()) {
      const auto middle = key.end() - remote_size;
      std::vector<int> local(key.begin(), middle), remote(middle, key.end());
      if (remote < local) std::swap(local, remote);
      key = local;
      key.push_back(-1);
      key.insert(key.end(), remote.begin(), remote.end());
    }
    if (origin == fmt::CommOrigin::FirstUse) key.push_back(-2 - rank);  // cannot be matched: per rank
    auto [it, added] = comms_.try_emplace({int(origin), sequence, key}, std::uint32_t(trace.communicators.size()));
    if (added) {
      Communicator comm;
      comm.id = it->second;
      comm.name = name;
      comm.world_ranks = std::move(members);
      comm.remote_size = remote_size;
      trace.communicators.push_back(std::move(comm));
    }
    return it->second;
  }

 private:
  std::map<std::string, std::uint32_t> functions_;
  std::map<std::pair<std::string, std::uint64_t>, std::uint32_t> sites_;
  std::map<std::tuple<int, std::uint32_t, std::vector<int>>, std::uint32_t> comms_;
};

// A block that passed its checks.
struct Block {
  fmt::BlockHeader header;
  const std::uint8_t* payload;
};

// One file: its valid blocks and what ended the reading.
struct Scan {
  fmt::FileHeader header{};
  std::vector<Block> blocks;
  std::string problem;  // empty: every byte was a valid block
};

Scan scan(const std::vector<std::uint8_t>& data) {
  Scan result;
  if (data.size() < sizeof(fmt::FileHeader)) {
    result.problem = "shorter than its header (" + std::to_string(data.size()) + " bytes)";
    return result;
  }
  std::memcpy(&result.header, data.data(), sizeof result.header);
  if (std::memcmp(result.header.magic, fmt::kFileMagicText, sizeof result.header.magic) != 0 ||
      std::strncmp(result.header.schema, fmt::kSchema, sizeof result.header.schema) != 0) {
    result.problem = "not a " + std::string(fmt::kSchema) + " log";
    return result;
  }
  std::size_t at = sizeof(fmt::FileHeader);
  while (at < data.size()) {
    fmt::BlockHeader header;
    if (data.size() - at < sizeof header) {
      result.problem = "ends inside a block header at byte " + std::to_string(at);
      break;
    }
    std::memcpy(&header, data.data() + at, sizeof header);
    const std::uint8_t* payload = data.data() + at + sizeof header;
    if (header.magic != fmt::kBlockMagic) {
      result.problem = "no block at byte " + std::to_string(at);
      break;
    }
    if (header.payload_bytes > data.size() - at - sizeof header) {
      result.problem = "ends inside a block at byte " + std::to_string(at);
      break;
    }
    if (fmt::checksum(header, payload, header.payload_bytes) != header.checksum) {
      result.problem = "damaged block at byte " + std::to_string(at);
      break;
    }
    result.blocks.push_back({header, payload});
    at += sizeof header + header.payload_bytes;
  }
  return result;
}

// Ticks to this rank's CLOCK_MONOTONIC ns, from the pairs read at the file's creation and at the
// close of its last valid block.
struct TickConverter {
  std::uint64_t ticks0 = 0, ns0 = 0;
  double ns_per_tick = 1;
  double operator()(std::uint64_t ticks) const {
    return double(ns0) + double(std::int64_t(ticks - ticks0)) * ns_per_tick;
  }
};

TickConverter converter(const Scan& scan) {
  TickConverter convert{scan.header.open_ticks, scan.header.open_mono_ns, 1.0};
  if (scan.header.clock_source == std::uint32_t(fmt::ClockSource::Tsc) && !scan.blocks.empty()) {
    const fmt::BlockHeader& last = scan.blocks.back().header;
    if (last.close_ticks > convert.ticks0 && last.close_mono_ns > convert.ns0) {
      convert.ns_per_tick = double(last.close_mono_ns - convert.ns0) / double(last.close_ticks - convert.ticks0);
    }
  }
  return convert;
}

// A call as decoded: times still on the rank's CLOCK_MONOTONIC.
struct Decoded {
  std::vector<Call> calls;
  std::vector<double> start_ns, end_ns;  // parallel to calls, local clock
  bool ended = false;
  std::string problem;
};

class FileDecoder {
 public:
  FileDecoder(Builder& builder, int rank, const TickConverter& convert)
      : builder_(builder), rank_(rank), convert_(convert) {}

  // Decodes one block; false (with `problem`) when a record does not parse.
  bool block(const Block& block, Decoded& out) {
    fmt::Cursor in(block.payload, block.header.payload_bytes);
    std::uint64_t previous_ticks = block.header.base_ticks;
    std::uint64_t previous_request = 0;
    while (!in.done()) {
      const std::uint8_t kind = in.byte();
      bool ok = true;
      if (kind < 0x80) {
        ok = call(in, kind, false, previous_ticks, out);
      } else {
        switch (fmt::Kind(kind)) {
          case fmt::Kind::CallNs:
            ok = call(in, in.byte(), true, previous_ticks, out);
            break;
          case fmt::Kind::Completion:
            ok = completion(in, previous_request);
            break;
          case fmt::Kind::FunctionDef: {
            const std::uint64_t index = in.varint();
            const std::string_view category = in.string(), name = in.string();
            ok = in.ok() && index == functions_.size();
            if (ok) functions_.push_back(builder_.function(category, name));
            break;
          }
          case fmt::Kind::SiteDef: {
            const std::uint64_t index = in.varint();
            const std::string_view module = in.string();
            const std::uint64_t offset = in.varint();
            ok = in.ok() && index == sites_.size();
            if (ok) sites_.push_back(builder_.site(module, offset));
            break;
          }
          case fmt::Kind::CommDef:
            ok = comm_def(in);
            break;
          case fmt::Kind::Clock:
            ok = clock(in);
            break;
          case fmt::Kind::RunInfo:
            ok = run_info(in);
            break;
          case fmt::Kind::Dropped:
            dropped_ += in.varint();
            break;
          case fmt::Kind::End:
            out.ended = true;
            break;
          default:
            ok = false;
        }
      }
      if (!ok || !in.ok()) {
        out.problem = "a record of kind " + std::to_string(kind) + " does not parse";
        return false;
      }
    }
    return true;
  }
  std::uint64_t dropped() const { return dropped_; }

 private:
  bool call(fmt::Cursor& in, std::uint8_t mask, bool ns_times, std::uint64_t& previous_ticks, Decoded& out) {
    Call call;
    const std::uint64_t function = in.varint();
    const std::uint64_t start_raw = in.varint(), duration = in.varint();
    if (mask & fmt::kHasSite) {
      const std::uint64_t site = in.varint();
      if (site >= sites_.size()) return false;
      call.site = sites_[site];
    }
    if (mask & fmt::kHasComm) {
      const auto found = comms_.find(in.varint());
      call.comm = found == comms_.end() ? kNone : found->second;
    }
    if (mask & fmt::kHasPeer) call.peer = int(in.svarint());
    if (mask & fmt::kHasTag) call.tag = int(in.svarint());
    if (mask & fmt::kHasSent) call.bytes_sent = in.varint();
    if (mask & fmt::kHasReceived) call.bytes_received = in.varint();
    if (mask & fmt::kHasRequest) call.request = in.varint();
    if (!in.ok() || function >= functions_.size()) return false;
    call.function = functions_[function];
    double start, end;
    if (ns_times) {
      start = double(start_raw);
      end = start + double(duration);
    } else {
      const std::uint64_t start_ticks = previous_ticks + std::uint64_t(fmt::unzigzag(start_raw));
      previous_ticks = start_ticks + duration;
      start = convert_(start_ticks);
      end = convert_(previous_ticks);
    }
    call.completions = std::move(pending_);
    pending_.clear();
    out.calls.push_back(std::move(call));
    out.start_ns.push_back(start);
    out.end_ns.push_back(end);
    return true;
  }
  bool completion(fmt::Cursor& in, std::uint64_t& previous_request) {
    Completion done;
    done.request = previous_request + std::uint64_t(in.svarint());
    previous_request = done.request;
    const std::uint8_t flags = in.byte();
    done.receive = flags & 1;
    if (flags & 2) {
      done.peer = int(in.svarint());
      done.tag = int(in.svarint());
      done.bytes = in.varint();
    }
    pending_.push_back(done);
    return in.ok();
  }
  bool comm_def(fmt::Cursor& in) {
    const std::uint64_t local = in.varint();
    const std::string_view name = in.string();
    const auto origin = fmt::CommOrigin(in.byte());
    const std::uint64_t sequence = in.varint(), remote_size = in.varint(), size = in.varint();
    if (!in.ok() || size > (1u << 24) || remote_size > size || std::uint8_t(origin) > 3) return false;
    std::vector<int> members;
    members.reserve(std::size_t(size));
    std::int64_t previous = 0;
    for (std::uint64_t i = 0; i < size && in.ok(); ++i) members.push_back(int(previous += in.svarint()));
    if (!in.ok()) return false;
    comms_[local] = builder_.comm(rank_, origin, std::uint32_t(sequence), name, std::move(members), int(remote_size));
    return true;
  }
  bool clock(fmt::Cursor& in) {
    const std::uint8_t phase = in.byte();
    ClockPoint point;
    point.local_ns = in.varint();
    point.offset_ns = double(in.svarint());
    in.varint();  // round trip: the measurement's uncertainty, for tools
    RankInfo& info = builder_.ranks[rank_];
    (phase == 0 ? info.start : info.end) = point;
    (phase == 0 ? info.have_start : info.have_end) = true;
    return in.ok() && phase <= 1;
  }
  bool run_info(fmt::Cursor& in) {
    RankInfo& info = builder_.ranks[rank_];
    info.host = in.string();
    info.program = in.string();
    info.command = in.string();
    info.init_mono_ns = in.varint();
    info.init_unix_ns = in.varint();
    info.have_run = in.ok();
    return in.ok();
  }

  Builder& builder_;
  int rank_;
  TickConverter convert_;
  std::vector<std::uint32_t> functions_, sites_;
  std::map<std::uint64_t, std::uint32_t> comms_;
  std::vector<Completion> pending_;  // they belong to the next call
  std::uint64_t dropped_ = 0;
};

std::vector<std::uint8_t> read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::vector<std::uint8_t> bytes(std::size_t(std::max<std::streamoff>(0, in.tellg())));
  in.seekg(0);
  in.read(reinterpret_cast<char*>(bytes.data()), std::streamsize(bytes.size()));
  bytes.resize(std::size_t(std::max<std::streamsize>(0, in.gcount())));
  return bytes;
}

struct LocalLocation {
  Location location;
  std::vector<double> start_ns, end_ns;
  TickConverter convert;         // how start_ns and end_ns were made from the file's ticks
  bool tsc = false;              // ... which were time-stamp counter ticks
  std::uint64_t span_ticks = 0;  // from the file's first to its last clock pair
};

LocalLocation read_file(const fs::path& path, Builder& builder) {
  const std::vector<std::uint8_t> data = read_bytes(path);
  const Scan scanned = scan(data);
  LocalLocation local;
  local.location.rank = int(scanned.header.rank);
  local.location.thread = int(scanned.header.thread);
  if (data.size() < sizeof(fmt::FileHeader) || !scanned.problem.empty()) local.location.complete = false;
  local.convert = converter(scanned);
  local.tsc = scanned.header.clock_source == std::uint32_t(fmt::ClockSource::Tsc);
  if (!scanned.blocks.empty() && scanned.blocks.back().header.close_ticks > local.convert.ticks0) {
    local.span_ticks = scanned.blocks.back().header.close_ticks - local.convert.ticks0;
  }
  FileDecoder decoder(builder, local.location.rank, local.convert);
  Decoded decoded;
  std::size_t events = 0;
  for (const Block& block : scanned.blocks) events += block.header.events;
  decoded.calls.reserve(events);
  decoded.start_ns.reserve(events);
  decoded.end_ns.reserve(events);
  std::string problem = scanned.problem;
  for (const Block& block : scanned.blocks) {
    if (!decoder.block(block, decoded)) {
      problem = decoded.problem;
      break;
    }
  }
  if (!problem.empty() || !decoded.ended) local.location.complete = false;
  if (!problem.empty()) {
    builder.trace.warnings.push_back(path.string() + ": " + problem + "; read up to there (" +
                                     std::to_string(decoded.calls.size()) + " calls)");
  } else if (!decoded.ended) {
    builder.trace.warnings.push_back(path.string() + ": no end record (the rank did not reach MPI_Finalize); " +
                                     std::to_string(decoded.calls.size()) + " calls up to its last flush");
  }
  if (decoder.dropped()) {
    builder.trace.warnings.push_back(path.string() + ": " + std::to_string(decoder.dropped()) +
                                     " calls not logged (no buffer left within COMMTUNE_TRACE_BUDGET)");
  }
  local.location.calls = std::move(decoded.calls);
  local.start_ns = std::move(decoded.start_ns);
  local.end_ns = std::move(decoded.end_ns);
  return local;
}

// t_common = t_local * (1 + drift) + offset_ns, t_local being the rank's CLOCK_MONOTONIC ns less
// `epoch_ns` (rank 0's MPI_Init entry); the offset is interpolated between the two measurements.
ClockAlignment alignment(int rank, const RankInfo& info, double epoch_ns) {
  ClockAlignment clock;
  clock.rank = rank;
  if (!info.have_start) return clock;
  double slope = 0;
  if (info.have_end && info.end.local_ns > info.start.local_ns) {
    slope = (info.end.offset_ns - info.start.offset_ns) / double(info.end.local_ns - info.start.local_ns);
    clock.end_measured = true;
  }
  clock.drift = -slope;
  clock.offset_ns = -info.start.offset_ns + slope * (double(info.start.local_ns) - epoch_ns);
  return clock;
}

// The ranks and threads of one host read one time-stamp counter, but each file converts its ticks
// with the clock pairs it read itself, a few ns to a few us apart from the other files' (reading
// the counter and then CLOCK_MONOTONIC is not one instant): enough to put a receive before its
// send. Converting every TSC file of a host with one mapping (the file with the longest span:
// the best rate) keeps the counter's own order between them.
void share_host_tick_mapping(std::vector<LocalLocation>& locals, const std::map<int, RankInfo>& ranks) {
  std::map<std::string, const LocalLocation*> reference;  // host -> file whose mapping all use
  auto host_of = [&ranks](const LocalLocation& local) {
    const auto found = ranks.find(local.location.rank);
    return found == ranks.end() ? std::string() : found->second.host;
  };
  for (const LocalLocation& local : locals) {
    if (!local.tsc) continue;
    const LocalLocation*& best = reference[host_of(local)];
    if (!best || local.span_ticks > best->span_ticks) best = &local;
  }
  for (LocalLocation& local : locals) {
    if (!local.tsc) continue;
    const TickConverter& host = reference[host_of(local)]->convert;
    const TickConverter& own = local.convert;
    if (&host == &own) continue;
    // ns = own.ns0 + (t - own.ticks0) * own.rate  ->  host.ns0 + (t - host.ticks0) * host.rate
    const double scale = host.ns_per_tick / own.ns_per_tick;
    const double shift = double(host.ns0) + double(std::int64_t(own.ticks0 - host.ticks0)) * host.ns_per_tick;
    for (std::vector<double>* times : {&local.start_ns, &local.end_ns}) {
      for (double& ns : *times) ns = shift + (ns - double(own.ns0)) * scale;
    }
  }
}

void resolve_sites(Trace& trace) {
  std::vector<pmpi::callsites::ModuleOffset> items;
  for (const CallSite& site : trace.sites) items.push_back({site.module, site.offset});
  const pmpi::callsites::CallSiteResolver resolver;
  const auto resolved = resolver.resolve_offline(items);
  for (std::size_t i = 0; i < trace.sites.size() && i < resolved.size(); ++i) {
    trace.sites[i].symbol = resolved[i].function;
    trace.sites[i].file = resolved[i].file;
    trace.sites[i].line = resolved[i].line;
    trace.sites[i].debug_info = resolved[i].has_debug_info;
  }
}

}  // namespace

Trace read_trace(const fs::path& run_dir, const ReadOptions& options) {
  const std::vector<fs::path> files = run_directory::trace_logs(run_dir);
  if (files.empty()) {
    throw std::runtime_error("no trace logs (rank-*.ctrace) in " + run_directory::trace_path(run_dir).string());
  }
  Builder builder;
  std::vector<LocalLocation> locals;
  for (const fs::path& file : files) {
    locals.push_back(read_file(file, builder));
    builder.trace.ranks = std::max(builder.trace.ranks, locals.back().location.rank + 1);
  }
  share_host_tick_mapping(locals, builder.ranks);
  Trace& trace = builder.trace;
  static const RankInfo kNoInfo;
  const RankInfo& first = builder.ranks.count(0)  ? builder.ranks[0]
                          : builder.ranks.empty() ? kNoInfo
                                                  : builder.ranks.begin()->second;
  const double epoch_ns = double(first.init_mono_ns);
  trace.epoch_unix_ns = first.init_unix_ns;
  trace.program = first.program;
  trace.command = first.command;
  trace.hosts.assign(std::size_t(trace.ranks), "");
  for (int rank = 0; rank < trace.ranks; ++rank) {
    const RankInfo& info = builder.ranks[rank];
    trace.hosts[std::size_t(rank)] = info.host;
    // One host, one CLOCK_MONOTONIC: what a ping-pong would measure there is its own error.
    const bool same_clock = !info.host.empty() && info.host == first.host;
    trace.clocks.push_back(same_clock ? ClockAlignment{rank, 0.0, 0.0, info.have_end}
                                      : alignment(rank, info, epoch_ns));
  }
  for (LocalLocation& local : locals) {
    const ClockAlignment& clock = trace.clocks[std::size_t(local.location.rank)];
    auto common = [&](double local_ns) {
      const double ns = (local_ns - epoch_ns) * (1 + clock.drift) + clock.offset_ns;
      return ns > 0 ? std::uint64_t(std::llround(ns)) : 0;
    };
    for (std::size_t i = 0; i < local.location.calls.size(); ++i) {
      Call& call = local.location.calls[i];
      call.start_ns = common(local.start_ns[i]);
      call.end_ns = std::max(call.start_ns, common(local.end_ns[i]));
      for (Completion& done : call.completions) done.time_ns = call.end_ns;
    }
    // A thread's calls follow one another, so they are in order unless the clock conversion
    // rounded two neighbours the wrong way round.
    const auto by_start = [](const Call& a, const Call& b) { return a.start_ns < b.start_ns; };
    auto& calls = local.location.calls;
    if (!std::is_sorted(calls.begin(), calls.end(), by_start)) std::stable_sort(calls.begin(), calls.end(), by_start);
    trace.locations.push_back(std::move(local.location));
  }
  std::stable_sort(trace.locations.begin(), trace.locations.end(), [](const Location& a, const Location& b) {
    return std::tie(a.rank, a.thread) < std::tie(b.rank, b.thread);
  });
  if (options.resolve_sites) resolve_sites(trace);
  return std::move(trace);  // a member of the builder: returned by copy otherwise
}

}  // namespace commtune::trace
