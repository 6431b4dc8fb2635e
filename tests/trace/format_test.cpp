// The trace log format (trace/format.hpp) and its reader (trace/reader.hpp), without MPI: logs
// written here record by record with the format's own encoders, then read back.
#include "trace/format.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "trace/reader.hpp"

namespace fs = std::filesystem;
namespace fmt = commtune::trace::format;
using namespace commtune::trace;

namespace {

// A log file built in memory, one block at a time (the clock is CLOCK_MONOTONIC: ticks are ns).
class LogWriter {
 public:
  LogWriter(int rank, int thread, std::uint64_t open_ns) {
    fmt::FileHeader header{};
    std::memcpy(header.magic, fmt::kFileMagicText, 8);
    std::memcpy(header.schema, fmt::kSchema, sizeof fmt::kSchema);
    header.rank = std::uint32_t(rank);
    header.thread = std::uint32_t(thread);
    header.world_size = 2;
    header.clock_source = std::uint32_t(fmt::ClockSource::Monotonic);
    header.open_ticks = header.open_mono_ns = open_ns;
    append(&header, sizeof header);
    base_ = previous_ = open_ns;
  }
  void function(std::uint32_t index, const char* category, const char* name) {
    put(fmt::Kind::FunctionDef);
    varint(index);
    string(category);
    string(name);
  }
  void site(std::uint32_t index, const char* module, std::uint64_t offset) {
    put(fmt::Kind::SiteDef);
    varint(index);
    string(module);
    varint(offset);
  }
  void comm(std::uint32_t id, const char* name, fmt::CommOrigin origin, std::uint32_t sequence,
            const std::vector<int>& members) {
    put(fmt::Kind::CommDef);
    varint(id);
    string(name);
    payload_.push_back(std::uint8_t(origin));
    varint(sequence);
    varint(0);
    varint(members.size());
    int previous = 0;
    for (int member : members) {
      varint(fmt::zigzag(member - previous));
      previous = member;
    }
  }
  void run_info(std::uint64_t init_ns, const char* host = "host") {
    put(fmt::Kind::RunInfo);
    string(host);
    string("program");
    string("program --flag");
    varint(init_ns);
    varint(1700000000000000000ull);
  }
  void clock(int phase, std::uint64_t local_ns, std::int64_t offset_ns) {
    put(fmt::Kind::Clock);
    payload_.push_back(std::uint8_t(phase));
    varint(local_ns);
    varint(fmt::zigzag(offset_ns));
    varint(500);
  }
  struct CallRecord {
    std::uint32_t function = 0, site = 0, comm = 0;
    std::uint64_t start = 0, end = 0;
    int peer = -1, tag = -1;
    std::uint64_t sent = 0, received = 0, request = 0;
    std::uint8_t mask = fmt::kHasSite;
  };
  void call(const CallRecord& c) {
    payload_.push_back(c.mask);
    varint(c.function);
    varint(fmt::zigzag(std::int64_t(c.start - previous_)));
    varint(c.end - c.start);
    if (c.mask & fmt::kHasSite) varint(c.site);
    if (c.mask & fmt::kHasComm) varint(c.comm);
    if (c.mask & fmt::kHasPeer) varint(fmt::zigzag(c.peer));
    if (c.mask & fmt::kHasTag) varint(fmt::zigzag(c.tag));
    if (c.mask & fmt::kHasSent) varint(c.sent);
    if (c.mask & fmt::kHasReceived) varint(c.received);
    if (c.mask & fmt::kHasRequest) varint(c.request);
    previous_ = c.end;
    events_ += 1;
  }
  void completion(std::uint64_t request, bool receive, int peer, int tag, std::uint64_t bytes) {
    put(fmt::Kind::Completion);
    varint(fmt::zigzag(std::int64_t(request - previous_request_)));
    previous_request_ = request;
    payload_.push_back(receive ? 3 : 0);
    if (receive) {
      varint(fmt::zigzag(peer));
      varint(fmt::zigzag(tag));
      varint(bytes);
    }
  }
  void end() { put(fmt::Kind::End); }
  // Closes the block: header, checksum; returns the file size after it.
  std::size_t close_block(std::uint64_t close_ns) {
    fmt::BlockHeader header{};
    header.magic = fmt::kBlockMagic;
    header.payload_bytes = std::uint32_t(payload_.size());
    header.events = events_;
    header.base_ticks = base_;
    header.close_ticks = header.close_mono_ns = close_ns;
    header.sequence = sequence_++;
    header.checksum = fmt::checksum(header, payload_.data(), payload_.size());
    append(&header, sizeof header);
    append(payload_.data(), payload_.size());
    payload_.clear();
    events_ = 0;
    base_ = previous_;
    previous_request_ = 0;
    return bytes_.size();
  }
  const std::vector<std::uint8_t>& bytes() const { return bytes_; }

