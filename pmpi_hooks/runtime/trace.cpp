#include "runtime/trace.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <new>
#include <string_view>
#include <vector>

#include "commtune/pmpi/run_directory.hpp"
#include "runtime/clock.hpp"
#include "runtime/handles.hpp"
#include "runtime/peers.hpp"
#include "runtime/sites.hpp"
#include "trace/format.hpp"

namespace commtune::pmpi {

std::atomic<bool> g_tracing{false};

namespace fmt = commtune::trace::format;

// One thread's log: its file and the buffer of the block being filled (header space first).
struct ThreadTrace {
  int fd = -1;
  int thread = 0;
  std::uint8_t* buffer = nullptr;
  std::size_t capacity = 0;
  std::size_t used = 0;
  // `used` as of the last complete record: what a signal-time flush may write.
  std::atomic<std::size_t> committed{0};
  std::uint32_t events = 0;
  std::uint64_t base_ticks = 0;
  std::uint64_t previous_ticks = 0;  // the last Call's end: the next start's reference
  std::uint64_t opened_ticks = 0;    // when the block began filling (flush interval)
  std::uint64_t sequence = 0;
  std::uint64_t previous_request = 0;
  std::atomic<bool> busy{false};    // a block write is under way (owner or signal path)
  std::atomic<bool> closed{false};  // no more writes (error, exit); records are dropped
  std::uint32_t functions = 0;
  std::uint32_t sites = 0;
  std::uint16_t function_index[kFunctionCount] = {};  // index + 1 in this file, 0: not defined yet
  std::vector<std::uint8_t> comm_defined;             // by rank-local communicator id
};

namespace trace {
namespace {

constexpr int kMaxThreads = 1024;
constexpr std::uint32_t kMaxComms = 1u << 16;
constexpr std::size_t kCommSlots = 1u << 14;
constexpr std::size_t kMinBlockBytes = 64u << 10;
constexpr std::size_t kMaxBlockBytes = 1u << 20;  // one write(2) of it: a short stall (~0.3 ms)
constexpr int kNoArgument = INT_MIN;              // the function has no such argument (generator)

struct CommInfo {
  std::string name;
  fmt::CommOrigin origin = fmt::CommOrigin::FirstUse;
  std::uint32_t sequence = 0;
  int remote_size = 0;
  std::vector<int> members;  // world ranks: local group, then remote group
};

struct CommSlot {
  std::atomic<std::uintptr_t> key{0};
  std::atomic<std::uint32_t> id{0};
};

struct Global {
  bool function_on[kFunctionCount] = {};
  std::uint64_t window_start_ticks = 0;
  std::uint64_t window_end_ticks = ~std::uint64_t(0);
  std::uint64_t window_start_ns = 0;  // the same window on CLOCK_MONOTONIC (MPI_Init, MPI_Finalize)
  std::uint64_t window_end_ns = ~std::uint64_t(0);
  std::uint64_t flush_ticks = ~std::uint64_t(0);
  std::size_t block_bytes = kMaxBlockBytes;
  std::atomic<std::uint64_t> budget_left{0};
  std::atomic<int> threads{0};
  std::atomic<ThreadTrace*> thread_logs[kMaxThreads] = {};
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> dropped{0};
  std::string run_dir;    // DIR
  std::string directory;  // DIR/trace
  int rank = 0;
  int size = 0;
  MPI_Group world_group = MPI_GROUP_NULL;
  std::mutex comm_mutex;  // creation and first sight of communicators only
  std::atomic<const CommInfo*> comms[kMaxComms] = {};
  std::atomic<std::uint32_t> comm_count{0};
  CommSlot comm_slots[kCommSlots];
  std::map<std::vector<int>, std::uint32_t> created_per_members;
  std::uint32_t first_uses = 0;
  ThreadTrace no_log;  // the log of a thread that got none: closed
};

Global& g() {
  static Global* instance = new Global;  // never destroyed: wrappers may run during exit
  return *instance;
}

// ---- blocks ------------------------------------------------------------------------------------

void reset_block(ThreadTrace& log) noexcept {
  log.used = sizeof(fmt::BlockHeader);
  log.committed.store(log.used, std::memory_order_release);
  log.events = 0;
  log.base_ticks = log.previous_ticks;
  log.previous_request = 0;
  log.opened_ticks = clock::now();
}

bool write_all(int fd, const std::uint8_t* data, std::size_t size) noexcept {
  while (size > 0) {
    const ssize_t written = ::write(fd, data, size);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return false;
    data += written;
    size -= std::size_t(written);
  }
  return true;
}

// Writes the buffer's first `used` bytes as one block. Async-signal-safe.
bool write_block(ThreadTrace& log, std::size_t used) noexcept {
  if (used <= sizeof(fmt::BlockHeader)) return true;
  fmt::BlockHeader header{};
  header.magic = fmt::kBlockMagic;
  header.payload_bytes = std::uint32_t(used - sizeof header);
  header.events = log.events;
  header.base_ticks = log.base_ticks;
  header.close_ticks = clock::now();
  header.close_mono_ns = clock::monotonic_ns();
  header.sequence = log.sequence++;
  header.checksum = fmt::checksum(header, log.buffer + sizeof header, header.payload_bytes);
  std::memcpy(log.buffer, &header, sizeof header);
  return write_all(log.fd, log.buffer, used);
}

void flush(ThreadTrace& log) noexcept {
  if (log.busy.exchange(true, std::memory_order_acquire)) return;  // the exit path has it
  if (!log.closed && !write_block(log, log.used)) {
    log.closed = true;
    std::fprintf(stderr, "commtune: warning: cannot write the trace of rank %d thread %d to %s: %s\n", g().rank,
                 log.thread, g().directory.c_str(), std::strerror(errno));
  }
  reset_block(log);
  log.busy.store(false, std::memory_order_release);
}

// Room for `bytes` more: the current block is written first when they do not fit.
std::uint8_t* reserve(ThreadTrace& log, std::size_t bytes) noexcept {
  if (log.closed || bytes > log.capacity - sizeof(fmt::BlockHeader)) return nullptr;
  if (log.used + bytes > log.capacity) flush(log);
  // Still full when the exit path holds the buffer (it then closes the log).
  return log.closed || log.used + bytes > log.capacity ? nullptr : log.buffer + log.used;
}

void commit(ThreadTrace& log, std::uint8_t* end) noexcept {
  log.used = std::size_t(end - log.buffer);
  log.committed.store(log.used, std::memory_order_release);
}

// ---- threads -----------------------------------------------------------------------------------

std::uint64_t take_budget(std::uint64_t wanted) noexcept {
  std::uint64_t left = g().budget_left.load(std::memory_order_relaxed);
  for (;;) {
    const std::uint64_t taken = std::min(left, wanted);
    if (taken < kMinBlockBytes) return 0;
    if (g().budget_left.compare_exchange_weak(left, left - taken, std::memory_order_relaxed)) return taken;
  }
}

ThreadTrace* open_log(int thread) noexcept {
  const std::uint64_t bytes = take_budget(g().block_bytes);
  if (bytes == 0) return nullptr;
  auto* log = new (std::nothrow) ThreadTrace;
  auto* buffer = static_cast<std::uint8_t*>(std::malloc(bytes));
  char path[4096];
  const bool named = run_directory::trace_log_path(path, sizeof path, g().run_dir, g().rank, thread);
  const int fd = log && buffer && named ? ::open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : -1;
  fmt::FileHeader header{};
  std::memcpy(header.magic, fmt::kFileMagicText, sizeof header.magic);
  std::memcpy(header.schema, fmt::kSchema, sizeof fmt::kSchema);
  header.rank = std::uint32_t(g().rank);
  header.thread = std::uint32_t(thread);
  header.world_size = std::uint32_t(g().size);
  header.clock_source =
      std::uint32_t(clock::source() == clock::Source::Tsc ? fmt::ClockSource::Tsc : fmt::ClockSource::Monotonic);
  header.open_ticks = clock::now();
  header.open_mono_ns = clock::monotonic_ns();
  if (fd < 0 || !write_all(fd, reinterpret_cast<const std::uint8_t*>(&header), sizeof header)) {
    std::fprintf(stderr, "commtune: warning: cannot write the trace file %s: %s\n", path, std::strerror(errno));
    if (fd >= 0) ::close(fd);
    std::free(buffer);
    delete log;
    g().budget_left.fetch_add(bytes, std::memory_order_relaxed);
    return nullptr;
  }
  log->fd = fd;
  log->thread = thread;
  log->buffer = buffer;
  log->capacity = bytes;
  log->previous_ticks = header.open_ticks;
  reset_block(*log);
  return log;
}

// First MPI call of a thread in trace mode: its log, or the closed one when none can be had.
ThreadTrace* register_thread() noexcept {
  const int index = g().threads.fetch_add(1, std::memory_order_relaxed);
  ThreadTrace* log = index < kMaxThreads ? open_log(index) : nullptr;
  if (!log) log = &g().no_log;
  // The slot is published only once the log is complete: the exit path reads only what it finds.
  if (index < kMaxThreads && log != &g().no_log) g().thread_logs[index].store(log, std::memory_order_release);
  t_context.trace = log;
  return log;
}

ThreadTrace& this_thread() noexcept { return t_context.trace ? *t_context.trace : *register_thread(); }

// ---- definitions -------------------------------------------------------------------------------

std::uint32_t function_index(ThreadTrace& log, FunctionId id) noexcept {
  std::uint16_t& index = log.function_index[std::size_t(id)];
  if (index != 0) return index - 1u;
  const std::string_view name = kFunctionNames[std::size_t(id)];
  const std::string_view category = kFunctionCategories[std::size_t(id)];
  std::uint8_t* out = reserve(log, 1 + 10 + 2 * 10 + name.size() + category.size());
  if (!out) return 0;
  *out++ = std::uint8_t(fmt::Kind::FunctionDef);
  out = fmt::put_varint(out, log.functions);
  out = fmt::put_string(out, category);
  out = fmt::put_string(out, name);
  commit(log, out);
  index = std::uint16_t(++log.functions);
  return index - 1u;
}

std::uint32_t define_site(ThreadTrace& log, std::uint16_t module, std::uint64_t offset) noexcept {
  const char* path = modules::path(module);
  const std::string_view module_path = path ? path : "";
  std::uint8_t* out = reserve(log, 1 + 3 * 10 + module_path.size());
  if (!out) return 0;
  *out++ = std::uint8_t(fmt::Kind::SiteDef);
  out = fmt::put_varint(out, log.sites);
  out = fmt::put_string(out, module_path);
  out = fmt::put_varint(out, offset);
  commit(log, out);
  return log.sites++;
}

const CommInfo* comm_info(std::uint32_t id) noexcept {
  return id < kMaxComms ? g().comms[id].load(std::memory_order_acquire) : nullptr;
}

void define_comm(ThreadTrace& log, std::uint32_t id) noexcept {
  if (log.comm_defined.size() <= id) log.comm_defined.resize(id + 1, 0);
  if (log.comm_defined[id]) return;
  const CommInfo* info = comm_info(id);
  if (!info) return;
  std::uint8_t* out = reserve(log, 1 + 6 * 10 + info->name.size() + 10 * info->members.size());
  if (!out) return;
  *out++ = std::uint8_t(fmt::Kind::CommDef);
  out = fmt::put_varint(out, id);
  out = fmt::put_string(out, info->name);
  *out++ = std::uint8_t(info->origin);
  out = fmt::put_varint(out, info->sequence);
  out = fmt::put_varint(out, std::uint64_t(info->remote_size));
  out = fmt::put_varint(out, info->members.size());
  int previous = 0;
  for (int member : info->members) {
    out = fmt::put_varint(out, fmt::zigzag(std::int64_t(member) - previous));
    previous = member;
  }
  commit(log, out);
  log.comm_defined[id] = 1;
}

// ---- communicators -----------------------------------------------------------------------------

std::vector<int> members_of(MPI_Comm comm, int& remote_size) noexcept {
  std::vector<int> members;
  remote_size = 0;
  int inter = 0;
  PMPI_Comm_test_inter(comm, &inter);
  for (int remote = 0; remote <= inter; ++remote) {
    MPI_Group group = MPI_GROUP_NULL;
    if ((remote ? PMPI_Comm_remote_group(comm, &group) : PMPI_Comm_group(comm, &group)) != MPI_SUCCESS) break;
    int size = 0;
    PMPI_Group_size(group, &size);
    std::vector<int> ranks(static_cast<std::size_t>(size)), world(static_cast<std::size_t>(size), -1);
    for (int i = 0; i < size; ++i) ranks[std::size_t(i)] = i;
    PMPI_Group_translate_ranks(group, size, ranks.data(), g().world_group, world.data());
    PMPI_Group_free(&group);
    members.insert(members.end(), world.begin(), world.end());
    if (remote) remote_size = size;
  }
  return members;
}

// The member list every member of the communicator agrees on: an intercommunicator's two groups
// in a fixed order (each side lists its own group first).
std::vector<int> agreed_key(const CommInfo& info) {
  std::vector<int> key = info.members;
  if (info.remote_size > 0) {
    const auto middle = key.end() - info.remote_size;
    std::vector<int> local(key.begin(), middle), remote(middle, key.end());
    if (remote < local) std::swap(local, remote);
    key = local;
    key.push_back(-1);
    key.insert(key.end(), remote.begin(), remote.end());
  }
  return key;
}

// Maps the handle to a new id (under the mutex). A freed handle that MPI reuses is mapped anew
// when the new communicator is created.
std::uint32_t add_comm(MPI_Comm comm, CommInfo* info) noexcept {
  Global& s = g();
  const std::uint32_t id = s.comm_count.load(std::memory_order_relaxed);
  if (id >= kMaxComms) {
    delete info;
    return 0;
  }
  s.comms[id].store(info, std::memory_order_release);
  s.comm_count.store(id + 1, std::memory_order_relaxed);
  const std::uintptr_t key = handle_key(comm);
  std::size_t index = (key * 0x9E3779B97F4A7C15ull) >> (64 - 14);
  for (std::size_t probe = 0; probe < kCommSlots; ++probe, index = (index + 1) & (kCommSlots - 1)) {
    CommSlot& slot = s.comm_slots[index];
    const std::uintptr_t seen = slot.key.load(std::memory_order_relaxed);
    if (seen == key || seen == 0) {
      slot.id.store(id, std::memory_order_release);
      slot.key.store(key, std::memory_order_release);
      break;
    }
  }
  return id;
}

std::uint32_t register_comm(MPI_Comm comm, const char* name, fmt::CommOrigin origin) noexcept {
  auto* info = new (std::nothrow) CommInfo;
  if (!info) return 0;
  info->name = name;
  info->origin = origin;
  info->members = members_of(comm, info->remote_size);
  std::lock_guard<std::mutex> lock(g().comm_mutex);
  if (origin == fmt::CommOrigin::Created) {
    info->sequence = g().created_per_members[agreed_key(*info)]++;
  } else if (origin == fmt::CommOrigin::FirstUse) {
    info->sequence = g().first_uses++;
  }
  return add_comm(comm, info);
}

std::uint32_t comm_id(MPI_Comm comm) noexcept {
  const std::uintptr_t key = handle_key(comm);
  std::size_t index = (key * 0x9E3779B97F4A7C15ull) >> (64 - 14);
  for (std::size_t probe = 0; probe < kCommSlots; ++probe, index = (index + 1) & (kCommSlots - 1)) {
    const CommSlot& slot = g().comm_slots[index];
    const std::uintptr_t seen = slot.key.load(std::memory_order_acquire);
    if (seen == key) return slot.id.load(std::memory_order_acquire);
    if (seen == 0) break;
  }
  return register_comm(comm, "", fmt::CommOrigin::FirstUse);
}

// ---- filters -----------------------------------------------------------------------------------

bool wanted(const CallScope& call) noexcept {
  const std::uint64_t start = call.start_ticks();
  return g().function_on[std::size_t(call.function())] && start >= g().window_start_ticks &&
         start < g().window_end_ticks;
}

void choose_functions(const std::string& list) noexcept {
  for (std::size_t i = 0; i < kFunctionCount; ++i) {
    bool on = list == "all";
    std::string_view rest = list;
    while (!on && !rest.empty()) {
      const std::size_t comma = rest.find(',');
      on = rest.substr(0, comma) == kFunctionCategories[i];
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    }
    g().function_on[i] = on;
  }
}

// ---- records -----------------------------------------------------------------------------------

void put_call_fields(std::uint8_t*& out, const TraceFields& fields, std::uint8_t mask) noexcept {
  if (mask & fmt::kHasComm) out = fmt::put_varint(out, fields.comm);
  if (mask & fmt::kHasPeer) out = fmt::put_varint(out, fmt::zigzag(fields.peer));
  if (mask & fmt::kHasTag) out = fmt::put_varint(out, fmt::zigzag(fields.tag));
  if (mask & fmt::kHasSent) out = fmt::put_varint(out, fields.sent_bytes);
  if (mask & fmt::kHasReceived) out = fmt::put_varint(out, fields.received_bytes);
  if (mask & fmt::kHasRequest) out = fmt::put_varint(out, fields.request);
}

// MPI_Init and MPI_Finalize, whose times are CLOCK_MONOTONIC ns.
void record_ns(ThreadTrace& log, FunctionId id, std::uint64_t start_ns, std::uint64_t end_ns,
               const void* caller) noexcept {
  if (!g().function_on[std::size_t(id)] || start_ns < g().window_start_ns || start_ns >= g().window_end_ns) return;
  const std::uint32_t function = function_index(log, id);
  const modules::Location where = modules::locate(reinterpret_cast<std::uintptr_t>(caller));
  const std::uint32_t site = define_site(log, where.module, where.offset);
  TraceFields fields;
  fields.comm = 0;  // MPI_COMM_WORLD
  const std::uint8_t mask = fmt::kHasSite | fmt::kHasComm;
  define_comm(log, 0);
  std::uint8_t* out = reserve(log, fmt::kMaxCallBytes);
  if (!out) return;
  *out++ = std::uint8_t(fmt::Kind::CallNs);
  *out++ = mask;
  out = fmt::put_varint(out, function);
  out = fmt::put_varint(out, start_ns);
  out = fmt::put_varint(out, end_ns > start_ns ? end_ns - start_ns : 0);
  out = fmt::put_varint(out, site);
  put_call_fields(out, fields, mask);
  log.events += 1;
  commit(log, out);
}

struct Offset {
  std::int64_t offset_ns = 0;  // this rank's CLOCK_MONOTONIC minus rank 0's
  std::uint64_t round_trip_ns = 0;
  std::uint64_t origin_ns = 0;  // rank 0's `origin_ns` argument, on this rank's clock
};

// Rank 0 ping-pongs with every rank in turn; the fastest round trip of a few gives the offset
// (the remote reading is taken at the midpoint of the fastest exchange).
Offset measure_offset(MPI_Comm comm, int rank, int size, std::uint64_t origin_ns) noexcept {
  constexpr int kRounds = 16;
  constexpr int kTag = 7301;
  Offset mine;
  mine.origin_ns = origin_ns;
  if (rank == 0) {
    for (int peer = 1; peer < size; ++peer) {
      std::int64_t best[3] = {0, INT64_MAX, std::int64_t(origin_ns)};
      for (int round = 0; round < kRounds; ++round) {
        std::uint64_t sent = clock::monotonic_ns(), remote = 0;
        PMPI_Send(&sent, 1, MPI_UINT64_T, peer, kTag, comm);
        PMPI_Recv(&remote, 1, MPI_UINT64_T, peer, kTag, comm, MPI_STATUS_IGNORE);
        const std::uint64_t back = clock::monotonic_ns();
        const std::int64_t round_trip = std::int64_t(back - sent);
        if (round_trip < best[1]) best[0] = std::int64_t(remote) - std::int64_t(sent + (back - sent) / 2);
        best[1] = std::min(best[1], round_trip);
      }
      PMPI_Send(best, 3, MPI_INT64_T, peer, kTag, comm);
    }
  } else {
    for (int round = 0; round < kRounds; ++round) {
      std::uint64_t value = 0;
      PMPI_Recv(&value, 1, MPI_UINT64_T, 0, kTag, comm, MPI_STATUS_IGNORE);
      value = clock::monotonic_ns();
      PMPI_Send(&value, 1, MPI_UINT64_T, 0, kTag, comm);
    }
    std::int64_t result[3] = {};
    PMPI_Recv(result, 3, MPI_INT64_T, 0, kTag, comm, MPI_STATUS_IGNORE);
    mine.offset_ns = result[0];
    mine.round_trip_ns = std::uint64_t(result[1]);
    mine.origin_ns = std::uint64_t(result[2] + result[0]);
  }
  return mine;
}

void record_clock(ThreadTrace& log, int phase, const Offset& offset) noexcept {
  std::uint8_t* out = reserve(log, 1 + 1 + 3 * 10);
  if (!out) return;
  *out++ = std::uint8_t(fmt::Kind::Clock);
  *out++ = std::uint8_t(phase);
  out = fmt::put_varint(out, clock::monotonic_ns());
  out = fmt::put_varint(out, fmt::zigzag(offset.offset_ns));
  out = fmt::put_varint(out, offset.round_trip_ns);
  commit(log, out);
}

void record_run_info(ThreadTrace& log, const char* host, const char* program, const char* command,
                     std::uint64_t init_entry_ns, std::uint64_t init_unix_ns) noexcept {
  const std::size_t text = std::strlen(host) + std::strlen(program) + std::strlen(command);
  std::uint8_t* out = reserve(log, 1 + 5 * 10 + text);
  if (!out) return;
  *out++ = std::uint8_t(fmt::Kind::RunInfo);
  out = fmt::put_string(out, host);
  out = fmt::put_string(out, program);
  out = fmt::put_string(out, command);
  out = fmt::put_varint(out, init_entry_ns);
  out = fmt::put_varint(out, init_unix_ns);
  commit(log, out);
}

std::uint64_t ticks_after(std::uint64_t origin_ticks, double seconds, double ticks_per_second) noexcept {
  const double ticks = double(origin_ticks) + seconds * ticks_per_second;
  return ticks >= 1.8e19 ? ~std::uint64_t(0) : std::uint64_t(std::max(0.0, ticks));
}

// A clock reading and CLOCK_MONOTONIC at the same moment: the reading of a few whose two tick
// reads around clock_gettime lie closest together (no preemption between them).
struct ClockPair {
  std::uint64_t ticks = 0;
  std::uint64_t ns = 0;
};

ClockPair tight_pair() noexcept {
  ClockPair best;
  std::uint64_t best_gap = ~std::uint64_t(0);
  for (int attempt = 0; attempt < 8; ++attempt) {
    const std::uint64_t before = clock::now(), ns = clock::monotonic_ns(), after = clock::now();
    if (after - before < best_gap) {
      best_gap = after - before;
      best = {before + (after - before) / 2, ns};
    }
  }
  return best;
}

// The window and the flush interval in ticks. The tick rate comes from two tight pairs 20 ms
// apart (a few parts per million), not from the clock's calibration since MPI_Init, which is only
// milliseconds old here and off by up to 10% on a loaded machine.
void set_window(const Options& options, std::uint64_t origin_ns) noexcept {
  const ClockPair first = tight_pair();
  const timespec pause = {0, 20 * 1000 * 1000};
  nanosleep(&pause, nullptr);
  const ClockPair second = tight_pair();
  const double ticks_per_second = second.ns > first.ns && second.ticks > first.ticks
                                      ? double(second.ticks - first.ticks) * 1e9 / double(second.ns - first.ns)
                                      : 1.0 / clock::seconds_per_tick();
  // The origin on the tick clock.
  const double init_ticks =
      (double(second.ticks) - double(std::int64_t(second.ns - origin_ns)) * 1e-9 * ticks_per_second);
  const std::uint64_t origin = init_ticks > 0 ? std::uint64_t(init_ticks) : 0;
  g().window_start_ticks =
      options.window_start_s > 0 ? ticks_after(origin, options.window_start_s, ticks_per_second) : 0;
  g().window_end_ticks =
      options.window_end_s >= 0 ? ticks_after(origin, options.window_end_s, ticks_per_second) : ~std::uint64_t(0);
  g().window_start_ns = options.window_start_s > 0 ? ticks_after(origin_ns, options.window_start_s, 1e9) : 0;
  g().window_end_ns = options.window_end_s >= 0 ? ticks_after(origin_ns, options.window_end_s, 1e9) : ~std::uint64_t(0);
  g().flush_ticks = ticks_after(0, options.flush_seconds, ticks_per_second);
}

}  // namespace

// ---- the fast path -----------------------------------------------------------------------------

void set_args(CallScope& call, MPI_Comm comm, int peer, int tag, const MPI_Status* status) noexcept {
  TraceFields& fields = call.trace_fields;
  if (comm != MPI_COMM_NULL) {
    fields.comm = comm_id(comm);
    fields.comm_handle = comm;
    fields.mask |= fmt::kHasComm;
  }
  if (status) {
    peer = status->MPI_SOURCE;
    tag = status->MPI_TAG;
  }
  if (peer != kNoArgument) {
    fields.peer = comm != MPI_COMM_NULL ? peers::world_rank(comm, peer) : (peer < 0 ? -1 : peer);
    fields.mask |= fmt::kHasPeer;
  }
  if (tag != kNoArgument) {
    fields.tag = tag;
    fields.mask |= fmt::kHasTag;
  }
}

void record_call(const CallScope& call) noexcept {
  const SiteStats* stats = call.site_if_any();
  if (!stats || !wanted(call)) return;
  ThreadTrace& log = this_thread();
  if (log.closed) {
    g().dropped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const std::uint32_t function = function_index(log, call.function());
  auto& site_index = const_cast<SiteStats*>(stats)->trace_site;  // owned by this thread, as the log
  if (site_index == 0) site_index = define_site(log, stats->modules[0], stats->offsets[0]) + 1;
  const TraceFields& fields = call.trace_fields;
  if (fields.mask & fmt::kHasComm) define_comm(log, fields.comm);
  std::uint8_t* out = reserve(log, fmt::kMaxCallBytes);
  if (!out) return;
  const std::uint8_t mask = std::uint8_t(fields.mask | fmt::kHasSite | (fields.sent_bytes ? fmt::kHasSent : 0) |
                                         (fields.received_bytes ? fmt::kHasReceived : 0));
  const std::uint64_t start = call.start_ticks(), end = call.end_ticks();
  *out++ = mask;
  out = fmt::put_varint(out, function);
  out = fmt::put_varint(out, fmt::zigzag(std::int64_t(start - log.previous_ticks)));
  out = fmt::put_varint(out, end - start);
  out = fmt::put_varint(out, site_index - 1);
  put_call_fields(out, fields, mask);
  log.previous_ticks = end;
  log.events += 1;
  commit(log, out);
  if (end - log.opened_ticks > g().flush_ticks) flush(log);
}

void completion(const CallScope& call, std::uint64_t request, bool receive, int world_peer, int tag,
                std::int64_t bytes) noexcept {
  if (!call.tracing() || !wanted(call)) return;
  ThreadTrace& log = this_thread();
  std::uint8_t* out = reserve(log, fmt::kMaxCompletionBytes);
  if (!out) return;
  *out++ = std::uint8_t(fmt::Kind::Completion);
  out = fmt::put_varint(out, fmt::zigzag(std::int64_t(request - log.previous_request)));
  log.previous_request = request;
  *out++ = receive ? 3 : 0;  // bit 0: a receive; bit 1: its source, tag and bytes follow
  if (receive) {
    out = fmt::put_varint(out, fmt::zigzag(world_peer));
    out = fmt::put_varint(out, fmt::zigzag(tag));
    out = fmt::put_varint(out, std::uint64_t(bytes));
  }
  commit(log, out);
}

std::uint64_t next_request_id() noexcept { return g().requests.fetch_add(1, std::memory_order_relaxed) + 1; }

void comm_created(MPI_Comm comm, const char* function) noexcept {
  if (comm == MPI_COMM_NULL) return;
  register_comm(comm, function, fmt::CommOrigin::Created);
}

// ---- life --------------------------------------------------------------------------------------

bool start(const Options& options, MPI_Comm comm, const char* run_dir, int rank, int size, FunctionId init_function,
           std::uint64_t init_entry_ns, const void* init_caller, const char* host, const char* program,
           const char* command, std::uint64_t init_unix_ns) noexcept {
  Global& s = g();
  s.rank = rank;
  s.size = size;
  s.run_dir = run_dir;
  s.directory = run_directory::trace_path(run_dir).string();
  s.no_log.closed = true;
  const bool have_directory = *run_dir && (::mkdir(s.directory.c_str(), 0755) == 0 || errno == EEXIST);
  s.block_bytes = std::clamp<std::size_t>(options.budget_bytes / 8, kMinBlockBytes, kMaxBlockBytes);
  s.budget_left.store(options.budget_bytes, std::memory_order_relaxed);
  choose_functions(options.functions);
  PMPI_Comm_group(MPI_COMM_WORLD, &s.world_group);
  register_comm(MPI_COMM_WORLD, "MPI_COMM_WORLD", fmt::CommOrigin::World);
  register_comm(MPI_COMM_SELF, "MPI_COMM_SELF", fmt::CommOrigin::Self);
  // Collective, before any early return; the window counts from rank 0's MPI_Init entry.
  const Offset offset = measure_offset(comm, rank, size, init_entry_ns);
  if (!have_directory) {
    std::fprintf(stderr, "commtune: warning: cannot create %s: no trace is written\n", s.directory.c_str());
    return false;
  }
  set_window(options, offset.origin_ns);
  ThreadTrace& log = *register_thread();  // thread 0: the one that called MPI_Init
  if (log.closed) return false;
  record_run_info(log, host, program, command, init_entry_ns, init_unix_ns);
  record_clock(log, 0, offset);
  record_ns(log, init_function, init_entry_ns, clock::monotonic_ns(), init_caller);
  g_tracing.store(true, std::memory_order_relaxed);
  return true;
}

namespace {
template <class Action>
void for_each_log(Action action) noexcept {
  const int threads = std::min(g().threads.load(std::memory_order_relaxed), kMaxThreads);
  for (int i = 0; i < threads; ++i) {
    if (ThreadTrace* log = g().thread_logs[i].load(std::memory_order_acquire)) action(*log);
  }
}
}  // namespace

void finish(MPI_Comm comm, std::uint64_t finalize_entry_ns, const void* caller) noexcept {
  const bool was_tracing = g_tracing.exchange(false);
  // Everything so far is written before the last collective step, which a dead peer can block.
  if (was_tracing) for_each_log([](ThreadTrace& log) { flush(log); });
  const Offset offset = measure_offset(comm, g().rank, g().size, 0);  // collective: every rank takes part
  if (!was_tracing) return;
  ThreadTrace& own = this_thread();
  if (!own.closed) {
    record_clock(own, 1, offset);
    record_ns(own, FunctionId::MPI_Finalize, finalize_entry_ns, clock::monotonic_ns(), caller);
  }
  for_each_log([](ThreadTrace& log) {
    const std::uint64_t dropped = g().dropped.exchange(0, std::memory_order_relaxed);
    if (std::uint8_t* out = dropped ? reserve(log, 1 + 10) : nullptr) {
      *out++ = std::uint8_t(fmt::Kind::Dropped);
      commit(log, fmt::put_varint(out, dropped));
    }
    if (std::uint8_t* out = reserve(log, 1)) {
      *out++ = std::uint8_t(fmt::Kind::End);
      commit(log, out);
    }
    flush(log);
    log.closed = true;
    ::close(log.fd);
  });
}

void flush_for_exit() noexcept {
  if (!g_tracing.exchange(false)) return;
  for_each_log([](ThreadTrace& log) {
    if (log.busy.exchange(true, std::memory_order_acquire)) return;  // its owner is writing
    if (!log.closed) write_block(log, log.committed.load(std::memory_order_acquire));
    log.closed = true;  // the owner, still running, writes nothing more; busy stays taken
  });
}

}  // namespace trace
}  // namespace commtune::pmpi
