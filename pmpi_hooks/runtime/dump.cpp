#include "runtime/dump.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <initializer_list>

#include "commtune/pmpi/run_directory.hpp"
#include "runtime/clock.hpp"
#include "runtime/counters.hpp"
#include "runtime/payload.hpp"
#include "runtime/requests.hpp"
#include "runtime/sites.hpp"

namespace commtune::pmpi::dump {
namespace {

// Buffered JSON output with hand-made number and string formatting: printf and friends may lock
// or allocate, which a signal handler must not.
class Writer {
 public:
  explicit Writer(Sink& sink) : sink_(sink) {}
  ~Writer() { flush(); }

  void raw(const char* text) noexcept { raw(text, std::strlen(text)); }
  void raw(const char* text, std::size_t size) noexcept {
    for (std::size_t i = 0; i < size; ++i) put(text[i]);
  }
  void number(std::uint64_t value) noexcept {
    char digits[24];
    int n = 0;
    do {
      digits[n++] = char('0' + value % 10);
      value /= 10;
    } while (value);
    while (n) put(digits[--n]);
  }
  void signed_number(std::int64_t value) noexcept {
    if (value < 0) put('-');
    number(value < 0 ? std::uint64_t(-(value + 1)) + 1 : std::uint64_t(value));
  }
  // Command lines, paths and region names can hold any bytes, JSON only UTF-8: a byte that does
  // not start a valid UTF-8 sequence is written as \u00XX (the character of that byte's value), so
  // that the dump is strict JSON and no byte is lost.
  void string(const char* text) noexcept {
    put('"');
    for (const char* c = text; *c;) {
      const unsigned char byte = static_cast<unsigned char>(*c);
      if (byte == '"' || byte == '\\') {
        put('\\');
        put(char(byte));
        ++c;
      } else if (byte < 0x20) {
        escaped_byte(byte);
        ++c;
      } else if (const int length = utf8_sequence_length(c); length > 0) {
        raw(c, std::size_t(length));
        c += length;
      } else {
        escaped_byte(byte);
        ++c;
      }
    }
    put('"');
  }
  void key(const char* name) noexcept {
    string(name);
    put(':');
  }
  void field(const char* name, std::uint64_t value) noexcept {
    key(name);
    number(value);
    put(',');
  }
  void field(const char* name, const char* value) noexcept {
    key(name);
    string(value);
    put(',');
  }
  // A JSON array of numbers, e.g. [bin,count], followed by a comma when `comma`.
  void numbers(std::initializer_list<std::uint64_t> values, bool comma = true) noexcept {
    put('[');
    for (std::uint64_t value : values) {
      number(value);
      put(',');
    }
    close(']');
    if (comma) put(',');
  }
  // Drops the comma after the last member of an object or array.
  void close(char bracket) noexcept {
    if (used_ > 0 && buffer_[used_ - 1] == ',') --used_;
    put(bracket);
  }
  void put(char c) noexcept {
    if (used_ == sizeof buffer_) flush_keeping_last();
    buffer_[used_++] = c;
  }
  void flush() noexcept {
    sink_.write(buffer_, used_);
    used_ = 0;
  }

 private:
  void escaped_byte(unsigned char byte) noexcept {
    constexpr char kHex[] = "0123456789abcdef";
    raw("\\u00");
    put(kHex[byte >> 4]);
    put(kHex[byte & 15]);
  }
  // The length of the well-formed UTF-8 sequence `text` starts with (1-4; ASCII is 1), or 0 when
  // it starts none: a stray continuation byte, a truncated sequence, an overlong form, a surrogate
  // or a code point past U+10FFFF. `text` ends with a 0 byte, which is never a continuation byte.
  static int utf8_sequence_length(const char* text) noexcept {
    constexpr std::uint32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};  // by sequence length
    const auto lead = static_cast<unsigned char>(text[0]);
    const int length = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xE ? 3 : (lead >> 3) == 0x1E ? 4 : 0;
    if (length <= 1) return length;
    std::uint32_t code_point = lead & (0x7Fu >> length);
    for (int k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[k]);
      if ((next & 0xC0) != 0x80) return 0;
      code_point = (code_point << 6) | (next & 0x3F);
    }
    const bool valid =
        code_point >= kSmallest[length] && code_point <= 0x10FFFF && (code_point < 0xD800 || code_point > 0xDFFF);
    return valid ? length : 0;
  }
  // close() looks back one character, so one stays in the buffer across a flush.
  void flush_keeping_last() noexcept {
    sink_.write(buffer_, used_ - 1);
    buffer_[0] = buffer_[used_ - 1];
    used_ = 1;
  }
  Sink& sink_;
  char buffer_[8192];
  std::size_t used_ = 0;
};

RunIdentity g_identity;

std::string_view name_of(FunctionId id) noexcept { return kFunctionNames[std::size_t(id)]; }

void view(Writer& out, std::string_view text) noexcept {
  out.put('"');
  out.raw(text.data(), text.size());
  out.put('"');
}