 private:
  void put(fmt::Kind kind) { payload_.push_back(std::uint8_t(kind)); }
  void varint(std::uint64_t value) {
    std::uint8_t buffer[10];
    payload_.insert(payload_.end(), buffer, fmt::put_varint(buffer, value));
  }
  void string(const char* text) {
    varint(std::strlen(text));
    payload_.insert(payload_.end(), text, text + std::strlen(text));
  }
  void append(const void* data, std::size_t size) {
    const auto* p = static_cast<const std::uint8_t*>(data);
    bytes_.insert(bytes_.end(), p, p + size);
  }
  std::vector<std::uint8_t> bytes_, payload_;
  std::uint64_t base_ = 0, previous_ = 0, previous_request_ = 0, sequence_ = 0;
  std::uint32_t events_ = 0;
};

class TraceDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("commtune-trace-test-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) +
            "-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "trace");
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(int rank, int thread, const std::vector<std::uint8_t>& bytes, std::size_t size) {
    char name[64];
    std::snprintf(name, sizeof name, "rank-%05d.thread-%03d.ctrace", rank, thread);
    std::ofstream out(dir_ / "trace" / name, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(size));
  }
  Trace read() {
    ReadOptions options;
    options.resolve_sites = false;
    return read_trace(dir_, options);
  }
  fs::path dir_;
};

constexpr std::uint64_t kInit = 1'000'000'000;  // rank 0's MPI_Init entry (CLOCK_MONOTONIC ns)

// Rank `rank`'s log: definitions, a send (or a receive posted and completed) on a split
// communicator, and the end record. Its world rank list is [1, 0] on both ranks.
LogWriter two_rank_log(int rank, std::int64_t offset_start, std::int64_t offset_end, const char* host = "host") {
  LogWriter log(rank, 0, kInit);
  log.run_info(kInit, host);
  log.clock(0, kInit + 100, offset_start);
  log.function(0, "p2p", rank == 0 ? "MPI_Isend" : "MPI_Irecv");
  log.function(1, "completion", "MPI_Wait");
  log.site(0, "/bin/app", 0x1234);
  log.comm(0, "MPI_COMM_WORLD", fmt::CommOrigin::World, 0, {0, 1});
  // Rank 1 defines the split communicator under another local id: ids must still match.
  const std::uint32_t local_split = rank == 0 ? 5 : 9;
  log.comm(local_split, "MPI_Comm_split", fmt::CommOrigin::Created, 0, {1, 0});
  LogWriter::CallRecord post;
  post.function = 0;
  post.comm = local_split;
  post.start = kInit + 1000;
  post.end = kInit + 1500;
  post.peer = 1 - rank;
  post.tag = 42;
  post.request = 7;
  post.mask |= fmt::kHasComm | fmt::kHasPeer | fmt::kHasTag | fmt::kHasRequest;
  if (rank == 0) {
    post.sent = 64;
    post.mask |= fmt::kHasSent;
  }
  log.call(post);
  log.close_block(kInit + 2000);
  log.completion(7, rank == 1, 0, 42, 64);
  LogWriter::CallRecord wait;
  wait.function = 1;
  wait.start = kInit + 3000;
  wait.end = kInit + 4000;
  log.call(wait);
  log.clock(1, kInit + 2'000'000'100, offset_end);
  log.end();
  log.close_block(kInit + 5000);
  return log;
}

}  // namespace

TEST(Varint, RoundTripsEdgeValues) {
  for (std::uint64_t value : {0ull, 1ull, 127ull, 128ull, 16383ull, 16384ull, (1ull << 63), ~0ull}) {
    std::uint8_t buffer[10];
    const std::uint8_t* end = fmt::put_varint(buffer, value);
    fmt::Cursor in(buffer, std::size_t(end - buffer));
    EXPECT_EQ(in.varint(), value);
    EXPECT_TRUE(in.ok());
    EXPECT_TRUE(in.done());
  }
  for (std::int64_t value : std::initializer_list<std::int64_t>{
           0, -1, 1, -64, 64, std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max()}) {
    EXPECT_EQ(fmt::unzigzag(fmt::zigzag(value)), value);
  }
}

TEST(Cursor, FailsInsteadOfReadingPastTheEnd) {
  const std::uint8_t unfinished[] = {0x80, 0x80};
  fmt::Cursor in(unfinished, sizeof unfinished);
  in.varint();
  EXPECT_FALSE(in.ok());
  const std::uint8_t long_string[] = {5, 'a', 'b'};
  fmt::Cursor text(long_string, sizeof long_string);
  EXPECT_TRUE(text.string().empty());
  EXPECT_FALSE(text.ok());
}

TEST_F(TraceDir, RoundTripOfCallsDefinitionsAndCompletions) {
  for (int rank = 0; rank < 2; ++rank) {
    const LogWriter log = two_rank_log(rank, 0, 0);
    write(rank, 0, log.bytes(), log.bytes().size());
  }
  const Trace trace = read();
  EXPECT_TRUE(trace.warnings.empty()) << trace.warnings.front();
  EXPECT_EQ(trace.ranks, 2);
  EXPECT_EQ(trace.program, "program");
  EXPECT_EQ(trace.command, "program --flag");
  EXPECT_EQ(trace.epoch_unix_ns, 1700000000000000000ull);
  ASSERT_EQ(trace.locations.size(), 2u);
  ASSERT_EQ(trace.communicators.size(), 2u);
  for (const Location& location : trace.locations) {
    EXPECT_TRUE(location.complete);
    ASSERT_EQ(location.calls.size(), 2u);
    const Call& post = location.calls[0];
    EXPECT_EQ(trace.functions[post.function].name, location.rank == 0 ? "MPI_Isend" : "MPI_Irecv");
    EXPECT_EQ(trace.functions[post.function].category, Category::P2p);
    EXPECT_EQ(post.start_ns, 1000u);
    EXPECT_EQ(post.end_ns, 1500u);
    EXPECT_EQ(post.peer, 1 - location.rank);
    EXPECT_EQ(post.tag, 42);
    EXPECT_EQ(post.request, 7u);
    EXPECT_EQ(post.bytes_sent, location.rank == 0 ? 64u : 0u);
    EXPECT_EQ(trace.sites[post.site].module, "/bin/app");
    EXPECT_EQ(trace.sites[post.site].offset, 0x1234u);
    const Communicator& split = trace.communicators[post.comm];
    EXPECT_EQ(split.name, "MPI_Comm_split");
    EXPECT_EQ(split.world_ranks, (std::vector<int>{1, 0}));
    const Call& wait = location.calls[1];
    EXPECT_EQ(trace.functions[wait.function].category, Category::Completion);
    EXPECT_EQ(wait.start_ns, 3000u);
    ASSERT_EQ(wait.completions.size(), 1u);
    EXPECT_EQ(wait.completions[0].request, 7u);
    EXPECT_EQ(wait.completions[0].time_ns, 4000u);
    EXPECT_EQ(wait.completions[0].receive, location.rank == 1);
    if (location.rank == 1) {
      EXPECT_EQ(wait.completions[0].peer, 0);
      EXPECT_EQ(wait.completions[0].bytes, 64u);
    }
  }
  EXPECT_EQ(trace.locations[0].calls[0].comm, trace.locations[1].calls[0].comm);
}

TEST_F(TraceDir, ClockOffsetsAndDriftMoveRanksOntoRankZerosClock) {
  // Rank 1, on another host, has a clock 10 us ahead at the start and 30 us ahead 2 s later.
  for (int rank = 0; rank < 2; ++rank) {
    const LogWriter log = two_rank_log(rank, rank == 1 ? 10'000 : 0, rank == 1 ? 30'000 : 0, rank == 1 ? "b" : "a");
    write(rank, 0, log.bytes(), log.bytes().size());
  }
  const Trace trace = read();
  ASSERT_EQ(trace.clocks.size(), 2u);
  EXPECT_TRUE(trace.clocks[1].end_measured);
  EXPECT_NEAR(trace.clocks[1].drift, -1e-5, 1e-9);
  // Rank 1's send at local 1000 ns after rank 0's MPI_Init: 1000 - 10000 ns, clamped at 0.
  EXPECT_EQ(trace.locations[1].calls[0].start_ns, 0u);
  // Its wait at local 3000 ns ends at 4000 - (10000 + 2 ns of drift): before the epoch.
  EXPECT_EQ(trace.locations[1].calls[1].end_ns, 0u);
  EXPECT_EQ(trace.locations[0].calls[1].end_ns, 4000u);
}

TEST_F(TraceDir, RanksOnRankZerosHostShareItsClock) {
  for (int rank = 0; rank < 2; ++rank) {
    const LogWriter log = two_rank_log(rank, rank == 1 ? 10'000 : 0, rank == 1 ? 30'000 : 0);
    write(rank, 0, log.bytes(), log.bytes().size());
  }
  const Trace trace = read();
  ASSERT_EQ(trace.clocks.size(), 2u);
  EXPECT_EQ(trace.clocks[1].offset_ns, 0.0);
  EXPECT_EQ(trace.clocks[1].drift, 0.0);
  EXPECT_EQ(trace.locations[1].calls[0].start_ns, 1000u);
}

TEST_F(TraceDir, ATornBlockEndsTheReadingWithAWarning) {
  const LogWriter log = two_rank_log(0, 0, 0);
  std::vector<std::uint8_t> damaged = log.bytes();
  damaged[damaged.size() - 3] ^= 0x40;  // inside the last block's payload
  write(0, 0, damaged, damaged.size());
  const Trace trace = read();
  ASSERT_EQ(trace.locations.size(), 1u);
  EXPECT_FALSE(trace.locations[0].complete);
  EXPECT_EQ(trace.locations[0].calls.size(), 1u);
  ASSERT_EQ(trace.warnings.size(), 1u);
  EXPECT_NE(trace.warnings[0].find("rank-00000.thread-000.ctrace"), std::string::npos) << trace.warnings[0];
  EXPECT_NE(trace.warnings[0].find("damaged block"), std::string::npos) << trace.warnings[0];
}

TEST_F(TraceDir, TruncationAtEveryByteGivesTheCompletePrefix) {
  // Three blocks of 4, 4 and 3 calls (the last with the end record).
  LogWriter log(0, 0, kInit);
  log.run_info(kInit);
  log.clock(0, kInit, 0);
  log.function(0, "other", "MPI_Comm_rank");
  log.site(0, "/bin/app", 16);
  std::vector<std::pair<std::size_t, std::size_t>> ends;  // (file size after block, calls so far)
  std::size_t calls = 0;
  for (int block = 0; block < 3; ++block) {
    for (int i = 0; i < (block == 2 ? 3 : 4); ++i, ++calls) {
      LogWriter::CallRecord call;
      call.start = kInit + 100 * calls;
      call.end = call.start + 50;
      log.call(call);
    }
    if (block == 2) log.end();
    ends.emplace_back(log.close_block(kInit + 100 * calls), calls);
  }
  const std::vector<std::uint8_t>& bytes = log.bytes();
  for (std::size_t size = 0; size <= bytes.size(); ++size) {
    write(0, 0, bytes, size);
    const Trace trace = read();
    std::size_t expected = 0;
    for (const auto& [end, count] : ends) {
      if (end <= size) expected = count;
    }
    ASSERT_EQ(trace.locations.size(), 1u) << size;
    EXPECT_EQ(trace.locations[0].calls.size(), expected) << "truncated at byte " << size;
    EXPECT_EQ(trace.locations[0].complete, size == bytes.size()) << size;
    EXPECT_EQ(trace.warnings.empty(), size == bytes.size()) << size;
  }
}

TEST_F(TraceDir, NoLogsIsAnErrorNamingTheDirectory) {
  try {
    read();
    FAIL() << "read_trace accepted a directory without logs";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find(dir_.string()), std::string::npos);
  }
}
