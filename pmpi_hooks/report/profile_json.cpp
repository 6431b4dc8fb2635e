#include "report/profile_json.hpp"

#include <fmt/format.h>

#include <ctime>

#include "commtune/pmpi/size_bins.hpp"

#ifndef COMMTUNE_VERSION
#define COMMTUNE_VERSION "unknown"
#endif

namespace commtune::report {

using pmpi::kLastSizeBin;
using pmpi::size_bin_max_bytes;
using pmpi::size_bin_min_bytes;
namespace {

using nlohmann::ordered_json;

// Above this many ranks the matrix is a list of the pairs that communicated.
constexpr int kDenseMatrixRanks = 256;
constexpr std::size_t kImbalanceSites = 20;

std::string hex(std::uint64_t offset) { return fmt::format("{:#x}", offset); }

ordered_json spread_json(const Spread& spread) {
  return ordered_json{{"min", spread.min}, {"mean", spread.mean},         {"max", spread.max},
                      {"cv", spread.cv},   {"min_rank", spread.min_rank}, {"max_rank", spread.max_rank}};
}

ordered_json function_json(const FunctionTotals& totals) {
  return ordered_json{
      {"name", totals.name},     {"category", totals.category},     {"calls", totals.calls},
      {"time_s", totals.time_s}, {"bytes_sent", totals.bytes_sent}, {"bytes_received", totals.bytes_received}};
}

ordered_json functions_json(const std::vector<FunctionTotals>& functions) {
  ordered_json list = ordered_json::array();
  for (const FunctionTotals& totals : functions) list.push_back(function_json(totals));
  return list;
}

ordered_json frame_json(const Frame& frame) {
  return ordered_json{
      {"module", frame.module}, {"offset", hex(frame.offset)},    {"symbol", frame.symbol},        {"file", frame.file},
      {"line", frame.line},     {"debug_info", frame.debug_info}, {"inlined_in", frame.inlined_in}};
}

// The innermost frame, or an empty one for a site recorded without frames (MPI_Init).
const Frame& innermost(const CallSiteStats& site) {
  static const Frame none;
  return site.frames.empty() ? none : site.frames.front();
}

// id, function, file and line: how the sections after "callsites" name a site.
ordered_json site_reference(const CallSiteStats& site) {
  const Frame& frame = innermost(site);
  return ordered_json{{"id", site.id}, {"function", site.function}, {"file", frame.file}, {"line", frame.line}};
}

ordered_json callsite_json(const CallSiteStats& site) {
  const Frame& frame = innermost(site);
  ordered_json frames = ordered_json::array();
  for (const Frame& each : site.frames) frames.push_back(frame_json(each));
  return ordered_json{{"id", site.id},
                      {"function", site.function},
                      {"category", site.category},
                      {"region", site.region},
                      {"file", frame.file},
                      {"line", frame.line},
                      {"symbol", frame.symbol},
                      {"module", frame.module},
                      {"offset", hex(frame.offset)},
                      {"debug_info", frame.debug_info},
                      {"frames", std::move(frames)},
                      {"calls", site.calls},
                      {"time_s", site.time_s},
                      {"bytes_sent", site.bytes_sent},
                      {"bytes_received", site.bytes_received},
                      {"comm_size", site.comm_size},
                      {"ranks", site.ranks_calling},
                      {"time_per_rank", spread_json(site.time_per_rank)}};
}

ordered_json counter_values_json(const CounterValues& values, const std::vector<std::string>& order) {
  ordered_json json = ordered_json::object();
  for (const std::string& name : order) {
    const auto it = values.find(name);
    json[name] = it == values.end() ? 0 : it->second;
  }
  return json;
}

double ratio(std::uint64_t original, std::uint64_t compressed) {
  return compressed > 0 ? double(original) / double(compressed) : 0.0;
}

double megabytes_per_s(std::uint64_t bytes, double seconds) {
  return seconds > 0 ? double(bytes) / seconds / 1e6 : 0.0;
}

// callsites[].counters and callsites[].compressibility, when recorded.
void add_measurements_json(ordered_json& entry, const CallSiteStats& site, const MergedRun& run) {
  if (!run.counters.measured.empty()) entry["counters"] = counter_values_json(site.counters, run.counters.measured);
  const PayloadTotals& p = site.payload;
  if (p.samples == 0) return;
  entry["compressibility"] = ordered_json{{"samples", p.samples},
                                          {"sampled_bytes", p.sampled_bytes},
                                          {"lz4_bytes", p.lz4_bytes},
                                          {"zstd1_bytes", p.zstd_bytes},
                                          {"lz4_ratio", ratio(p.sampled_bytes, p.lz4_bytes)},
                                          {"zstd1_ratio", ratio(p.sampled_bytes, p.zstd_bytes)},
                                          {"lz4_mb_per_s", megabytes_per_s(p.sampled_bytes, p.lz4_s)},
                                          {"zstd1_mb_per_s", megabytes_per_s(p.sampled_bytes, p.zstd_s)}};
}

ordered_json counters_json(const MergedRun& run) {
  const CounterSetup& setup = run.counters;
  CounterValues totals;
  ordered_json per_rank = ordered_json::array();
  for (const RankSummary& rank : run.ranks) {
    for (const auto& [name, value] : rank.counters) totals[name] += value;
    per_rank.push_back(
        ordered_json{{"rank", rank.rank}, {"values", counter_values_json(rank.counters, setup.measured)}});
  }
  return ordered_json{{"requested", setup.requested},   {"measured", setup.measured},
                      {"fallback", setup.fallback},     {"notes", setup.notes},
                      {"method", kCounterMethod},       {"totals", counter_values_json(totals, setup.measured)},
                      {"per_rank", std::move(per_rank)}};
}

ordered_json compressibility_json(const MergedRun& run) {
  const PayloadSampling& sampling = run.payload_sampling;
  return ordered_json{{"sample_every", sampling.every},
                      {"min_bytes", sampling.min_bytes},
                      {"sample_bytes", sampling.sample_bytes},
                      {"method", kCompressibilityMethod}};
}

ordered_json bins_json(const SizeCounts& counts) {
  ordered_json bins = ordered_json::array();
  for (const auto& [bin, count] : counts) {
    if (count == 0) continue;
    const auto max_bytes = size_bin_max_bytes(bin);
    bins.push_back(ordered_json{{"bin", bin},
                                {"min_bytes", size_bin_min_bytes(bin)},
                                {"max_bytes", max_bytes ? ordered_json(*max_bytes) : ordered_json(nullptr)},
                                {"count", count}});
  }
  return bins;
}

ordered_json message_sizes_json(const MergedRun& run) {
  ordered_json functions = ordered_json::array();
  for (const FunctionTotals& totals : run.functions) {
    ordered_json sent = bins_json(totals.sent_sizes), received = bins_json(totals.received_sizes);
    if (sent.empty() && received.empty()) continue;
    functions.push_back(ordered_json{{"function", totals.name}, {"sent", sent}, {"received", received}});
  }
  ordered_json callsites = ordered_json::array();
  for (const CallSiteStats& site : run.callsites) {
    ordered_json sent = bins_json(site.sent_sizes), received = bins_json(site.received_sizes);
    if (sent.empty() && received.empty()) continue;
    callsites.push_back(ordered_json{{"id", site.id}, {"sent", sent}, {"received", received}});
  }
  return ordered_json{
      {"bins", fmt::format("bin 0: 0 bytes; bin k: [2^(k-1), 2^k - 1]; bin {}: {} bytes and more (max_bytes null)",
                           kLastSizeBin, size_bin_min_bytes(kLastSizeBin))},
      {"functions", std::move(functions)},
      {"callsites", std::move(callsites)}};
}

ordered_json comm_matrix_json(const MergedRun& run) {
  std::uint64_t total_bytes = 0, total_messages = 0;
  for (const auto& [pair, traffic] : run.traffic) {
    total_bytes += traffic.bytes;
    total_messages += traffic.messages;
  }
  ordered_json matrix{{"ranks", run.size},
                      {"what",
                       "point-to-point messages sent, as counted by the sender (MPI_COMM_WORLD ranks; row = sender, "
                       "column = receiver); collectives and one-sided operations are not included"},
                      {"total_bytes", total_bytes},
                      {"total_messages", total_messages}};
  if (run.size <= kDenseMatrixRanks) {
    const auto n = std::size_t(run.size);
    std::vector<std::vector<std::uint64_t>> bytes(n, std::vector<std::uint64_t>(n, 0)), messages = bytes;
    for (const auto& [pair, traffic] : run.traffic) {
      bytes[std::size_t(pair.first)][std::size_t(pair.second)] = traffic.bytes;
      messages[std::size_t(pair.first)][std::size_t(pair.second)] = traffic.messages;
    }
    matrix["bytes"] = bytes;
    matrix["messages"] = messages;
  } else {
    ordered_json pairs = ordered_json::array();
    for (const auto& [pair, traffic] : run.traffic)
      pairs.push_back(ordered_json::array({pair.first, pair.second, traffic.messages, traffic.bytes}));
    matrix["pairs"] = std::move(pairs);
  }
  return matrix;
}

ordered_json imbalance_json(const MergedRun& run) {
  ordered_json per_rank = ordered_json::array();
  for (const RankSummary& rank : run.ranks)
    per_rank.push_back(ordered_json{{"rank", rank.rank},
                                    {"mpi_time_s", rank.mpi_s},
                                    {"app_time_s", rank.app_s},
                                    {"mpi_fraction", rank.wall_s > 0 ? rank.mpi_s / rank.wall_s : 0.0}});
  ordered_json callsites = ordered_json::array();
  for (const CallSiteStats* site : most_imbalanced(run, kImbalanceSites)) {
    ordered_json entry = site_reference(*site);
    entry.update(spread_json(site->time_per_rank));
    callsites.push_back(std::move(entry));
  }
  return ordered_json{{"mpi_time", spread_json(run.mpi_time)},
                      {"app_time", spread_json(run.app_time)},
                      {"per_rank", std::move(per_rank)},
                      {"callsites", std::move(callsites)}};
}

ordered_json wait_states_json(const MergedRun& run) {
  ordered_json callsites = ordered_json::array();
  for (const CallSiteStats* site : waiting_sites(run)) {
    ordered_json entry = site_reference(*site);
    entry.update(ordered_json{{"kind", site->wait_kind},
                              {"time_s", site->wait_s},
                              {"instances", site->wait_instances},
                              {"per_rank_max_s", site->wait_max_rank_s},
                              {"max_rank", site->wait_max_rank}});
    callsites.push_back(std::move(entry));
  }
  return ordered_json{{"method", kWaitStateMethod},
                      {"late_sender_s", run.late_sender_s},
                      {"late_receiver_s", run.late_receiver_s},
                      {"wait_at_collective_s", run.collective_wait_s},
                      {"callsites", std::move(callsites)}};
}

ordered_json requests_json(const MergedRun& run) {
  ordered_json callsites = ordered_json::array();
  for (const CallSiteStats* site : request_sites(run)) {
    ordered_json entry = site_reference(*site);
    entry.update(ordered_json{{"requests", site->requests},
                              {"lifetime_s", site->request_life_s},
                              {"mean_lifetime_s", site->request_life_s / double(site->requests)},
                              {"inside_completion_s", site->request_inside_s},
                              {"overlap_fraction", overlap_fraction(*site)}});
    callsites.push_back(std::move(entry));
  }
  return ordered_json{{"callsites", std::move(callsites)}};
}

}  // namespace

std::string iso8601_utc(std::uint64_t unix_ns) {
  const std::time_t seconds = std::time_t(unix_ns / 1'000'000'000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

ordered_json profile_json(const MergedRun& run, const std::vector<std::string>& dump_errors,
                          const std::string& finished_at) {
  ordered_json profile{{"schema", kProfileSchema},
                       {"tool", {{"name", "commtune"}, {"version", COMMTUNE_VERSION}}},
                       {"complete", run.complete}};
  if (!run.complete) profile["partial_reason"] = run.partial_reason;
  profile["ranks_reported"] = run.ranks_reported();
  profile["missing_ranks"] = run.missing_ranks;
  if (!dump_errors.empty()) profile["dump_errors"] = dump_errors;
  profile["command"] = run.command;
  profile["program"] = run.program;
  profile["mpi_library"] = run.mpi_library;
  profile["started_at"] = run.start_unix_ns > 0 ? iso8601_utc(run.start_unix_ns) : std::string();
  profile["finished_at"] = finished_at;
  profile["clock"] = {{"source", run.clock_source}, {"seconds_per_tick", run.seconds_per_tick}};
  profile["ranks"] = run.size;
  profile["wall_time_s"] = run.wall_s;
  profile["mpi_time_s"] = run.mpi_s;
  profile["app_time_s"] = run.app_s;
  profile["mpi_time_fraction"] = run.mpi_fraction();
  profile["startup_s"] = run.startup_s;
  profile["shutdown_s"] = run.shutdown_s;
  profile["communication_s"] = run.communication_s;
  profile["communication_fraction"] = run.communication_fraction();
  profile["untracked_requests"] = run.untracked_requests;
  profile["callsite_depth"] = run.callsite_depth;
  profile["functions"] = functions_json(run.functions);

  ordered_json per_rank = ordered_json::array();
  for (const RankSummary& rank : run.ranks)
    per_rank.push_back(ordered_json{{"rank", rank.rank},
                                    {"host", rank.host},
                                    {"pid", rank.pid},
                                    {"threads", rank.threads},
                                    {"reason", rank.reason},
                                    {"wall_time_s", rank.wall_s},
                                    {"mpi_time_s", rank.mpi_s},
                                    {"startup_s", rank.startup_s},
                                    {"shutdown_s", rank.shutdown_s},
                                    {"communication_s", rank.communication_s},
                                    {"app_time_s", rank.app_s},
                                    {"functions", functions_json(rank.functions)}});
  profile["per_rank"] = std::move(per_rank);

  ordered_json callsites = ordered_json::array();
  for (const CallSiteStats& site : run.callsites) {
    ordered_json entry = callsite_json(site);
    add_measurements_json(entry, site, run);
    callsites.push_back(std::move(entry));
  }
  profile["callsites"] = std::move(callsites);
  profile["message_sizes"] = message_sizes_json(run);
  profile["comm_matrix"] = comm_matrix_json(run);
  profile["imbalance"] = imbalance_json(run);
  profile["wait_states"] = wait_states_json(run);
  profile["requests"] = requests_json(run);

  ordered_json regions = ordered_json::array();
  for (const RegionTotals& region : run.regions)
    regions.push_back(ordered_json{{"name", region.name},
                                   {"calls", region.calls},
                                   {"time_s", region.time_s},
                                   {"bytes_sent", region.bytes_sent},
                                   {"bytes_received", region.bytes_received}});
  profile["regions"] = std::move(regions);
  if (!run.counters.requested.empty()) profile["counters"] = counters_json(run);
  profile["compressibility"] = compressibility_json(run);
  return profile;
}

}  // namespace commtune::report