void sizes(Writer& out, const char* name, const std::uint64_t* bins) noexcept {
  out.key(name);
  out.put('[');
  for (int bin = 0; bin < kSizeBins; ++bin) {
    if (!bins[bin]) continue;
    out.numbers({std::uint64_t(bin), bins[bin]});
  }
  out.close(']');
  out.put(',');
}

// COMMTUNE_PAPI and compressibility sampling, present only when they recorded something.
void counter_fields(Writer& out, const SiteStats& s) noexcept {
  const int events = counters::measured_count();
  if (events > 0) {
    out.key("counters");
    out.put('[');
    for (int i = 0; i < events; ++i) {
      out.number(s.counters[i]);
      out.put(',');
    }
    out.close(']');
    out.put(',');
  }
  const PayloadSamples& p = s.payload;
  if (p.samples > 0) {
    out.key("payload");
    out.numbers({p.samples, p.sampled_bytes, p.lz4_bytes, p.zstd_bytes, p.lz4_ticks, p.zstd_ticks});
  }
}

void strings(Writer& out, const char* name, int count, const char* (*at)(int) noexcept) noexcept {
  out.key(name);
  out.put('[');
  for (int i = 0; i < count; ++i) {
    out.string(at(i));
    out.put(',');
  }
  out.close(']');
  out.put(',');
}

// The run's counter setup: what COMMTUNE_PAPI asked for, what is counted, and why they differ.
void counter_setup(Writer& out) noexcept {
  if (counters::requested_count() == 0) return;
  out.key("counters");
  out.put('{');
  strings(out, "requested", counters::requested_count(), counters::requested);
  strings(out, "measured", counters::measured_count(), counters::measured);
  strings(out, "notes", counters::note_count(), counters::note);
  out.field("fallback", counters::fallback() ? 1 : 0);
  out.close('}');
  out.put(',');
}

void site(Writer& out, const SiteStats& s) noexcept {
  const std::size_t id = std::size_t(s.key.function);
  const std::string_view wait_kind = kWaitKinds[id];
  out.put('{');
  out.key("function");
  view(out, kFunctionNames[id]);
  out.put(',');
  out.key("category");
  view(out, kFunctionCategories[id]);
  out.put(',');
  out.field("region", s.key.region);
  out.key("frames");
  out.put('[');
  for (int d = 0; d < s.depth; ++d) {
    out.numbers({s.modules[d], s.offsets[d]});
  }
  out.close(']');
  out.put(',');
  out.field("calls", s.calls);
  out.field("ticks", s.ticks);
  out.field("min_ticks", s.calls ? s.min_ticks : 0);
  out.field("max_ticks", s.max_ticks);
  out.field("bytes_sent", s.bytes_sent);
  out.field("bytes_received", s.bytes_received);
  sizes(out, "sent_sizes", s.sent_sizes);
  sizes(out, "received_sizes", s.received_sizes);
  out.key("wait_kind");
  view(out, wait_kind);
  out.put(',');
  // A blocking collective waits in every call: the report subtracts the fastest instance.
  const bool collective = wait_kind == "collective";
  out.field("wait_calls", collective ? s.calls : s.wait_calls);
  out.field("wait_ticks", collective ? s.ticks : s.wait_ticks);
  out.field("wait_bytes", collective ? s.bytes_sent : s.wait_bytes);
  out.field("comm_size", s.comm_size);
  out.field("requests", s.requests);
  out.field("request_life_ticks", s.request_life_ticks);
  out.field("request_inside_ticks", s.request_inside_ticks);
  counter_fields(out, s);
  out.close('}');
  out.put(',');
}

// A site the tables do not hold: MPI_Init (timed before our clock existed), MPI_Finalize.
void lifecycle_site(Writer& out, FunctionId function, const modules::Location& where, std::uint64_t ticks) noexcept {
  out.raw("{\"function\":");
  view(out, name_of(function));
  out.raw(",\"category\":\"lifecycle\",\"region\":0,\"frames\":[");
  if (where.module != 0) out.numbers({where.module, where.offset}, false);
  out.raw("],\"calls\":1,");
  out.field("ticks", ticks);
  out.field("min_ticks", ticks);
  out.field("max_ticks", ticks);
  out.raw(
      "\"bytes_sent\":0,\"bytes_received\":0,\"sent_sizes\":[],\"received_sizes\":[],\"wait_kind\":\"none\","
      "\"wait_calls\":0,\"wait_ticks\":0,\"wait_bytes\":0,\"comm_size\":0,\"requests\":0,"
      "\"request_life_ticks\":0,\"request_inside_ticks\":0},");
}

bool rank_file_path(char* path, std::size_t size, const char* suffix) noexcept {
  return run_directory::rank_dump_path(path, size, g_identity.directory, g_identity.rank, suffix);
}

class FileSink final : public Sink {
 public:
  explicit FileSink(int fd) : fd_(fd) {}
  void write(const char* data, std::size_t size) noexcept override {
    while (size > 0 && ok) {
      const ssize_t written = ::write(fd_, data, size);
      if (written < 0 && errno == EINTR) continue;
      if (written <= 0) {
        ok = false;
        return;
      }
      data += written;
      size -= std::size_t(written);
    }
  }
  bool ok = true;

 private:
  int fd_;
};

}  // namespace

