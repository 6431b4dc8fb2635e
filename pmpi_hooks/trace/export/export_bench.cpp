// Export rates on a synthetic trace (synthetic.hpp) of 3.2 million calls: OTF2 archive and
// Chrome trace-event JSON, written to a temporary directory. Counters: calls/s and events/s
// (OTF2 event records; timeline trace events).
//   TMPDIR=/dev/shm build/bin/trace_export_bench --benchmark_repetitions=3 (docs/performance.md)
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "trace/export/otf2_export.hpp"
#include "trace/export/synthetic.hpp"
#include "trace/export/timeline_export.hpp"

namespace {

namespace fs = std::filesystem;
using namespace commtune::trace;

// 8 ranks x 40000 iterations of 10 calls: 3.2 million calls, 0.96 million messages.
const Trace& big_trace() {
  static const Trace trace = make_synthetic_trace({.ranks = 8, .threads = 1, .iterations = 40000});
  return trace;
}

std::uint64_t call_count(const Trace& trace) {
  std::uint64_t calls = 0;
  for (const Location& location : trace.locations) calls += location.calls.size();
  return calls;
}

fs::path scratch() {
  const char* tmp = std::getenv("TMPDIR");
  fs::path dir = fs::path(tmp ? tmp : "/tmp") / ("commtune-export-bench-" + std::to_string(getpid()));
  fs::create_directories(dir);
  return dir;
}

void BM_Otf2Export(benchmark::State& state) {
  const Trace& trace = big_trace();
  const fs::path dir = scratch() / "otf2";
  std::uint64_t events = 0;
  for (auto _ : state) {
    const Otf2Result result = write_otf2(trace, dir);
    if (!result.ok) state.SkipWithError(result.error.c_str());
    events = result.events;
  }
  state.counters["calls/s"] =
      benchmark::Counter(double(call_count(trace)), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["events/s"] = benchmark::Counter(double(events), benchmark::Counter::kIsIterationInvariantRate);
  fs::remove_all(dir.parent_path());
}

void BM_TimelineExport(benchmark::State& state) {
  const Trace& trace = big_trace();
  const fs::path file = scratch() / "timeline.json";
  TimelineOptions options;
  options.max_events = UINT64_MAX;  // the whole trace: the rate of the writer, not of the cut
  std::uint64_t events = 0;
  for (auto _ : state) {
    const TimelineResult result = write_timeline(trace, file, options);
    if (!result.ok) state.SkipWithError(result.error.c_str());
    events = result.events;
  }
  state.counters["calls/s"] =
      benchmark::Counter(double(call_count(trace)), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["events/s"] = benchmark::Counter(double(events), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["MB"] = double(fs::file_size(file)) / 1e6;
  fs::remove_all(file.parent_path());
}

}  // namespace

BENCHMARK(BM_Otf2Export)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);
BENCHMARK(BM_TimelineExport)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);
BENCHMARK_MAIN();
