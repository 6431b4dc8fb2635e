#include "report/dump.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "commtune/pmpi/size_bins.hpp"

namespace commtune::report {

using pmpi::kLastSizeBin;
namespace {

using nlohmann::json;

// Reads the keys of one dump; every error names the source, the rank once known, the key path
// and what would have been accepted.
class DumpReader {
 public:
  explicit DumpReader(const std::string& source) : source_(source) {}

  void set_rank(int rank) { rank_ = rank; }
  // How many counter values each site holds (the rank's measured events).
  void set_counter_count(std::size_t count) { counter_count_ = count; }
  std::size_t counter_count() const { return counter_count_; }

  [[noreturn]] void fail(const std::string& key, const std::string& problem) const {
    const std::string where = rank_ >= 0 ? fmt::format("{} (rank {})", source_, rank_) : source_;
    throw DumpError(fmt::format("{}: key \"{}\": {}", where, key, problem), rank_);
  }

  // The value at object[key]; nullptr when absent and optional.
  const json* find(const json& object, const std::string& path, const char* key, bool required) const {
    if (auto it = object.find(key); it != object.end()) return &*it;
    if (required) fail(join(path, key), "missing");
    return nullptr;
  }

  std::uint64_t count(const json& value, const std::string& key) const {
    if (!value.is_number_unsigned()) fail(key, "expected a non-negative integer, got " + excerpt(value));
    return value.get<std::uint64_t>();
  }

  std::uint64_t count(const json& object, const std::string& path, const char* key, bool required) const {
    const json* value = find(object, path, key, required);
    return value == nullptr ? 0 : count(*value, join(path, key));
  }

  std::string text(const json& object, const std::string& path, const char* key, bool required) const {
    const json* value = find(object, path, key, required);
    if (value == nullptr) return {};
    if (!value->is_string()) fail(join(path, key), "expected a string, got " + excerpt(*value));
    return value->get<std::string>();
  }

  // An array (empty when absent and optional).
  const json& array(const json& object, const std::string& path, const char* key, bool required) const {
    static const json empty = json::array();
    const json* value = find(object, path, key, required);
    if (value == nullptr) return empty;
    if (!value->is_array()) fail(join(path, key), "expected an array, got " + excerpt(*value));
    return *value;
  }

  // [[bin, value], ...] with bins 0..kLastSizeBin.
  BinValues bin_values(const json& object, const std::string& path, const char* key) const {
    BinValues values;
    const json& entries = array(object, path, key, false);
    for (std::size_t i = 0; i < entries.size(); ++i) {
      const std::string entry_key = fmt::format("{}[{}]", join(path, key), i);
      const json& entry = entries[i];
      if (!entry.is_array() || entry.size() != 2) fail(entry_key, "expected [bin, value], got " + excerpt(entry));
      const std::uint64_t bin = count(entry[0], entry_key + "[0]");
      if (bin > std::uint64_t(kLastSizeBin)) fail(entry_key, fmt::format("bin {} is not in 0..{}", bin, kLastSizeBin));
      values.emplace_back(int(bin), count(entry[1], entry_key + "[1]"));
    }
    return values;
  }

  static std::string join(const std::string& path, const char* key) { return path.empty() ? key : path + "." + key; }

  static std::string excerpt(const json& value) {
    std::string text = value.dump();
    if (text.size() > 40) text = text.substr(0, 37) + "...";
    return text;
  }

 private:
  std::string source_;
  int rank_ = -1;
  std::size_t counter_count_ = 0;
};

// A fixed-length array of counts; empty when absent.
std::vector<std::uint64_t> counts(const DumpReader& reader, const json& object, const std::string& path,
                                  const char* key, std::size_t expected_size) {
  const json& values = reader.array(object, path, key, false);
  if (!values.empty() && values.size() != expected_size)
    reader.fail(DumpReader::join(path, key), fmt::format("{} values, expected {}", values.size(), expected_size));
  std::vector<std::uint64_t> parsed;
  for (std::size_t i = 0; i < values.size(); ++i)
    parsed.push_back(reader.count(values[i], fmt::format("{}[{}]", DumpReader::join(path, key), i)));
  return parsed;
}

// The site's counters (as many as the rank measured) and payload samples, both optional.
void parse_measurements(const DumpReader& reader, const json& site, const std::string& path, DumpSite& parsed) {
  if (site.contains("counters")) parsed.counters = counts(reader, site, path, "counters", reader.counter_count());
  const std::vector<std::uint64_t> payload = counts(reader, site, path, "payload", 6);
  if (!payload.empty()) parsed.payload = {payload[0], payload[1], payload[2], payload[3], payload[4], payload[5]};
}

std::vector<std::string> texts(const DumpReader& reader, const json& object, const std::string& path, const char* key) {
  std::vector<std::string> parsed;
  const json& values = reader.array(object, path, key, false);
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!values[i].is_string())
      reader.fail(fmt::format("{}[{}]", DumpReader::join(path, key), i),
                  "expected a string, got " + DumpReader::excerpt(values[i]));
    parsed.push_back(values[i].get<std::string>());
  }
  return parsed;
}