RunIdentity& identity() noexcept { return g_identity; }

void write(Sink& sink, const char* reason) noexcept {
  const RunIdentity& id = g_identity;
  const std::uint64_t now_ns = clock::monotonic_ns();
  const double seconds_per_tick = clock::seconds_per_tick();
  const std::uint64_t ticks_per_second =
      seconds_per_tick > 0 ? std::uint64_t(std::llround(1.0 / seconds_per_tick)) : 1000000000u;
  Writer out(sink);
  out.put('{');
  out.field("schema", run_directory::kRankDumpSchema);
  out.field("reason", reason);
  out.field("rank", std::uint64_t(id.rank));
  out.field("size", std::uint64_t(id.size));
  out.field("pid", std::uint64_t(id.pid));
  out.field("host", id.host);
  out.field("program", id.program);
  out.field("command", id.command);
  out.field("mpi_library", id.mpi_library);
  out.field("clock", clock::source() == clock::Source::Tsc ? "tsc" : "clock_gettime");
  out.field("ticks_per_second", ticks_per_second);
  out.field("start_unix_ns", id.start_unix_ns);
  out.field("wall_ns", now_ns > id.init_entry_ns ? now_ns - id.init_entry_ns : 0);
  out.field("init_ns", id.init_duration_ns);
  out.field("threads", tables::count());
  out.field("untracked_requests", untracked_request_count());
  out.field("callsite_depth", std::uint64_t(id.callsite_depth));
  counter_setup(out);
  out.key("payload_sampling");
  out.numbers(
      {payload::g_sampling.every, std::uint64_t(payload::g_sampling.min_bytes), payload::g_sampling.sample_bytes});

  out.key("regions");
  out.put('[');
  for (std::uint32_t r = 0; r < regions::count(); ++r) {
    out.string(regions::name(r));
    out.put(',');
  }
  out.close(']');
  out.put(',');

  out.key("modules");
  out.put('[');
  for (std::uint32_t m = 0; m < modules::count(); ++m) {
    out.raw("{\"id\":");
    out.number(m);
    out.raw(",\"path\":");
    out.string(m == 0 ? "[unknown]" : modules::path(m));  // 0: an address in no loaded module
    out.raw("},");
  }
  out.close(']');
  out.put(',');

  const std::uint32_t threads = tables::count();
  out.key("size_floor_ticks");
  out.put('[');
  for (int bin = 0; bin < kSizeBins; ++bin) {
    std::uint64_t floor = ~std::uint64_t(0);
    for (std::uint32_t t = 0; t < threads; ++t) floor = std::min(floor, tables::at(t).floor_ticks[bin]);
    if (floor == ~std::uint64_t(0)) continue;
    out.numbers({std::uint64_t(bin), floor});
  }
  out.close(']');
  out.put(',');

  out.key("sites");
  out.put('[');
  const auto init_ticks = std::uint64_t(double(id.init_duration_ns) * 1e-9 * double(ticks_per_second));
  lifecycle_site(out, id.init_function, id.init_site, init_ticks);
  if (std::strcmp(reason, "finalize") == 0) lifecycle_site(out, FunctionId::MPI_Finalize, id.finalize_site, 0);
  for (std::uint32_t t = 0; t < threads; ++t) {
    const SiteTable& table = tables::at(t);
    for (std::uint32_t i = 0; i < table.size(); ++i) {
      if (table.site(i).calls > 0) site(out, table.site(i));
    }
  }
  out.close(']');
  out.put(',');

  out.key("matrix");
  out.put('[');
  for (int peer = 0; peer < id.size; ++peer) {
    PeerTraffic total;
    for (std::uint32_t t = 0; t < threads; ++t) {
      const SiteTable& table = tables::at(t);
      if (table.peers() && peer < table.world_size()) {
        total.messages += table.peers()[peer].messages;
        total.bytes += table.peers()[peer].bytes;
      }
    }
    if (!total.messages) continue;
    out.numbers({std::uint64_t(peer), total.messages, total.bytes});
  }
  out.close(']');
  out.close('}');
  out.put('\n');
}

bool write_rank_file(const char* reason) noexcept {
  if (!g_identity.directory[0]) return false;
  char directory[4200];
  run_directory::TextBuffer path(directory, sizeof directory);
  if (!path.add(g_identity.directory).fits()) return false;
  mkdir(directory, 0777);
  path.add("/").add(run_directory::kRanksDir);
  if (!path.fits()) return false;
  mkdir(directory, 0777);
  char temporary[4300], final_path[4300];
  if (!rank_file_path(temporary, sizeof temporary, ".tmp") || !rank_file_path(final_path, sizeof final_path, "")) {
    return false;
  }
  const int fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) return false;
  FileSink sink(fd);
  write(sink, reason);
  const bool closed = ::close(fd) == 0;
  if (!sink.ok || !closed || rename(temporary, final_path) != 0) {
    unlink(temporary);
    return false;
  }
  return true;
}

void remove_rank_file() noexcept {
  char path[4300];
  if (rank_file_path(path, sizeof path, "")) unlink(path);
}

}  // namespace commtune::pmpi::dump
