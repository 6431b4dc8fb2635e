#include "profile/reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "commtune/pmpi/run_directory.hpp"

namespace commtune::profile {

namespace fs = std::filesystem;
using nlohmann::json;

const Frame& CallSite::location() const {
  static const Frame none;
  return frames.empty() ? none : frames.front();
}

const CallSite* Profile::callsite(int id) const {
  // Ids are 1, 2, ... in order; the search is for a file that numbered them otherwise.
  if (id >= 1 && std::size_t(id) <= callsites.size() && callsites[std::size_t(id) - 1].id == id) {
    return &callsites[std::size_t(id) - 1];
  }
  const auto it = std::find_if(callsites.begin(), callsites.end(), [&](const CallSite& site) { return site.id == id; });
  return it == callsites.end() ? nullptr : &*it;
}

std::vector<std::string> Profile::hosts() const {
  std::vector<std::string> names;
  for (const RankRecord& rank : per_rank) names.push_back(rank.host);
  return names;
}

int Profile::node_count() const {
  const std::vector<std::string> names = hosts();
  return int(std::set<std::string>(names.begin(), names.end()).size());
}

int Profile::max_ranks_per_node() const {
  std::map<std::string, int> ranks_on;
  int most = 0;
  for (const RankRecord& rank : per_rank) most = std::max(most, ++ranks_on[rank.host]);
  return most;
}

namespace {

// A value of the document with its key path ("callsites[2].frames[0].line"), so that every error
// names the file, the key and what would have been accepted.
class Node {
 public:
  Node(const json& value, std::string key, const fs::path& file) : value_(value), key_(std::move(key)), file_(file) {}

  [[noreturn]] void fail(const std::string& problem) const {
    throw ProfileError(key_.empty() ? fmt::format("{}: {}", file_.string(), problem)
                                    : fmt::format("{}: key \"{}\": {}", file_.string(), key_, problem));
  }

  bool has(const char* key) const { return value_.is_object() && value_.contains(key); }

  Node operator[](const char* key) const {
    if (!value_.is_object()) fail("expected an object, got " + excerpt());
    const auto it = value_.find(key);
    if (it == value_.end()) Node(value_, child_key(key), file_).fail("missing");
    return Node(*it, child_key(key), file_);
  }

  std::vector<Node> elements() const {
    if (!value_.is_array()) fail("expected an array, got " + excerpt());
    std::vector<Node> nodes;
    for (std::size_t i = 0; i < value_.size(); ++i)
      nodes.emplace_back(value_[i], fmt::format("{}[{}]", key_, i), file_);
    return nodes;
  }

  std::string text() const {
    if (!value_.is_string()) fail("expected a string, got " + excerpt());
    return value_.get<std::string>();
  }
  double number() const {
    if (!value_.is_number()) fail("expected a number, got " + excerpt());
    return value_.get<double>();
  }
  std::uint64_t count() const {
    if (!value_.is_number_unsigned()) fail("expected a non-negative integer, got " + excerpt());
    return value_.get<std::uint64_t>();
  }
  std::int64_t integer() const {
    if (!value_.is_number_integer()) fail("expected an integer, got " + excerpt());
    return value_.get<std::int64_t>();
  }
  int small_integer() const {
    const std::int64_t value = integer();
    if (value < std::numeric_limits<int>::min() || value > std::numeric_limits<int>::max()) {
      fail("expected an integer of at most 31 bits, got " + excerpt());
    }
    return int(value);
  }
  bool flag() const {
    if (!value_.is_boolean()) fail("expected true or false, got " + excerpt());
    return value_.get<bool>();
  }
  bool is_null() const { return value_.is_null(); }
  // "0x1a2b", as offsets are written.
  std::uint64_t hex() const {
    const std::string digits = text();
    if (digits.size() < 3 || digits.size() > 18 || !digits.starts_with("0x") ||
        digits.find_first_not_of("0123456789abcdefABCDEF", 2) != std::string::npos) {
      fail("expected a hexadecimal offset such as \"0x1a2b\", got " + excerpt());
    }
    return std::stoull(digits.substr(2), nullptr, 16);
  }

 private:
  std::string child_key(const char* key) const { return key_.empty() ? key : key_ + "." + key; }
  std::string excerpt() const {
    std::string text = value_.dump();
    return text.size() > 40 ? text.substr(0, 37) + "..." : text;
  }

