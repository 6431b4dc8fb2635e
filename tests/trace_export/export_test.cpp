// The exporters on synthetic traces of known content (pmpi_hooks/trace/export/synthetic.hpp):
// what otf2-print reads back from the OTF2 archive, and what the timeline JSON holds.
#include <fmt/core.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>

#include "trace/export/call_kinds.hpp"
#include "trace/export/messages.hpp"
#include "trace/export/otf2_export.hpp"
#include "trace/export/synthetic.hpp"
#include "trace/export/timeline_export.hpp"

namespace commtune::trace {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class ScratchDir {
 public:
  ScratchDir() {
    const auto* info = testing::UnitTest::GetInstance()->current_test_info();
    path_ = fs::temp_directory_path() /
            fmt::format("commtune-export-test-{}-{}-{}", getpid(), info->test_suite_name(), info->name());
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~ScratchDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

struct Printed {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// otf2-print exits 0 even when it reports errors: its stderr is what says whether it read cleanly.
Printed otf2_print(const fs::path& anchor, const std::string& options = "") {
  const fs::path out = anchor.parent_path() / "print.out";
  const fs::path err = anchor.parent_path() / "print.err";
  const std::string command =
      fmt::format("{} {} '{}' > '{}' 2> '{}'", OTF2_PRINT, options, anchor.string(), out.string(), err.string());
  Printed printed;
  const int status = std::system(command.c_str());
  printed.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  auto slurp = [](const fs::path& path) {
    std::ifstream in(path);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  printed.out = slurp(out);
  printed.err = slurp(err);
  return printed;
}

// Event records by kind ("ENTER", "MPI_ISEND", ...) and ENTER records by region name.
struct EventCounts {
  std::map<std::string, std::uint64_t> by_kind;
  std::map<std::string, std::uint64_t> enter_by_region;
};

EventCounts count_events(const std::string& printed) {
  EventCounts counts;
  std::istringstream lines(printed);
  bool in_events = false;
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("-----")) {
      in_events = true;
      continue;
    }
    if (!in_events || line.empty() || line[0] < 'A' || line[0] > 'Z') continue;
    const std::string kind = line.substr(0, line.find(' '));
    ++counts.by_kind[kind];
    if (kind == "ENTER") {
      const auto open = line.find("Region: \"");
      const auto close = line.find('"', open + 9);
      ++counts.enter_by_region[line.substr(open + 9, close - open - 9)];
    }
  }
  return counts;
}

std::map<std::string, std::uint64_t> calls_by_function(const Trace& trace) {
  std::map<std::string, std::uint64_t> calls;
  for (const Location& location : trace.locations) {
    for (const Call& call : location.calls) ++calls[trace.functions[call.function].name];
  }
  return calls;
}

std::uint64_t total_calls(const Trace& trace) {
  std::uint64_t calls = 0;
  for (const Location& location : trace.locations) calls += location.calls.size();
  return calls;
}

// What the archive of a synthetic trace must hold, from the trace's calls by function name.
void expect_events_match_calls(const Trace& trace, const EventCounts& counts) {
  auto calls = calls_by_function(trace);
  auto kind = [&](const char* name) { return counts.by_kind.count(name) ? counts.by_kind.at(name) : 0; };
  EXPECT_EQ(kind("ENTER"), total_calls(trace));
  EXPECT_EQ(kind("LEAVE"), total_calls(trace));
  EXPECT_EQ(counts.enter_by_region, calls);
  EXPECT_EQ(kind("MPI_SEND"), calls["MPI_Send"] + calls["MPI_Sendrecv"]);
  EXPECT_EQ(kind("MPI_RECV"), calls["MPI_Recv"] + calls["MPI_Sendrecv"]);
  EXPECT_EQ(kind("MPI_ISEND"), calls["MPI_Isend"]);
  EXPECT_EQ(kind("MPI_ISEND_COMPLETE"), calls["MPI_Isend"]);
  EXPECT_EQ(kind("MPI_IRECV_REQUEST"), calls["MPI_Irecv"]);
  EXPECT_EQ(kind("MPI_IRECV"), calls["MPI_Irecv"]);
  EXPECT_EQ(kind("MPI_COLLECTIVE_BEGIN"), calls["MPI_Allreduce"] + calls["MPI_Bcast"]);
  EXPECT_EQ(kind("MPI_COLLECTIVE_END"), calls["MPI_Allreduce"] + calls["MPI_Bcast"]);
  EXPECT_EQ(kind("NON_BLOCKING_COLLECTIVE_REQUEST"), calls["MPI_Iallreduce"]);
  EXPECT_EQ(kind("NON_BLOCKING_COLLECTIVE_COMPLETE"), calls["MPI_Iallreduce"]);
}

TEST(Otf2, EventsMatchTheCallsOfTheTrace) {
  ScratchDir dir;
  const Trace trace = make_synthetic_trace({.ranks = 2, .threads = 1, .iterations = 50});
  const Otf2Result result = write_otf2(trace, dir.path() / "otf2");
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(result.locations, 2u);
  const Printed printed = otf2_print(result.anchor);
  EXPECT_EQ(printed.exit_code, 0);
  EXPECT_EQ(printed.err, "");
  const EventCounts counts = count_events(printed.out);
  expect_events_match_calls(trace, counts);
  std::uint64_t printed_events = 0;
  for (const auto& [kind, count] : counts.by_kind) printed_events += count;
  EXPECT_EQ(printed_events, result.events);
}

TEST(Otf2, ThreadsAndRequestsCompletedOnAnotherThread) {
  ScratchDir dir;
  const Trace trace = make_synthetic_trace({.ranks = 3, .threads = 3, .iterations = 20});
  const Otf2Result result = write_otf2(trace, dir.path());
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(result.locations, 9u);
  const Printed printed = otf2_print(result.anchor);
  EXPECT_EQ(printed.err, "");
  expect_events_match_calls(trace, count_events(printed.out));
}

TEST(Otf2, DefinitionsNameHostsRanksThreadsAndDerivedCommunicators) {
  ScratchDir dir;
  const Trace trace = make_synthetic_trace({.ranks = 4, .threads = 2, .iterations = 2});
  const Otf2Result result = write_otf2(trace, dir.path());
  ASSERT_TRUE(result.ok) << result.error;
  const Printed printed = otf2_print(result.anchor, "-G");
  EXPECT_EQ(printed.err, "");
  std::map<std::string, std::vector<std::string>> definitions;
  std::istringstream lines(printed.out);
  for (std::string line; std::getline(lines, line);) definitions[line.substr(0, line.find(' '))].push_back(line);
  EXPECT_EQ(definitions["LOCATION"].size(), 8u);
  EXPECT_EQ(definitions["LOCATION_GROUP"].size(), 4u);
  EXPECT_EQ(definitions["SYSTEM_TREE_NODE"].size(), 3u);  // the machine, node-a, node-b
  EXPECT_NE(printed.out.find("Ticks per Seconds: 1000000000"), std::string::npos);
  ASSERT_EQ(definitions["COMM"].size(), 4u);
  // The even ranks' communicator from MPI_Comm_split: its group lists world ranks 0 and 2, and
  // it names the world as its parent.
  const std::string& split = definitions["COMM"][2];
  EXPECT_NE(split.find("MPI_Comm_split #2"), std::string::npos) << split;
  EXPECT_NE(split.find("Parent: \"MPI_COMM_WORLD\""), std::string::npos) << split;
  bool group_found = false;
  for (const std::string& group : definitions["GROUP"]) {
    if (group.find("\"MPI_Comm_split #2\"") == std::string::npos) continue;
    group_found = true;
    EXPECT_NE(group.find("COMM_GROUP"), std::string::npos) << group;
    EXPECT_NE(group.find("2 Members: 0 ("), std::string::npos) << group;
    EXPECT_NE(group.find(", 2 ("), std::string::npos) << group;
  }
  EXPECT_TRUE(group_found);
  EXPECT_NE(printed.out.find("Type: COMM_LOCATIONS"), std::string::npos);
  EXPECT_NE(printed.out.find("Type: COMM_SELF"), std::string::npos);
}

TEST(Otf2, RankWithoutLogAndCutLogReadCleanly) {
  ScratchDir dir;
  Trace trace = make_synthetic_trace({.ranks = 3, .threads = 1, .iterations = 10});
  // Rank 2 was killed before its first flush; rank 1's log ends in the middle of the run.
  trace.locations.pop_back();
  trace.locations[1].complete = false;
  trace.locations[1].calls.resize(trace.locations[1].calls.size() / 2 + 1);  // ends after an MPI_Irecv
  const Otf2Result result = write_otf2(trace, dir.path());
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(result.locations, 3u);
  const Printed printed = otf2_print(result.anchor);
  EXPECT_EQ(printed.exit_code, 0);
  EXPECT_EQ(printed.err, "");
  const EventCounts counts = count_events(printed.out);
  EXPECT_EQ(counts.by_kind.at("ENTER"), total_calls(trace));
  EXPECT_EQ(counts.enter_by_region, calls_by_function(trace));
}

TEST(Otf2, ReplacesAnEarlierArchiveAndKeepsOtherFiles) {
  ScratchDir dir;
  std::ofstream(dir.path() / "notes.txt") << "mine";
  ASSERT_TRUE(write_otf2(make_synthetic_trace({.iterations = 30}), dir.path()).ok);
  const Trace smaller = make_synthetic_trace({.iterations = 3});
  const Otf2Result result = write_otf2(smaller, dir.path());
  ASSERT_TRUE(result.ok) << result.error;
  const Printed printed = otf2_print(result.anchor);
  EXPECT_EQ(printed.err, "");
  EXPECT_EQ(count_events(printed.out).by_kind.at("ENTER"), total_calls(smaller));
  EXPECT_TRUE(fs::exists(dir.path() / "notes.txt"));
}

TEST(Otf2, LeavesADirectoryNamedTracesThatIsNotAnArchive) {
  ScratchDir dir;
  fs::create_directories(dir.path() / "traces");
  std::ofstream(dir.path() / "traces" / "mine.txt") << "mine";
  const Otf2Result result = write_otf2(make_synthetic_trace({}), dir.path());
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.error.find("not part of an OTF2 archive"), std::string::npos) << result.error;
  EXPECT_TRUE(fs::exists(dir.path() / "traces" / "mine.txt"));
}

TEST(Otf2, UnwritableDirectoryIsAnError) {
  ScratchDir dir;
  std::ofstream(dir.path() / "file") << "x";
  const Otf2Result result = write_otf2(make_synthetic_trace({}), dir.path() / "file" / "otf2");
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.error, "");
}

json read_json(const fs::path& file) {
  std::ifstream in(file);
  return json::parse(in);  // throws, failing the test, on anything that is not JSON
}

std::vector<json> events_of(const json& timeline, const std::string& phase) {
  std::vector<json> events;
  for (const json& event : timeline.at("traceEvents")) {
    if (event.at("ph") == phase) events.push_back(event);
  }
  return events;
}

TEST(Timeline, TracksCallsAndArgs) {
  ScratchDir dir;
  const Trace trace = make_synthetic_trace({.ranks = 3, .threads = 2, .iterations = 20});
  const fs::path file = dir.path() / "timeline.json";
  const TimelineResult result = write_timeline(trace, file);
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_FALSE(result.cut);
  const json timeline = read_json(file);
  EXPECT_EQ(timeline.at("metadata").at("schema"), "commtune.timeline/1");
  EXPECT_EQ(timeline.at("metadata").at("cut"), false);
  EXPECT_EQ(timeline.at("traceEvents").size(), result.events);
  std::set<std::pair<int, int>> named_threads;
  std::set<int> named_ranks;
  for (const json& event : events_of(timeline, "M")) {
    if (event.at("name") == "thread_name") named_threads.emplace(event.at("pid"), event.at("tid"));
    if (event.at("name") == "process_name") named_ranks.insert(event.at("pid").get<int>());
  }
  EXPECT_EQ(named_threads.size(), trace.locations.size());
  EXPECT_EQ(named_ranks, (std::set<int>{0, 1, 2}));
  const std::vector<json> calls = events_of(timeline, "X");
  EXPECT_EQ(calls.size(), total_calls(trace));
  std::map<std::string, std::uint64_t> by_name;
  std::set<std::pair<int, int>> tracks;
  for (const json& call : calls) {
    ++by_name[call.at("name")];
    tracks.emplace(call.at("pid"), call.at("tid"));
  }
  EXPECT_EQ(by_name, calls_by_function(trace));
  EXPECT_EQ(tracks, named_threads);
  // Rank 1's first MPI_Send: to rank 2, tag 2, 4096 bytes, from exchange.c:42, on the world.
  for (const json& call : calls) {
    if (call.at("name") != "MPI_Send" || call.at("pid") != 1) continue;
    EXPECT_EQ(call.at("cat"), "p2p");
    EXPECT_EQ(call.at("args").at("peer"), 2);
    EXPECT_EQ(call.at("args").at("tag"), 2);
    EXPECT_EQ(call.at("args").at("bytes_sent"), 4096);
    EXPECT_EQ(call.at("args").at("site"), "/opt/app/src/exchange.c:42");
    EXPECT_EQ(call.at("args").at("comm"), "MPI_COMM_WORLD");
    EXPECT_DOUBLE_EQ(call.at("dur").get<double>(), 1.0);  // 1000 ns
    break;
  }
  for (const json& call : calls) {
    if (call.at("name") != "MPI_Bcast" || call.at("pid") != 3 % 3) continue;
    EXPECT_EQ(call.at("args").at("comm"), "MPI_Comm_split #2");
    EXPECT_EQ(call.at("args").at("root"), 0);
    break;
  }
}

TEST(Timeline, ArrowsPairEachSendWithItsReceive) {
  ScratchDir dir;
  const int ranks = 4;
  const std::uint64_t iterations = 25;
  const Trace trace = make_synthetic_trace({.ranks = ranks, .threads = 2, .iterations = iterations});
  const fs::path file = dir.path() / "timeline.json";
  const TimelineResult result = write_timeline(trace, file);
  ASSERT_TRUE(result.ok) << result.error;
  const json timeline = read_json(file);
  // Per rank and iteration: Isend/Irecv, Send/Recv and Sendrecv on thread 0, Isend/Irecv on thread
  // 1; thread 1's tag-50 send has no receive.
  const std::uint64_t expected = std::uint64_t(ranks) * iterations * 4;
  EXPECT_EQ(result.arrows, expected);
  EXPECT_EQ(timeline.at("metadata").at("unmatched_sends"), std::uint64_t(ranks) * iterations);
  std::map<std::uint64_t, json> starts, finishes;
  for (const json& event : events_of(timeline, "s")) starts[event.at("id")] = event;
  for (const json& event : events_of(timeline, "f")) {
    finishes[event.at("id")] = event;
    EXPECT_EQ(event.at("bp"), "e");
  }
  ASSERT_EQ(starts.size(), expected);
  ASSERT_EQ(finishes.size(), expected);
  // Each end lies inside a call of its track (where the viewers bind it): a send, and the call
  // in which the receive completed.
  std::map<std::pair<int, int>, std::vector<const json*>> calls_by_track;
  const std::vector<json> calls = events_of(timeline, "X");
  for (const json& call : calls) calls_by_track[{call.at("pid"), call.at("tid")}].push_back(&call);
  auto enclosing = [&](const json& end) -> std::string {
    for (const json* call : calls_by_track[{end.at("pid"), end.at("tid")}]) {
      const double ts = (*call).at("ts").get<double>();
      const double t = end.at("ts").get<double>();
      if (t >= ts && t <= ts + (*call).at("dur").get<double>()) return (*call).at("name");
    }
    return "none";
  };
  const std::set<std::string> sends = {"MPI_Send", "MPI_Isend", "MPI_Sendrecv"};
  const std::set<std::string> receives = {"MPI_Recv", "MPI_Waitall", "MPI_Sendrecv"};
  for (const auto& [id, start] : starts) {
    const json& finish = finishes.at(id);
    EXPECT_EQ(finish.at("pid"), (start.at("pid").get<int>() + 1) % ranks) << "message " << id;  // to the right
    EXPECT_EQ(finish.at("tid"), start.at("tid"));  // each thread exchanges with its counterpart
    EXPECT_TRUE(sends.count(enclosing(start))) << "message " << id << " starts in " << enclosing(start);
    EXPECT_TRUE(receives.count(enclosing(finish))) << "message " << id << " ends in " << enclosing(finish);
  }
}

TEST(Timeline, TooLargeIsCutToTheBusiestWindowWithANote) {
  ScratchDir dir;
  Trace trace = make_synthetic_trace({.ranks = 2, .threads = 1, .iterations = 500});
  // A burst: iterations 300-349 of rank 0 squeezed into a tenth of their time.
  const std::uint64_t burst_start = trace.locations[0].calls[2 + 300 * 9].start_ns;
  for (std::size_t c = 2 + 300 * 9; c < 2 + 350 * 9; ++c) {
    Call& call = trace.locations[0].calls[c];
    call.start_ns = burst_start + (call.start_ns - burst_start) / 10;
    call.end_ns = call.start_ns + 100;
    for (Completion& completion : call.completions) completion.time_ns = call.start_ns + 50;
  }
  const std::uint64_t burst_end = trace.locations[0].calls[2 + 350 * 9 - 1].start_ns;
  TimelineOptions options;
  options.max_events = 1200;
  const fs::path file = dir.path() / "timeline.json";
  const TimelineResult result = write_timeline(trace, file, options);
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_TRUE(result.cut);
  EXPECT_LE(result.events, options.max_events);
  EXPECT_GT(result.events, options.max_events / 2);  // the window is not needlessly small
  const json timeline = read_json(file);
  EXPECT_EQ(timeline.at("traceEvents").size(), result.events);
  const json& metadata = timeline.at("metadata");
  EXPECT_EQ(metadata.at("cut"), true);
  EXPECT_NE(metadata.at("note").get<std::string>().find("busiest window"), std::string::npos);
  const double window_start_us = metadata.at("window_s")[0].get<double>() * 1e6;
  const double window_end_us = metadata.at("window_s")[1].get<double>() * 1e6;
  std::uint64_t in_burst = 0;
  for (const json& call : events_of(timeline, "X")) {
    const double ts = call.at("ts").get<double>();
    EXPECT_GE(ts, window_start_us - 1e-3);
    EXPECT_LE(ts, window_end_us + 1e-3);
    if (call.at("pid") == 0 && ts * 1000 >= double(burst_start) && ts * 1000 <= double(burst_end)) ++in_burst;
  }
  // The densest stretch is rank 0's burst: the window holds it.
  EXPECT_EQ(in_burst, 50u * 9);
}

TEST(Timeline, ExplicitWindow) {
  ScratchDir dir;
  const Trace trace = make_synthetic_trace({.ranks = 2, .threads = 1, .iterations = 100});
  const auto window = parse_window("0.0005:0.001");
  ASSERT_TRUE(window);
  EXPECT_EQ(window->start_ns, 500'000u);
  EXPECT_EQ(window->end_ns, 1'000'000u);
  TimelineOptions options;
  options.window = window;
  const fs::path file = dir.path() / "timeline.json";
  const TimelineResult result = write_timeline(trace, file, options);
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_FALSE(result.cut);
  std::uint64_t expected = 0;
  for (const Location& location : trace.locations) {
    for (const Call& call : location.calls) expected += call.start_ns >= 500'000 && call.start_ns <= 1'000'000;
  }
  ASSERT_GT(expected, 0u);
  const json timeline = read_json(file);
  EXPECT_EQ(events_of(timeline, "X").size(), expected);
  EXPECT_EQ(result.calls, expected);
  EXPECT_EQ(timeline.at("metadata").at("window_s")[0], 0.0005);
}

TEST(Timeline, ParseWindow) {
  EXPECT_TRUE(parse_window("0:1.5"));
  EXPECT_TRUE(parse_window("2:1e1"));
  EXPECT_FALSE(parse_window("1"));
  EXPECT_FALSE(parse_window("2:1"));
  EXPECT_FALSE(parse_window("1:1"));
  EXPECT_FALSE(parse_window("-1:2"));
  EXPECT_FALSE(parse_window("a:b"));
  EXPECT_FALSE(parse_window("1:2s"));
  EXPECT_FALSE(parse_window(":2"));
}

TEST(Timeline, NamesAreEscaped) {
  ScratchDir dir;
  Trace trace = make_synthetic_trace({.iterations = 1});
  trace.command = "app \"quoted\" back\\slash\ttab";
  trace.sites[0].file = "/src/we\"ird.c";
  const fs::path file = dir.path() / "timeline.json";
  ASSERT_TRUE(write_timeline(trace, file).ok);
  const json timeline = read_json(file);
  EXPECT_EQ(timeline.at("metadata").at("command"), trace.command);
}

TEST(Timeline, UnwritableFileIsAnError) {
  ScratchDir dir;
  const TimelineResult result = write_timeline(make_synthetic_trace({}), dir.path() / "missing" / "t.json");
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.error, "");
}

// Two messages from rank 0 to rank 1 with one tag; rank 1 posts two wildcard receives and
// completes the second first: MPI matches in posting order, so the first send goes to the first
// receive whatever the completion order.
TEST(Messages, MatchedInPostingOrderOfTheReceives) {
  Trace trace;
  trace.ranks = 2;
  trace.functions = {{"MPI_Send", Category::P2p}, {"MPI_Irecv", Category::P2p}, {"MPI_Waitall", Category::Completion}};
  trace.communicators = {{0, "MPI_COMM_WORLD", {0, 1}, 0}};
  Location sender{0, 0, {}, true}, receiver{1, 0, {}, true};
  for (std::uint64_t i = 0; i < 2; ++i) {
    Call send;
    send.start_ns = 100 + i * 100, send.end_ns = send.start_ns + 10, send.function = 0, send.comm = 0;
    send.peer = 1, send.tag = 7, send.bytes_sent = 10 * (i + 1);
    sender.calls.push_back(send);
    Call irecv;
    irecv.start_ns = 50 + i * 10, irecv.end_ns = irecv.start_ns + 5, irecv.function = 1, irecv.comm = 0;
    irecv.peer = -1, irecv.tag = -1, irecv.request = 11 + i;
    receiver.calls.push_back(irecv);
  }
  Call waitall;
  waitall.start_ns = 300, waitall.end_ns = 400, waitall.function = 2;
  waitall.completions = {{350, 12, true, 0, 7, 20}, {360, 11, true, 0, 7, 10}};
  receiver.calls.push_back(waitall);
  trace.locations = {sender, receiver};
  const MessageMatch match = match_messages(trace, call_kinds(trace.functions));
  ASSERT_EQ(match.messages.size(), 2u);
  EXPECT_EQ(match.unmatched_sends, 0u);
  EXPECT_EQ(match.unmatched_receives, 0u);
  for (const Message& message : match.messages) {
    const Call& send = trace.locations[0].calls[message.send.call];
    EXPECT_EQ(message.receive.location, 1u);
    EXPECT_EQ(message.receive.call, 2u);        // in the MPI_Waitall
    EXPECT_EQ(message.bytes, send.bytes_sent);  // request 11 got the first send's 10 bytes
    EXPECT_EQ(message.received_ns, send.bytes_sent == 10 ? 360u : 350u);
  }
}

TEST(Messages, ProcNullAndUnknownPeersAreNoMessages) {
  Trace trace = make_synthetic_trace({.ranks = 2, .iterations = 1});
  for (Location& location : trace.locations) {
    for (Call& call : location.calls) {
      if (trace.functions[call.function].name == "MPI_Send") call.peer = -1;
    }
  }
  const MessageMatch match = match_messages(trace, call_kinds(trace.functions));
  EXPECT_EQ(match.messages.size(), 2u * 2);  // Isend/Irecv and Sendrecv of each rank
  EXPECT_EQ(match.unmatched_receives, 2u);   // the MPI_Recv of each rank
}

}  // namespace
}  // namespace commtune::trace
