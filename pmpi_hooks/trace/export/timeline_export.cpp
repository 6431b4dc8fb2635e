#include "trace/export/timeline_export.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

#include "trace/export/call_kinds.hpp"
#include "trace/export/messages.hpp"
#include "trace/export/trace_index.hpp"

namespace commtune::trace {
namespace {

namespace fs = std::filesystem;

constexpr const char* kTimelineSchema = "commtune.timeline/1";

// JSON text into a buffer written out in large blocks: formatting by hand into plain memory is
// what makes millions of events a second (a JSON library builds a tree first; std::string
// appends cost more than the text).
class JsonWriter {
 public:
  explicit JsonWriter(std::FILE* file) : file_(file), buffer_(new char[kBlock]) {}
  ~JsonWriter() { flush(); }

  void raw(std::string_view text) {
    if (text.size() > kBlock - used_) {
      flush();
      if (text.size() > kBlock) {
        write_out(text.data(), text.size());
        return;
      }
    }
    std::memcpy(buffer_.get() + used_, text.data(), text.size());
    used_ += text.size();
  }
  // Starts an element of the event list: a comma before every one but the first.
  void next_event() {
    if (!first_event_) raw(",\n");
    first_event_ = false;
  }
  void number(std::uint64_t value) {
    char digits[24];
    raw({digits, std::size_t(std::to_chars(digits, digits + sizeof digits, value).ptr - digits)});
  }
  void signed_number(std::int64_t value) {
    char digits[24];
    raw({digits, std::size_t(std::to_chars(digits, digits + sizeof digits, value).ptr - digits)});
  }
  // Microseconds, the unit of the format, to the nanosecond: three decimals unless they are 0.
  void microseconds(std::uint64_t ns) {
    char text[32];
    char* end = std::to_chars(text, text + 24, ns / 1000).ptr;
    if (const unsigned fraction = unsigned(ns % 1000); fraction != 0) {
      *end++ = '.';
      *end++ = char('0' + fraction / 100);
      *end++ = char('0' + fraction / 10 % 10);
      *end++ = char('0' + fraction % 10);
    }
    raw({text, std::size_t(end - text)});
  }
  void string(std::string_view text) {
    std::string quoted = "\"";
    escape_into(quoted, text);
    quoted += '"';
    raw(quoted);
  }
  void flush() {
    write_out(buffer_.get(), used_);
    used_ = 0;
  }
  bool failed() const { return failed_; }

  static void escape_into(std::string& out, std::string_view text) {
    for (const char c : text) {
      if (c == '"' || c == '\\') {
        out += '\\';
        out += c;
      } else if (static_cast<unsigned char>(c) < 0x20) {
        out += fmt::format("\\u{:04x}", unsigned(c));
      } else {
        out += c;
      }
    }
  }

 private:
  void write_out(const char* data, std::size_t bytes) {
    if (bytes != 0 && std::fwrite(data, 1, bytes, file_) != bytes) failed_ = true;
  }

