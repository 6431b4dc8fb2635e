// A trace as a Chrome trace-event JSON file (schema commtune.timeline/1 in its "metadata"), the
// format Perfetto's UI (ui.perfetto.dev) and chrome://tracing open: a track per rank (pid) and
// thread (tid), a complete event ("X") per MPI call with its call site, peer, tag, bytes and
// communicator, and a flow arrow ("s" -> "f") from each send to the receive that got it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "trace/model.hpp"

namespace commtune::trace {

// Browsers load a JSON trace whole: past about a million events (~150 MB) Perfetto's UI
// and chrome://tracing run out of memory or take minutes, so a larger trace is cut to a window.
inline constexpr std::uint64_t kDefaultTimelineMaxEvents = 1'000'000;

struct TimeWindow {
  std::uint64_t start_ns = 0;  // on the trace's common clock
  std::uint64_t end_ns = 0;    // inclusive
};

struct TimelineOptions {
  // Only the calls that start in this window; none: the whole trace, or the busiest window that
  // fits in max_events when it does not.
  std::optional<TimeWindow> window;
  std::uint64_t max_events = kDefaultTimelineMaxEvents;
};

struct TimelineResult {
  bool ok = false;
  std::string error;
  std::uint64_t events = 0;  // trace events written: calls, two per arrow, track names
  std::uint64_t calls = 0;   // calls written
  std::uint64_t arrows = 0;  // matched messages drawn
  bool cut = false;          // the whole trace did not fit: `note` says what was written
  std::string note;
  TimeWindow window;  // the calls written start in it
};

TimelineResult write_timeline(const Trace& trace, const std::filesystem::path& file,
                              const TimelineOptions& options = {});

// "START:END" in seconds on the trace's clock (e.g. "1.5:2"), as `commtune export --window`
// takes it; nullopt unless 0 <= START < END.
std::optional<TimeWindow> parse_window(const std::string& text);

}  // namespace commtune::trace
