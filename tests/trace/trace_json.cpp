// Test helper: the decoded trace of a run directory (trace/reader.hpp) as JSON on stdout, for the
// Python checkers of tests/trace. With --counts, only the calls per function, location and the
// warnings (for logs of millions of calls).
#include <cstring>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "trace/reader.hpp"

using namespace commtune::trace;

namespace {

nlohmann::json call_json(const Trace& trace, const Call& call) {
  nlohmann::json completions = nlohmann::json::array();
  for (const Completion& done : call.completions) {
    completions.push_back({{"request", done.request},
                           {"receive", done.receive},
                           {"peer", done.peer},
                           {"tag", done.tag},
                           {"bytes", done.bytes},
                           {"time_ns", done.time_ns}});
  }
  const CallSite* site = call.site == kNone ? nullptr : &trace.sites[call.site];
  return {{"function", trace.functions[call.function].name},
          {"start_ns", call.start_ns},
          {"end_ns", call.end_ns},
          {"comm", call.comm == kNone ? -1 : std::int64_t(call.comm)},
          {"peer", call.peer},
          {"tag", call.tag},
          {"bytes_sent", call.bytes_sent},
          {"bytes_received", call.bytes_received},
          {"request", call.request},
          {"line", site ? site->line : 0},
          {"completions", completions}};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: trace_json RUN_DIR [--counts]\n";
    return 2;
  }
  const bool counts_only = argc > 2 && std::strcmp(argv[2], "--counts") == 0;
  try {
    ReadOptions options;
    options.resolve_sites = !counts_only;
    const Trace trace = read_trace(argv[1], options);
    nlohmann::json out;
    out["ranks"] = trace.ranks;
    out["program"] = trace.program;
    out["warnings"] = trace.warnings;
    for (const Communicator& comm : trace.communicators) {
      out["communicators"].push_back(
          {{"id", comm.id}, {"name", comm.name}, {"world_ranks", comm.world_ranks}, {"remote_size", comm.remote_size}});
    }
    for (const ClockAlignment& clock : trace.clocks) {
      out["clocks"].push_back({{"rank", clock.rank},
                               {"offset_ns", clock.offset_ns},
                               {"drift", clock.drift},
                               {"end_measured", clock.end_measured}});
    }
    for (const Location& location : trace.locations) {
      nlohmann::json entry = {{"rank", location.rank}, {"thread", location.thread}, {"complete", location.complete}};
      std::map<std::string, std::uint64_t> counts;
      for (const Call& call : location.calls) {
        counts[trace.functions[call.function].name] += 1;
        if (!counts_only) entry["calls"].push_back(call_json(trace, call));
      }
      entry["counts"] = counts;
      out["locations"].push_back(entry);
    }
    std::cout << out.dump(counts_only ? 1 : -1) << "\n";
  } catch (const std::exception& error) {
    std::cerr << "trace_json: " << error.what() << "\n";
    return 1;
  }
  return 0;
}