  static constexpr std::size_t kBlock = 1 << 20;
  std::FILE* file_;
  std::unique_ptr<char[]> buffer_;
  std::size_t used_ = 0;
  bool failed_ = false;
  bool first_event_ = true;
};

// One end of a message arrow: `head` opens the event up to its id (the start "s" or the bound
// finish "f"), then the id, the location and the time.
void write_flow_end(JsonWriter& out, const char* head, std::uint64_t id, const Location& at, std::uint64_t ns) {
  out.next_event();
  out.raw(head);
  out.number(id);
  out.raw(",\"pid\":");
  out.number(std::uint64_t(at.rank));
  out.raw(",\"tid\":");
  out.number(std::uint64_t(at.thread));
  out.raw(",\"ts\":");
  out.microseconds(ns);
  out.raw("}");
}

std::string escaped(std::string_view text) {
  std::string out;
  JsonWriter::escape_into(out, text);
  return out;
}

// The text of each call's event that depends only on its function, site or communicator, made
// once: `"name":"MPI_Send","cat":"p2p"`, `"site":"app.c:42"`, `"comm":"MPI_COMM_WORLD"`.
struct Fragments {
  std::vector<std::string> function;
  std::vector<std::string> site;
  std::vector<std::string> comm;  // by index in Trace::communicators
};

std::string site_text(const CallSite& site) {
  if (site.debug_info && !site.file.empty()) return fmt::format("{}:{}", site.file, site.line);
  if (!site.symbol.empty()) return fmt::format("{} ({}+{:#x})", site.symbol, site.module, site.offset);
  return fmt::format("{}+{:#x}", site.module, site.offset);
}

Fragments make_fragments(const Trace& trace) {
  Fragments fragments;
  for (const Function& function : trace.functions) {
    fragments.function.push_back(
        fmt::format("\"name\":\"{}\",\"cat\":\"{}\"", escaped(function.name), category_name(function.category)));
  }
  for (const CallSite& site : trace.sites) fragments.site.push_back(",\"site\":\"" + escaped(site_text(site)) + "\"");
  for (const Communicator& comm : trace.communicators) {
    const bool predefined = comm.name == "MPI_COMM_WORLD" || comm.name == "MPI_COMM_SELF";
    const std::string label = predefined ? comm.name : fmt::format("{} #{}", comm.name, comm.id);
    fragments.comm.push_back(",\"comm\":\"" + escaped(label) + "\"");
  }
  return fragments;
}

bool in_window(const TimeWindow& window, std::uint64_t time_ns) {
  return time_ns >= window.start_ns && time_ns <= window.end_ns;
}

class Timeline {
 public:
  Timeline(const Trace& trace, const TimelineOptions& options)
      : trace_(trace),
        options_(options),
        kinds_(call_kinds(trace.functions)),
        comms_(trace),
        matched_(match_messages(trace, kinds_)) {
    for (const Location& location : trace.locations) total_calls_ += location.calls.size();
  }

  TimelineResult write(const fs::path& file);

 private:
  std::uint64_t track_events() const;
  TimeWindow whole_trace() const;
  void choose_window(TimelineResult& result);
  std::uint64_t events_in(const TimeWindow& window) const;
  bool in(const CallRef& ref, const TimeWindow& window) const {
    return in_window(window, trace_.locations[ref.location].calls[ref.call].start_ns);
  }
  void write_metadata(JsonWriter& out, const TimelineResult& result) const;
  void write_tracks(JsonWriter& out) const;
  std::uint64_t write_calls(JsonWriter& out, const Fragments& fragments, const TimeWindow& window) const;
  std::uint64_t write_arrows(JsonWriter& out, const TimeWindow& window) const;