CounterSetup parse_counter_setup(const DumpReader& reader, const json& root) {
  CounterSetup setup;
  const json* counters = reader.find(root, "", "counters", false);
  if (!counters) return setup;
  if (!counters->is_object()) reader.fail("counters", "expected an object, got " + DumpReader::excerpt(*counters));
  setup.requested = texts(reader, *counters, "counters", "requested");
  setup.measured = texts(reader, *counters, "counters", "measured");
  setup.notes = texts(reader, *counters, "counters", "notes");
  setup.fallback = reader.count(*counters, "counters", "fallback", false) != 0;
  return setup;
}

DumpSite parse_site(const DumpReader& reader, const json& site, const std::string& path,
                    const std::vector<std::string>& modules, const std::vector<std::string>& regions) {
  if (!site.is_object()) reader.fail(path, "expected an object, got " + DumpReader::excerpt(site));
  DumpSite parsed;
  parsed.function = reader.text(site, path, "function", true);
  if (parsed.function.empty()) reader.fail(path + ".function", "empty");
  parsed.category = reader.text(site, path, "category", false);
  const std::uint64_t region = reader.count(site, path, "region", false);
  if (region >= regions.size())
    reader.fail(path + ".region", fmt::format("{} is not an index of \"regions\" (size {})", region, regions.size()));
  parsed.region = regions[region];

  const json& frames = reader.array(site, path, "frames", true);
  for (std::size_t i = 0; i < frames.size(); ++i) {
    const std::string frame_key = fmt::format("{}.frames[{}]", path, i);
    const json& frame = frames[i];
    if (!frame.is_array() || frame.size() != 2)
      reader.fail(frame_key, "expected [module_id, offset], got " + DumpReader::excerpt(frame));
    const std::uint64_t module = reader.count(frame[0], frame_key + "[0]");
    if (module >= modules.size() || modules[module].empty())
      reader.fail(frame_key, fmt::format("module id {} is not in \"modules\"", module));
    parsed.frames.emplace_back(modules[module], reader.count(frame[1], frame_key + "[1]"));
  }

  parsed.calls = reader.count(site, path, "calls", true);
  parsed.ticks = reader.count(site, path, "ticks", true);
  parsed.min_ticks = reader.count(site, path, "min_ticks", false);
  parsed.max_ticks = reader.count(site, path, "max_ticks", false);
  parsed.bytes_sent = reader.count(site, path, "bytes_sent", false);
  parsed.bytes_received = reader.count(site, path, "bytes_received", false);
  parsed.sent_sizes = reader.bin_values(site, path, "sent_sizes");
  parsed.received_sizes = reader.bin_values(site, path, "received_sizes");
  if (site.contains("wait_kind")) {
    parsed.wait_kind = reader.text(site, path, "wait_kind", true);
    if (parsed.wait_kind != "none" && parsed.wait_kind != "late_sender" && parsed.wait_kind != "late_receiver" &&
        parsed.wait_kind != "collective")
      reader.fail(path + ".wait_kind",
                  fmt::format("\"{}\" is not one of none, late_sender, late_receiver, collective", parsed.wait_kind));
  }
  parsed.wait_calls = reader.count(site, path, "wait_calls", false);
  parsed.wait_ticks = reader.count(site, path, "wait_ticks", false);
  parsed.wait_bytes = reader.count(site, path, "wait_bytes", false);
  parsed.comm_size = reader.count(site, path, "comm_size", false);
  parsed.requests = reader.count(site, path, "requests", false);
  parsed.request_life_ticks = reader.count(site, path, "request_life_ticks", false);
  parsed.request_inside_ticks = reader.count(site, path, "request_inside_ticks", false);
  parse_measurements(reader, site, path, parsed);
  return parsed;
}

}  // namespace

