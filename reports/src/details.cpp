// The run report's details: the run and its hardware, MPI functions, call sites, message sizes
// and the communication matrix.
#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "format.hpp"
#include "run_sections.hpp"

namespace commtune::reports {

namespace {

constexpr std::size_t kTopFunctions = 20;
constexpr std::size_t kTopCallsites = 25;
constexpr std::size_t kListedHosts = 8;
constexpr std::size_t kTopPairs = 10;
// The heatmap shows at most this many rows and columns; larger runs are aggregated into blocks of
// consecutive ranks, so 1,024 ranks stay readable and the page small.
constexpr int kMaxMatrixCells = 64;

std::string or_not_recorded(const std::string& text) { return text.empty() ? "not recorded" : text; }

void hardware_table(Document& document, const tuner::HardwareFingerprint* hardware) {
  document.subsection("Hardware fingerprint");
  if (!hardware) {
    document.not_recorded("no hardware.json (written by `commtune run`)");
    return;
  }
  const tuner::HardwareTopology& topology = hardware->topology;
  std::string settings;
  for (const auto& [name, value] : hardware->launch.mca)
    settings += fmt::format("{}{}={}", settings.empty() ? "" : " ", name, value);
  for (const auto& [name, value] : hardware->launch.environment)
    settings += fmt::format("{}{}={}", settings.empty() ? "" : " ", name, value);
  Table table{{"", ""}, {}};
  table.rows = {
      {{"id"}, {hardware->id()}},
      {{"CPU"}, {or_not_recorded(topology.cpu_model)}},
      {{"sockets / cores / hardware threads"},
       {fmt::format("{} / {} / {}", topology.sockets, topology.cores, topology.pus)}},
      {{"NUMA nodes, memory"}, {fmt::format("{}, {}", topology.numa_nodes, bytes(double(topology.memory_bytes)))}},
      {{"MPI"}, {fmt::format("{} {} {}", hardware->mpi.implementation, hardware->mpi.version, hardware->mpi.device)}},
      {{"transport"}, {or_not_recorded(hardware->launch.transport)}},
      {{"nodes x ranks per node"}, {fmt::format("{} x {}", hardware->launch.nodes, hardware->launch.ranks_per_node)}},
      {{"MPI settings in force"}, {settings.empty() ? "none" : settings}},
  };
  for (const tuner::CalibrationPoint& point : hardware->calibration.points)
    table.rows.push_back({{fmt::format("calibration {}", bytes(double(point.message_bytes)))},
                          {fmt::format("{:.2f} µs one-way, {:.0f} MB/s", point.latency_us, point.bandwidth_mb_per_s)}});
  document.table(table);
}

}  // namespace

std::string site_location(const profile::CallSite& site) {
  if (site.frames.empty()) return "(no stack)";
  const profile::Frame& frame = site.location();
  if (!frame.file.empty()) return fmt::format("{}:{}", frame.file, frame.line);
  return fmt::format("{}+0x{:x}{}", frame.module, frame.offset, frame.symbol.empty() ? "" : " (" + frame.symbol + ")");
}

void add_run(Document& document, const profile::Profile& profile, const tuner::HardwareFingerprint* hardware) {
  document.section("run", "The run");
  const std::vector<std::string> hosts = profile.hosts();
  std::vector<std::string> distinct;
  for (const std::string& host : hosts)
    if (std::find(distinct.begin(), distinct.end(), host) == distinct.end()) distinct.push_back(host);
  std::string host_list;
  for (std::size_t i = 0; i < distinct.size() && i < kListedHosts; ++i) host_list += (i ? ", " : "") + distinct[i];
  if (distinct.size() > kListedHosts) host_list += fmt::format(", … ({} more)", distinct.size() - kListedHosts);
  std::string missing;
  for (const int rank : profile.missing_ranks) missing += (missing.empty() ? "" : ", ") + std::to_string(rank);
  Table table{{"", ""}, {}};
  table.rows = {
      {{"program"}, {or_not_recorded(profile.program)}},
      {{"command"}, {or_not_recorded(profile.command)}},
      {{"ranks"},
       {fmt::format("{} ({} reported{})", profile.ranks, profile.ranks_reported,
                    missing.empty() ? "" : "; missing: " + missing)}},
      {{"hosts"},
       {fmt::format("{} node(s), at most {} rank(s) per node: {}", profile.node_count(), profile.max_ranks_per_node(),
                    or_not_recorded(host_list))}},
      {{"wall time"}, {seconds(profile.wall_time_s)}},
      {{"started, finished (UTC)"},
       {fmt::format("{}, {}", or_not_recorded(profile.started_at), or_not_recorded(profile.finished_at))}},
      {{"MPI library"}, {or_not_recorded(profile.mpi_library)}},
      {{"profile"}, {profile.complete ? "complete" : "partial: " + or_not_recorded(profile.partial_reason)}},
      {{"clock"}, {or_not_recorded(profile.clock_source)}},
      {{"recorded by"}, {fmt::format("commtune {}", or_not_recorded(profile.tool_version))}},
  };
  document.table(table);
  hardware_table(document, hardware);
}

void add_functions(Document& document, const profile::Profile& profile) {
  document.section("functions", "MPI functions");
  if (profile.functions.empty()) {
    document.not_recorded("no MPI call in the profile");
    return;
  }
  Table table{{"function", "category", "calls", "time", "% of MPI time", "bytes sent", "bytes received"}, {}};
  for (std::size_t i = 0; i < profile.functions.size() && i < kTopFunctions; ++i) {
    const profile::FunctionTotals& function = profile.functions[i];
    table.rows.push_back({{function.name},
                          {function.category},
                          {count(function.calls), true},
                          {seconds(function.time_s), true},
                          {percent(profile.mpi_time_s > 0 ? function.time_s / profile.mpi_time_s : 0), true},
                          {bytes(double(function.bytes_sent)), true},
                          {bytes(double(function.bytes_received)), true}});
  }
  document.table(table);
  if (profile.functions.size() > kTopFunctions)
    document.paragraph(fmt::format("{} more functions in profile.json.", profile.functions.size() - kTopFunctions));
}

void add_callsites(Document& document, const profile::Profile& profile) {
  document.section("callsites", "Top call sites");
  if (profile.callsites.empty()) {
    document.not_recorded("no call sites in the profile");
    return;
  }
  const double rank_seconds = profile.wall_time_s * std::max(1, profile.ranks_reported);
  Table table{{"id", "function", "where", "region", "calls", "time", "% of run", "bytes sent", "ranks",
               "time per rank min / mean / max"},
              {}};
  for (std::size_t i = 0; i < profile.callsites.size() && i < kTopCallsites; ++i) {
    const profile::CallSite& site = profile.callsites[i];
    const profile::Spread& spread = site.time_per_rank;
    table.rows.push_back(
        {{std::to_string(site.id), true},
         {site.function},
         {site_location(site)},
         {site.region},
         {count(site.calls), true},
         {seconds(site.time_s), true},
         {percent(rank_seconds > 0 ? site.time_s / rank_seconds : 0), true},
         {bytes(double(site.bytes_sent)), true},
         {std::to_string(site.ranks), true},
         {fmt::format("{} / {} / {}", seconds(spread.min), seconds(spread.mean), seconds(spread.max)), true}});
  }
  document.table(table);
}

void add_message_sizes(Document& document, const profile::Profile& profile) {
  document.section("sizes", "Message sizes");
  // Bins by lower bound, summed over functions: min_bytes -> (max_bytes, sent, received).
  struct Row {
    std::optional<std::uint64_t> max_bytes;
    std::uint64_t sent = 0, received = 0;
  };
  std::map<std::uint64_t, Row> bins;
  for (const profile::FunctionTotals& function : profile.functions) {
    for (const profile::SizeBin& bin : function.sizes.sent) {
      bins[bin.min_bytes].max_bytes = bin.max_bytes;
      bins[bin.min_bytes].sent += bin.count;
    }
    for (const profile::SizeBin& bin : function.sizes.received) {
      bins[bin.min_bytes].max_bytes = bin.max_bytes;
      bins[bin.min_bytes].received += bin.count;
    }
  }
  if (bins.empty()) {
    document.not_recorded("no message with a size in the profile");
    return;
  }
  BarChart chart{
      "sizes", "Messages per size bin, all functions and ranks", "message size", "messages", {}, {"sent", "received"},
      {{}, {}}};
  chart.stacked = false;
  Table table{{"size", "messages sent", "messages received"}, {}};
  for (const auto& [min_bytes, row] : bins) {
    const std::string label = row.max_bytes
                                  ? fmt::format("{}-{}", bytes(double(min_bytes)), bytes(double(*row.max_bytes)))
                                  : fmt::format(">= {}", bytes(double(min_bytes)));
    chart.categories.push_back(label);
    chart.values[0].push_back(double(row.sent));
    chart.values[1].push_back(double(row.received));
    table.rows.push_back({{label}, {count(row.sent), true}, {count(row.received), true}});
  }
  document.chart(draw(chart));
  document.table(table);
}

void add_matrix(Document& document, const profile::Profile& profile) {
  document.section("matrix", "Communication matrix");
  const profile::CommMatrix& matrix = profile.comm_matrix;
  if (matrix.pairs.empty() || matrix.ranks <= 0) {
    document.not_recorded("no point-to-point message between ranks");
    return;
  }
  const int block = (matrix.ranks + kMaxMatrixCells - 1) / kMaxMatrixCells;
  const int size = (matrix.ranks + block - 1) / block;
  Heatmap heatmap{"matrix",
                  block == 1 ? "Bytes sent from rank (row) to rank (column), log10 scale"
                             : fmt::format("Bytes sent between blocks of {} consecutive ranks (row: senders, column: "
                                           "receivers), log10 scale",
                                           block),
                  "receiver rank",
                  "sender rank",
                  "log10(bytes)",
                  size,
                  block,
                  std::vector<double>(std::size_t(size) * size, 0.0)};
  std::vector<double> summed(std::size_t(size) * size, 0.0);
  for (const profile::Traffic& pair : matrix.pairs)
    summed[std::size_t(pair.sender / block) * size + std::size_t(pair.receiver / block)] += double(pair.bytes);
  for (std::size_t i = 0; i < summed.size(); ++i) heatmap.cells[i] = summed[i] > 0 ? std::log10(1 + summed[i]) : 0;
  document.chart(draw(heatmap));
  std::vector<profile::Traffic> pairs = matrix.pairs;
  std::sort(pairs.begin(), pairs.end(), [](const auto& a, const auto& b) { return a.bytes > b.bytes; });
  Table table{{"sender", "receiver", "messages", "bytes"}, {}};
  for (std::size_t i = 0; i < pairs.size() && i < kTopPairs; ++i)
    table.rows.push_back({{std::to_string(pairs[i].sender), true},
                          {std::to_string(pairs[i].receiver), true},
                          {count(pairs[i].messages), true},
                          {bytes(double(pairs[i].bytes)), true}});
  document.paragraph(fmt::format("{} pairs communicated: {} in {} messages. The heaviest:", matrix.pairs.size(),
                                 bytes(double(matrix.total_bytes)), count(matrix.total_messages)));
  document.table(table);
}

}  // namespace commtune::reports