  const Trace& trace_;
  const TimelineOptions& options_;
  std::vector<CallKind> kinds_;
  CommunicatorIndex comms_;
  MessageMatch matched_;
  std::uint64_t total_calls_ = 0;
};

std::uint64_t Timeline::track_events() const {
  // process_name and process_sort_index per rank, thread_name per thread.
  std::uint64_t events = 0;
  for (std::size_t l = 0; l < trace_.locations.size(); ++l) {
    const bool first_of_rank = l == 0 || trace_.locations[l - 1].rank != trace_.locations[l].rank;
    events += first_of_rank ? 3 : 1;
  }
  return events;
}

TimeWindow Timeline::whole_trace() const {
  TimeWindow window{UINT64_MAX, 0};
  for (const Location& location : trace_.locations) {
    if (location.calls.empty()) continue;
    window.start_ns = std::min(window.start_ns, location.calls.front().start_ns);
    window.end_ns = std::max(window.end_ns, location.calls.back().start_ns);
  }
  return window.start_ns == UINT64_MAX ? TimeWindow{} : window;
}

std::uint64_t Timeline::events_in(const TimeWindow& window) const {
  std::uint64_t events = track_events();
  for (const Location& location : trace_.locations) {
    const auto first = std::lower_bound(location.calls.begin(), location.calls.end(), window.start_ns,
                                        [](const Call& call, std::uint64_t t) { return call.start_ns < t; });
    const auto last = std::upper_bound(first, location.calls.end(), window.end_ns,
                                       [](std::uint64_t t, const Call& call) { return t < call.start_ns; });
    events += std::uint64_t(last - first);
  }
  for (const Message& message : matched_.messages) {
    if (in(message.send, window) && in(message.receive, window)) events += 2;
  }
  return events;
}

// The busiest window whose events fit: the shortest span holding a budget of calls, the budget
// shrunk until the arrows between those calls fit too.
void Timeline::choose_window(TimelineResult& result) {
  // Every location's calls are sorted already: merging the runs pairwise (log2 of the number of
  // threads passes) sorts tens of millions of start times several times faster than a sort.
  std::vector<std::uint64_t> starts;
  starts.reserve(total_calls_);
  std::vector<std::size_t> runs = {0};
  for (const Location& location : trace_.locations) {
    for (const Call& call : location.calls) starts.push_back(call.start_ns);
    runs.push_back(starts.size());
  }
  while (runs.size() > 2) {
    std::vector<std::size_t> merged = {0};
    for (std::size_t r = 0; r + 1 < runs.size(); r += 2) {
      const std::size_t last = r + 2 < runs.size() ? runs[r + 2] : runs[r + 1];
      std::inplace_merge(starts.begin() + std::ptrdiff_t(runs[r]), starts.begin() + std::ptrdiff_t(runs[r + 1]),
                         starts.begin() + std::ptrdiff_t(last));
      merged.push_back(last);
    }
    runs = std::move(merged);
  }
  if (!std::is_sorted(starts.begin(), starts.end())) std::sort(starts.begin(), starts.end());  // unsorted input
  const std::uint64_t fixed = track_events();
  const std::uint64_t room = options_.max_events > fixed ? options_.max_events - fixed : 1;
  const std::uint64_t all = total_calls_ + 2 * matched_.messages.size();
  std::uint64_t budget = std::max<std::uint64_t>(
      1, std::min<std::uint64_t>(total_calls_, std::uint64_t(double(room) * total_calls_ / all)));
  TimeWindow window;
  for (;;) {
    std::size_t best = 0;
    for (std::size_t i = 0; i + budget <= starts.size(); ++i) {
      if (starts[i + budget - 1] - starts[i] < starts[best + budget - 1] - starts[best]) best = i;
    }
    window = {starts[best], starts[best + budget - 1]};
    if (budget == 1 || events_in(window) <= options_.max_events) break;
    budget = std::max<std::uint64_t>(1, budget * 9 / 10);
  }
  result.window = window;
  result.cut = true;
  result.note = fmt::format(
      "cut: the whole trace has {} events ({} calls, {} message arrows), more than the {} a browser loads "
      "well; this file holds the busiest window that fits, {:.6f} s to {:.6f} s (calls starting in it). "
      "Other windows: commtune export --window START:END",
      all + fixed, total_calls_, matched_.messages.size(), options_.max_events, double(window.start_ns) * 1e-9,
      double(window.end_ns) * 1e-9);
}

void Timeline::write_metadata(JsonWriter& out, const TimelineResult& result) const {
  out.raw("{\"displayTimeUnit\":\"ns\",\"metadata\":{\"schema\":");
  out.string(kTimelineSchema);
  out.raw(",\"program\":");
  out.string(trace_.program);
  out.raw(",\"command\":");
  out.string(trace_.command);
  out.raw(",\"ranks\":");
  out.number(std::uint64_t(rank_count(trace_)));
  out.raw(",\"epoch_unix_ns\":");
  out.number(trace_.epoch_unix_ns);
  out.raw(",\"clock\":\"ns since epoch_unix_ns, on rank 0's clock; ts in microseconds\"");
  out.raw(",\"window_s\":[");
  out.raw(fmt::format("{:.9f},{:.9f}", double(result.window.start_ns) * 1e-9, double(result.window.end_ns) * 1e-9));
  out.raw("],\"cut\":");
  out.raw(result.cut ? "true" : "false");
  out.raw(",\"note\":");
  out.string(result.note);
  out.raw(",\"calls_in_trace\":");
  out.number(total_calls_);
  out.raw(",\"messages_matched\":");
  out.number(matched_.messages.size());
  out.raw(",\"unmatched_sends\":");
  out.number(matched_.unmatched_sends);
  out.raw(",\"unmatched_receives\":");
  out.number(matched_.unmatched_receives);
  out.raw(",\"incomplete_ranks\":[");
  int previous = -1;
  for (const Location& location : trace_.locations) {
    if (location.complete || location.rank == previous) continue;
    if (previous >= 0) out.raw(",");
    out.number(std::uint64_t(location.rank));
    previous = location.rank;
  }
  out.raw("],\"warnings\":[");
  for (std::size_t i = 0; i < trace_.warnings.size(); ++i) {
    if (i) out.raw(",");
    out.string(trace_.warnings[i]);
  }
  out.raw("]},\n\"traceEvents\":[\n");
}

void Timeline::write_tracks(JsonWriter& out) const {
  for (std::size_t l = 0; l < trace_.locations.size(); ++l) {
    const Location& location = trace_.locations[l];
    const auto rank = std::uint64_t(location.rank);
    if (l == 0 || trace_.locations[l - 1].rank != location.rank) {
      const std::size_t r = std::size_t(location.rank);
      const std::string host = r < trace_.hosts.size() ? trace_.hosts[r] : std::string();
      out.next_event();
      out.raw("{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":");
      out.number(rank);
      out.raw(",\"args\":{\"name\":");
      out.string(host.empty() ? fmt::format("rank {}", rank) : fmt::format("rank {} ({})", rank, host));
      out.raw("}}");
      out.next_event();
      out.raw("{\"ph\":\"M\",\"name\":\"process_sort_index\",\"pid\":");
      out.number(rank);
      out.raw(",\"args\":{\"sort_index\":");
      out.number(rank);
      out.raw("}}");
    }
    out.next_event();
    out.raw("{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":");
    out.number(rank);
    out.raw(",\"tid\":");
    out.number(std::uint64_t(location.thread));
    out.raw(",\"args\":{\"name\":");
    out.string(fmt::format("thread {}{}", location.thread, location.complete ? "" : " (log ends early)"));
    out.raw("}}");
  }
}

std::uint64_t Timeline::write_calls(JsonWriter& out, const Fragments& fragments, const TimeWindow& window) const {
  std::uint64_t written = 0;
  for (const Location& location : trace_.locations) {
    const auto rank = std::uint64_t(location.rank);
    const auto thread = std::uint64_t(location.thread);
    for (const Call& call : location.calls) {
      if (!in_window(window, call.start_ns) || call.function >= fragments.function.size()) continue;
      out.next_event();
      out.raw("{\"ph\":\"X\",\"pid\":");
      out.number(rank);
      out.raw(",\"tid\":");
      out.number(thread);
      out.raw(",\"ts\":");
      out.microseconds(call.start_ns);
      out.raw(",\"dur\":");
      out.microseconds(call.end_ns > call.start_ns ? call.end_ns - call.start_ns : 0);
      out.raw(",");
      out.raw(fragments.function[call.function]);
      out.raw(",\"args\":{");
      // Every fragment of the args starts with a comma; the first one's is dropped.
      std::size_t args = 0;
      auto arg = [&](std::string_view fragment) { out.raw(args++ == 0 ? fragment.substr(1) : fragment); };
      if (call.site < fragments.site.size()) arg(fragments.site[call.site]);
      const std::uint32_t comm = comms_.index_of(call.comm);
      if (comm != kNone) arg(fragments.comm[comm]);
      const CallKind kind = kinds_[call.function];
      if (call.peer >= 0) {
        arg(kind == CallKind::Collective || kind == CallKind::NonblockingCollective ? ",\"root\":" : ",\"peer\":");
        out.number(std::uint64_t(call.peer));
      }
      if (kind != CallKind::Plain && kind != CallKind::Collective && kind != CallKind::NonblockingCollective) {
        arg(",\"tag\":");
        out.signed_number(call.tag);
      }
      if (call.bytes_sent) {
        arg(",\"bytes_sent\":");
        out.number(call.bytes_sent);
      }
      if (call.bytes_received) {
        arg(",\"bytes_received\":");
        out.number(call.bytes_received);
      }
      if (call.request) {
        arg(",\"request\":");
        out.number(call.request);
      }
      if (!call.completions.empty()) {
        arg(",\"completed\":");
        out.number(call.completions.size());
      }
      out.raw("}}");
      ++written;
    }
  }
  return written;
}

// An arrow starts inside the sending call and ends where the receive completed; "bp":"e" binds
// its end to the slice around that time.
std::uint64_t Timeline::write_arrows(JsonWriter& out, const TimeWindow& window) const {
  std::uint64_t written = 0;
  for (std::size_t m = 0; m < matched_.messages.size(); ++m) {
    const Message& message = matched_.messages[m];
    if (!in(message.send, window) || !in(message.receive, window)) continue;
    const Location& from = trace_.locations[message.send.location];
    const Location& to = trace_.locations[message.receive.location];
    const Call& send = from.calls[message.send.call];
    const Call& receive = to.calls[message.receive.call];
    const std::uint64_t start_ns =
        send.start_ns + (send.end_ns > send.start_ns ? (send.end_ns - send.start_ns) / 2 : 0);
    const std::uint64_t end_ns =
        std::clamp(message.received_ns, receive.start_ns, std::max(receive.start_ns, receive.end_ns));
    write_flow_end(out, "{\"ph\":\"s\",\"name\":\"message\",\"cat\":\"message\",\"id\":", m, from, start_ns);
    write_flow_end(out, "{\"ph\":\"f\",\"bp\":\"e\",\"name\":\"message\",\"cat\":\"message\",\"id\":", m, to, end_ns);
    ++written;
  }
  return written;
}

TimelineResult Timeline::write(const fs::path& file) {
  TimelineResult result;
  result.window = whole_trace();
  if (options_.window) {
    result.window = *options_.window;
    result.note = fmt::format("window {:.6f} s to {:.6f} s as asked (calls starting in it)",
                              double(result.window.start_ns) * 1e-9, double(result.window.end_ns) * 1e-9);
  } else if (total_calls_ + 2 * matched_.messages.size() + track_events() > options_.max_events && total_calls_ > 0) {
    choose_window(result);
  }
  std::FILE* stream = std::fopen(file.c_str(), "wb");
  if (!stream) {
    result.error = fmt::format("cannot write {}", file.string());
    return result;
  }
  {
    JsonWriter out(stream);
    write_metadata(out, result);
    write_tracks(out);
    result.events = track_events();
    result.calls = write_calls(out, make_fragments(trace_), result.window);
    result.arrows = write_arrows(out, result.window);
    result.events += result.calls + 2 * result.arrows;
    out.raw("\n]}\n");
    out.flush();
    result.ok = !out.failed();
  }
  if (std::fclose(stream) != 0) result.ok = false;
  if (!result.ok) result.error = fmt::format("writing {} failed (disk full?)", file.string());
  return result;
}

}  // namespace

TimelineResult write_timeline(const Trace& trace, const fs::path& file, const TimelineOptions& options) {
  return Timeline(trace, options).write(file);
}

std::optional<TimeWindow> parse_window(const std::string& text) {
  const auto colon = text.find(':');
  if (colon == std::string::npos) return std::nullopt;
  auto seconds = [](std::string_view part) -> std::optional<double> {
    double value = 0;
    const auto [end, error] = std::from_chars(part.data(), part.data() + part.size(), value);
    if (part.empty() || error != std::errc() || end != part.data() + part.size() || !std::isfinite(value)) {
      return std::nullopt;
    }
    return value;
  };
  const auto start = seconds(std::string_view(text).substr(0, colon));
  const auto end = seconds(std::string_view(text).substr(colon + 1));
  if (!start || !end || *start < 0 || *end <= *start) return std::nullopt;
  return TimeWindow{std::uint64_t(std::llround(*start * 1e9)), std::uint64_t(std::llround(*end * 1e9))};
}

}  // namespace commtune::trace