RankDump parse_rank_dump(std::string_view text, const std::string& source) {
  json root;
  try {
    root = json::parse(text);
  } catch (const json::parse_error& error) {
    throw DumpError(fmt::format("{}: not valid JSON: {}", source, error.what()), -1);
  }
  DumpReader reader(source);
  if (!root.is_object()) reader.fail("(top level)", "expected an object, got " + DumpReader::excerpt(root));

  RankDump dump;
  // The rank first, so that every later error can name it.
  const std::uint64_t rank = reader.count(root, "", "rank", true);
  const std::uint64_t size = reader.count(root, "", "size", true);
  if (size == 0 || size > std::uint64_t(INT32_MAX)) reader.fail("size", fmt::format("{} is not a world size", size));
  if (rank >= size) reader.fail("rank", fmt::format("{} is not below \"size\" ({})", rank, size));
  dump.rank = int(rank);
  dump.size = int(size);
  reader.set_rank(dump.rank);

  const std::string schema = reader.text(root, "", "schema", true);
  if (schema != kRankDumpSchema) reader.fail("schema", fmt::format("\"{}\", expected \"{}\"", schema, kRankDumpSchema));
  dump.reason = reader.text(root, "", "reason", true);
  if (dump.reason.empty()) reader.fail("reason", "empty");
  if (const json* pid = reader.find(root, "", "pid", false)) {
    if (!pid->is_number_integer()) reader.fail("pid", "expected an integer, got " + DumpReader::excerpt(*pid));
    dump.pid = pid->get<std::int64_t>();
  }
  dump.host = reader.text(root, "", "host", false);
  dump.program = reader.text(root, "", "program", false);
  dump.command = reader.text(root, "", "command", false);
  dump.mpi_library = reader.text(root, "", "mpi_library", false);
  dump.clock = reader.text(root, "", "clock", false);
  dump.ticks_per_second = reader.count(root, "", "ticks_per_second", true);
  if (dump.ticks_per_second == 0) reader.fail("ticks_per_second", "0, expected a positive integer");
  dump.start_unix_ns = reader.count(root, "", "start_unix_ns", false);
  dump.wall_ns = reader.count(root, "", "wall_ns", true);
  dump.init_ns = reader.count(root, "", "init_ns", false);
  dump.threads = reader.count(root, "", "threads", false);
  dump.untracked_requests = reader.count(root, "", "untracked_requests", false);
  dump.callsite_depth = reader.count(root, "", "callsite_depth", false);
  dump.size_floor_ticks = reader.bin_values(root, "", "size_floor_ticks");
  dump.counters = parse_counter_setup(reader, root);
  reader.set_counter_count(dump.counters.measured.size());
  if (const std::vector<std::uint64_t> sampling = counts(reader, root, "", "payload_sampling", 3); !sampling.empty())
    dump.payload_sampling = {sampling[0], sampling[1], sampling[2]};

  std::vector<std::string> regions;
  const json& region_names = reader.array(root, "", "regions", false);
  for (std::size_t i = 0; i < region_names.size(); ++i) {
    if (!region_names[i].is_string())
      reader.fail(fmt::format("regions[{}]", i), "expected a string, got " + DumpReader::excerpt(region_names[i]));
    regions.push_back(region_names[i].get<std::string>());
  }
  if (regions.empty()) regions.push_back("");  // only the unnamed region

  // Module ids are this rank's own: the sites refer to modules by path from here on.
  std::vector<std::string> modules;
  const json& module_list = reader.array(root, "", "modules", true);
  for (std::size_t i = 0; i < module_list.size(); ++i) {
    const std::string key = fmt::format("modules[{}]", i);
    if (!module_list[i].is_object())
      reader.fail(key, "expected {\"id\", \"path\"}, got " + DumpReader::excerpt(module_list[i]));
    const std::uint64_t id = reader.count(module_list[i], key, "id", true);
    std::string path = reader.text(module_list[i], key, "path", true);
    if (path.empty()) reader.fail(key + ".path", "empty");
    if (id >= module_list.size()) reader.fail(key + ".id", fmt::format("{} is not below the module count", id));
    if (modules.size() <= id) modules.resize(id + 1);
    if (!modules[id].empty()) reader.fail(key + ".id", fmt::format("module id {} appears twice", id));
    modules[id] = std::move(path);
  }

  const json& sites = reader.array(root, "", "sites", true);
  dump.sites.reserve(sites.size());
  for (std::size_t i = 0; i < sites.size(); ++i)
    dump.sites.push_back(parse_site(reader, sites[i], fmt::format("sites[{}]", i), modules, regions));

  const json& matrix = reader.array(root, "", "matrix", false);
  for (std::size_t i = 0; i < matrix.size(); ++i) {
    const std::string key = fmt::format("matrix[{}]", i);
    const json& row = matrix[i];
    if (!row.is_array() || row.size() != 3)
      reader.fail(key, "expected [dest_world_rank, messages, bytes], got " + DumpReader::excerpt(row));
    const std::uint64_t destination = reader.count(row[0], key + "[0]");
    if (destination >= size)
      reader.fail(key + "[0]", fmt::format("rank {} is not below \"size\" ({})", destination, size));
    dump.matrix.push_back(
        MatrixRow{int(destination), reader.count(row[1], key + "[1]"), reader.count(row[2], key + "[2]")});
  }
  return dump;
}

}  // namespace commtune::report