  const json& value_;
  std::string key_;
  const fs::path& file_;
};

std::vector<std::string> texts(const Node& node) {
  std::vector<std::string> values;
  for (const Node& each : node.elements()) values.push_back(each.text());
  return values;
}

std::map<std::string, std::uint64_t> counter_values(const Node& node, const std::vector<std::string>& names) {
  std::map<std::string, std::uint64_t> values;
  for (const std::string& name : names) values[name] = node[name.c_str()].count();
  return values;
}

Spread spread(const Node& node) {
  return {node["min"].number(),
          node["mean"].number(),
          node["max"].number(),
          node["cv"].number(),
          node["min_rank"].small_integer(),
          node["max_rank"].small_integer()};
}

FunctionTotals function_totals(const Node& node) {
  FunctionTotals totals;
  totals.name = node["name"].text();
  totals.category = node["category"].text();
  totals.calls = node["calls"].count();
  totals.time_s = node["time_s"].number();
  totals.bytes_sent = node["bytes_sent"].count();
  totals.bytes_received = node["bytes_received"].count();
  return totals;
}

std::vector<FunctionTotals> function_list(const Node& node) {
  std::vector<FunctionTotals> functions;
  for (const Node& each : node.elements()) functions.push_back(function_totals(each));
  return functions;
}

RankRecord rank_record(const Node& node) {
  RankRecord rank;
  rank.rank = node["rank"].small_integer();
  rank.host = node["host"].text();
  rank.pid = node["pid"].integer();
  rank.threads = node["threads"].small_integer();
  rank.reason = node["reason"].text();
  rank.wall_time_s = node["wall_time_s"].number();
  rank.mpi_time_s = node["mpi_time_s"].number();
  rank.startup_s = node["startup_s"].number();
  rank.shutdown_s = node["shutdown_s"].number();
  rank.communication_s = node["communication_s"].number();
  rank.app_time_s = node["app_time_s"].number();
  rank.functions = function_list(node["functions"]);
  return rank;
}

Frame frame(const Node& node) {
  Frame frame;
  frame.module = node["module"].text();
  frame.offset = node["offset"].hex();
  frame.symbol = node["symbol"].text();
  frame.file = node["file"].text();
  frame.line = node["line"].small_integer();
  frame.debug_info = node["debug_info"].flag();
  frame.inlined_in = texts(node["inlined_in"]);
  return frame;
}

Compressibility compressibility(const Node& node) {
  return {node["samples"].count(),       node["sampled_bytes"].count(),  node["lz4_bytes"].count(),
          node["zstd1_bytes"].count(),   node["lz4_ratio"].number(),     node["zstd1_ratio"].number(),
          node["lz4_mb_per_s"].number(), node["zstd1_mb_per_s"].number()};
}

// callsites[]: the innermost frame's fields repeat frames[0] and are not kept twice.
CallSite callsite(const Node& node, const std::vector<std::string>& measured_counters) {
  CallSite site;
  site.id = node["id"].small_integer();
  site.function = node["function"].text();
  site.category = node["category"].text();
  site.region = node["region"].text();
  for (const Node& each : node["frames"].elements()) site.frames.push_back(frame(each));
  site.calls = node["calls"].count();
  site.time_s = node["time_s"].number();
  site.bytes_sent = node["bytes_sent"].count();
  site.bytes_received = node["bytes_received"].count();
  site.comm_size = node["comm_size"].small_integer();
  site.ranks = node["ranks"].small_integer();
  site.time_per_rank = spread(node["time_per_rank"]);
  if (node.has("counters")) site.counters = counter_values(node["counters"], measured_counters);
  if (node.has("compressibility")) site.compressibility = compressibility(node["compressibility"]);
  return site;
}

std::vector<SizeBin> size_bins(const Node& node) {
  std::vector<SizeBin> bins;
  for (const Node& each : node.elements()) {
    const Node max_bytes = each["max_bytes"];
    bins.push_back({each["bin"].small_integer(), each["min_bytes"].count(),
                    max_bytes.is_null() ? std::nullopt : std::optional<std::uint64_t>(max_bytes.count()),
                    each["count"].count()});
  }
  return bins;
}

MessageSizes message_sizes(const Node& node) { return {size_bins(node["sent"]), size_bins(node["received"])}; }

// The site a later section refers to by id.
CallSite& referenced_site(Profile& profile, const Node& entry) {
  const int id = entry["id"].small_integer();
  const auto site = std::find_if(profile.callsites.begin(), profile.callsites.end(),
                                 [&](const CallSite& each) { return each.id == id; });
  if (site == profile.callsites.end()) entry["id"].fail(fmt::format("call site {} is not in \"callsites\"", id));
  return *site;
}

void read_message_sizes(const Node& node, Profile& profile) {
  for (const Node& entry : node["functions"].elements()) {
    const std::string name = entry["function"].text();
    auto totals = std::find_if(profile.functions.begin(), profile.functions.end(),
                               [&](const FunctionTotals& each) { return each.name == name; });
    if (totals == profile.functions.end()) entry["function"].fail(name + " is not in \"functions\"");
    totals->sizes = message_sizes(entry);
  }
  for (const Node& entry : node["callsites"].elements()) referenced_site(profile, entry).sizes = message_sizes(entry);
}

CommMatrix comm_matrix(const Node& node) {
  CommMatrix matrix;
  matrix.ranks = node["ranks"].small_integer();
  matrix.total_bytes = node["total_bytes"].count();
  matrix.total_messages = node["total_messages"].count();
  if (node.has("pairs")) {
    for (const Node& pair : node["pairs"].elements()) {
      const std::vector<Node> values = pair.elements();
      if (values.size() != 4) pair.fail("expected [sender, receiver, messages, bytes]");
      matrix.pairs.push_back(
          {values[0].small_integer(), values[1].small_integer(), values[2].count(), values[3].count()});
    }
    return matrix;
  }
  const std::vector<Node> bytes = node["bytes"].elements(), messages = node["messages"].elements();
  if (int(bytes.size()) != matrix.ranks || int(messages.size()) != matrix.ranks) {
    node.fail(fmt::format("expected {} rows of bytes and messages, got {} and {}", matrix.ranks, bytes.size(),
                          messages.size()));
  }
  for (int sender = 0; sender < matrix.ranks; ++sender) {
    const std::vector<Node> byte_row = bytes[std::size_t(sender)].elements();
    const std::vector<Node> message_row = messages[std::size_t(sender)].elements();
    if (int(byte_row.size()) != matrix.ranks || int(message_row.size()) != matrix.ranks) {
      bytes[std::size_t(sender)].fail(fmt::format("expected {} columns in bytes and messages", matrix.ranks));
    }
    for (int receiver = 0; receiver < matrix.ranks; ++receiver) {
      const std::uint64_t count = message_row[std::size_t(receiver)].count();
      const std::uint64_t total = byte_row[std::size_t(receiver)].count();
      if (count > 0 || total > 0) matrix.pairs.push_back({sender, receiver, count, total});
    }
  }
  return matrix;
}

Imbalance imbalance(const Node& node) {
  Imbalance result;
  result.mpi_time = spread(node["mpi_time"]);
  result.app_time = spread(node["app_time"]);
  for (const Node& rank : node["per_rank"].elements()) {
    result.per_rank.push_back({rank["rank"].small_integer(), rank["mpi_time_s"].number(), rank["app_time_s"].number(),
                               rank["mpi_fraction"].number()});
  }
  for (const Node& site : node["callsites"].elements()) result.callsite_ids.push_back(site["id"].small_integer());
  return result;
}

void read_wait_states(const Node& node, Profile& profile) {
  profile.wait_states = {node["method"].text(), node["late_sender_s"].number(), node["late_receiver_s"].number(),
                         node["wait_at_collective_s"].number()};
  for (const Node& entry : node["callsites"].elements()) {
    referenced_site(profile, entry).wait =
        WaitState{entry["kind"].text(), entry["time_s"].number(), entry["instances"].count(),
                  entry["per_rank_max_s"].number(), entry["max_rank"].small_integer()};
  }
}

void read_requests(const Node& node, Profile& profile) {
  for (const Node& entry : node["callsites"].elements()) {
    referenced_site(profile, entry).requests =
        RequestLifetimes{entry["requests"].count(), entry["lifetime_s"].number(), entry["mean_lifetime_s"].number(),
                         entry["inside_completion_s"].number(), entry["overlap_fraction"].number()};
  }
}

Counters counters(const Node& node) {
  Counters result;
  result.requested = texts(node["requested"]);
  result.measured = texts(node["measured"]);
  result.fallback = node["fallback"].flag();
  result.notes = texts(node["notes"]);
  result.method = node["method"].text();
  result.totals = counter_values(node["totals"], result.measured);
  for (const Node& rank : node["per_rank"].elements()) {
    result.per_rank.push_back({rank["rank"].small_integer(), counter_values(rank["values"], result.measured)});
  }
  return result;
}

// The top-level facts of the run, before the sections.
void read_run(const Node& root, Profile& profile) {
  profile.tool_version = root["tool"]["version"].text();
  profile.complete = root["complete"].flag();
  if (!profile.complete) profile.partial_reason = root["partial_reason"].text();
  profile.ranks_reported = root["ranks_reported"].small_integer();
  for (const Node& rank : root["missing_ranks"].elements()) profile.missing_ranks.push_back(rank.small_integer());
  if (root.has("dump_errors")) profile.dump_errors = texts(root["dump_errors"]);
  profile.command = root["command"].text();
  profile.program = root["program"].text();
  profile.mpi_library = root["mpi_library"].text();
  profile.started_at = root["started_at"].text();
  profile.finished_at = root["finished_at"].text();
  profile.clock_source = root["clock"]["source"].text();
  profile.seconds_per_tick = root["clock"]["seconds_per_tick"].number();
  profile.ranks = root["ranks"].small_integer();
  profile.wall_time_s = root["wall_time_s"].number();
  profile.mpi_time_s = root["mpi_time_s"].number();
  profile.app_time_s = root["app_time_s"].number();
  profile.mpi_time_fraction = root["mpi_time_fraction"].number();
  profile.startup_s = root["startup_s"].number();
  profile.shutdown_s = root["shutdown_s"].number();
  profile.communication_s = root["communication_s"].number();
  profile.communication_fraction = root["communication_fraction"].number();
  profile.untracked_requests = root["untracked_requests"].count();
  profile.callsite_depth = root["callsite_depth"].small_integer();
}

Profile parse(const json& document, const fs::path& file) {
  const Node root(document, "", file);
  if (!document.is_object()) root.fail("not a JSON object");
  Profile profile;
  profile.file = file;
  profile.schema = root["schema"].text();
  if (profile.schema != run_directory::kProfileSchema) {
    root["schema"].fail(
        fmt::format("\"{}\" is not {}, the schema this commtune reads", profile.schema, run_directory::kProfileSchema));
  }
  read_run(root, profile);
  profile.functions = function_list(root["functions"]);
  for (const Node& rank : root["per_rank"].elements()) profile.per_rank.push_back(rank_record(rank));
  if (root.has("counters")) profile.counters = counters(root["counters"]);
  const std::vector<std::string> measured = profile.counters ? profile.counters->measured : std::vector<std::string>{};
  for (const Node& site : root["callsites"].elements()) profile.callsites.push_back(callsite(site, measured));
  read_message_sizes(root["message_sizes"], profile);
  profile.comm_matrix = comm_matrix(root["comm_matrix"]);
  profile.imbalance = imbalance(root["imbalance"]);
  read_wait_states(root["wait_states"], profile);
  read_requests(root["requests"], profile);
  for (const Node& region : root["regions"].elements()) {
    profile.regions.push_back({region["name"].text(), region["calls"].count(), region["time_s"].number(),
                               region["bytes_sent"].count(), region["bytes_received"].count()});
  }
  const Node sampling = root["compressibility"];
  profile.compressibility = {sampling["sample_every"].count(), sampling["min_bytes"].count(),
                             sampling["sample_bytes"].count(), sampling["method"].text()};
  return profile;
}

}  // namespace

Profile read_profile_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw ProfileError(fmt::format("{}: cannot open: {}", file.string(), std::strerror(errno)));
  const json document = json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) throw ProfileError(fmt::format("{}: not valid JSON", file.string()));
  return parse(document, file);
}

Profile read_profile(const fs::path& run_dir) { return read_profile_file(run_directory::profile_path(run_dir)); }

}  // namespace commtune::profile
