// fit_models(): the hardware models of one fingerprint from the results database's points.
// docs/analysis.md ("Hardware models") says which points feed which model and how each is checked.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

#include "commtune/analysis/models.hpp"
#include "commtune/tuner/fingerprint.hpp"
#include "commtune/tuner/results_db.hpp"
#include "commtune/tuner/statistics.hpp"
#include "piecewise_fit.hpp"

namespace commtune::analysis {
namespace {

using models::SizeTime;
using tuner::PointRow;
using tuner::ResultsDb;

// Fewer kernel link points than this, and the fingerprint's calibration is fitted instead.
constexpr std::size_t kMinLinkPoints = 4;

std::string param(const PointRow& row, const std::string& name) {
  const auto it = row.key.params.find(name);
  return it == row.key.params.end() ? "" : it->second;
}

bool measured(const PointRow& row) {
  return row.status == "measured" && row.statistics && row.statistics->median_s > 0;
}

double median_of(std::vector<double> values) { return tuner::median(values); }

// One value of the metric per launch that recorded it.
std::vector<double> metric_values(const std::vector<std::map<std::string, double>>& launches, const std::string& name) {
  std::vector<double> values;
  for (const auto& metrics : launches) {
    if (const auto it = metrics.find(name); it != metrics.end()) values.push_back(it->second);
  }
  return values;
}

// "shared memory", "tcp", or the fingerprint's own description of its transport.
std::string link_name(const tuner::LaunchSettings& launch) {
  const auto btl = launch.mca.find("btl");
  const std::string list = btl == launch.mca.end() ? "" : btl->second;
  const bool shared = list.find("vader") != std::string::npos || list.find("sm") != std::string::npos;
  if (list.find("tcp") != std::string::npos && !shared) return "tcp";
  if (shared || (list.empty() && launch.nodes <= 1)) return "shared memory";
  return launch.transport.empty() ? "default" : launch.transport;
}

// A blocking ring of shift 1 with one message per peer delivers its messages as a chain around
// the ring (kernels/nonblocking/benchmark.cpp): one iteration is `ranks` one-way messages in turn.
std::vector<SizeTime> link_points(const ResultsDb& db, const std::string& hardware_id) {
  std::vector<SizeTime> points;
  for (const PointRow& row : db.list_points({"nonblocking", hardware_id})) {
    if (!measured(row) || row.key.ranks < 2 || param(row, "variant") != "blocking" || param(row, "pattern") != "ring" ||
        param(row, "peers") != "1" || param(row, "messages_per_peer") != "1") {
      continue;
    }
    points.push_back({std::stoull(param(row, "message_bytes")), row.statistics->median_s / row.key.ranks});
  }
  return points;
}

std::vector<SizeTime> calibration_points(const tuner::Calibration& calibration) {
  std::vector<SizeTime> points;
  for (const auto& point : calibration.points) {
    if (point.latency_us > 0) points.push_back({point.message_bytes, point.latency_us * 1e-6});
  }
  return points;
}

LinkModel fit_link(const std::vector<SizeTime>& points, const std::string& name, const std::string& source) {
  LinkModel link;
  link.name = name;
  link.source = source;
  link.segments = models::fit_piecewise(points);
  link.quality = models::leave_one_out(points);
  for (const SizeTime& point : points) link.measured_up_to_bytes = std::max(link.measured_up_to_bytes, point.bytes);
  return link;
}

// The link between the ranks the points measured: one node gives intra_node only; several nodes
// inter_node (the calibration pairs rank 0 with a rank on another node, and the sweeps that
// measure links across nodes put one rank per node).
void fit_links(const ResultsDb& db, const std::string& hardware_id, const tuner::HardwareFingerprint* fingerprint,
               HardwareModels& models) {
  const tuner::LaunchSettings launch = fingerprint ? fingerprint->launch : tuner::LaunchSettings{};
  const std::string name = link_name(launch);
  std::vector<SizeTime> points = link_points(db, hardware_id);
  std::string source =
      fmt::format("database {}: {} points of kernel nonblocking (blocking ring, 1 peer)", hardware_id, points.size());
  const std::vector<SizeTime> calibration =
      fingerprint ? calibration_points(fingerprint->calibration) : std::vector<SizeTime>{};
  const bool from_calibration = points.size() < kMinLinkPoints && calibration.size() >= 2;
  if (from_calibration) {
    points = calibration;
    source = fmt::format("database {}: the fingerprint's calibration ({} sizes)", hardware_id, points.size());
    models.notes.push_back(
        fmt::format("link {}: fitted on the calibration's {} sizes only; configs/sweeps/link.yaml measures 23", name,
                    points.size()));
  }
  if (points.size() < 2) {
    models.notes.push_back(
        fmt::format("no link points for {}: run commtune sweep configs/sweeps/link.yaml with its settings", name));
    return;
  }
  LinkModel link = fit_link(points, name, source);
  if (!from_calibration && !calibration.empty()) {
    // The calibration is measured apart (ping-pong without barriers): how far the fit is from it
    // is a check on points the fit never saw.
    std::vector<double> errors;
    for (const SizeTime& point : calibration) errors.push_back(std::abs(link.seconds(point.bytes) / point.seconds - 1));
    FitQuality check;
    models::set_error_quantiles(errors, check);
    models.notes.push_back(
        fmt::format("link {}: the fingerprint's calibration ({} sizes) differs from the fit by {:.0f} % "
                    "(median)",
                    name, errors.size(), 100 * check.median_abs_relative_error));
  }
  if (launch.nodes > 1) {
    models.inter_node = std::move(link);
    models.notes.push_back("no intra-node link: the points of this fingerprint cross nodes");
  } else {
    models.intra_node = std::move(link);
  }
}

// One model per codec, level and data kind from the batching kernel's compressed launches; its
// check predicts each launch's codec cost (compress + decompress seconds per byte) from the
// median throughputs of the others.
void fit_codecs(const ResultsDb& db, const std::string& hardware_id, HardwareModels& models) {
  struct Group {
    std::vector<double> compress, decompress, ratio;
    int points = 0;
  };
  std::map<std::tuple<std::string, int, std::string>, Group> groups;
  for (const PointRow& row : db.list_points({"batching", hardware_id})) {
    const std::string variant = param(row, "variant");
    if (!measured(row) || (variant != "compressed" && variant != "batched_compressed") ||
        param(row, "codec") == "none") {
      continue;
    }
    std::string kind = param(row, "data");
    if (param(row, "shuffle") == "true") kind += "+shuffle";
    Group& group = groups[{param(row, "codec"), std::stoi(param(row, "level")), kind}];
    bool used = false;
    for (const auto& metrics : db.launch_metrics(row.id)) {
      const auto c = metrics.find("compression_throughput_bytes_per_s");
      const auto d = metrics.find("decompression_throughput_bytes_per_s");
      const auto r = metrics.find("compression_ratio");
      if (c == metrics.end() || d == metrics.end() || r == metrics.end() || c->second <= 0 || d->second <= 0) continue;
      group.compress.push_back(c->second);
      group.decompress.push_back(d->second);
      group.ratio.push_back(r->second);
      used = true;
    }
    group.points += used ? 1 : 0;
  }
  for (const auto& [key, group] : groups) {
    if (group.compress.empty()) continue;
    CodecModel codec;
    codec.codec = std::get<0>(key);
    codec.level = std::get<1>(key);
    codec.data_kind = std::get<2>(key);
    codec.compress_bytes_per_s = median_of(group.compress);
    codec.decompress_bytes_per_s = median_of(group.decompress);
    codec.ratio = median_of(group.ratio);
    codec.points = group.points;
    codec.quality = {.points = int(group.compress.size()),
                     .method = "leave-one-out over launches (codec seconds per byte)"};
    std::vector<double> errors;
    for (std::size_t i = 0; group.compress.size() >= 2 && i < group.compress.size(); ++i) {
      std::vector<double> c = group.compress, d = group.decompress;
      c.erase(c.begin() + std::ptrdiff_t(i));
      d.erase(d.begin() + std::ptrdiff_t(i));
      const double observed = 1 / group.compress[i] + 1 / group.decompress[i];
      errors.push_back(std::abs((1 / median_of(c) + 1 / median_of(d)) / observed - 1));
    }
    models::set_error_quantiles(std::move(errors), codec.quality);
    models.codecs.push_back(std::move(codec));
  }
  if (models.codecs.empty()) {
    models.notes.push_back("no codec points: run commtune sweep configs/sweeps/codecs.yaml");
  }
}

// overlap = (comm_pure + compute - total) / min(comm_pure, compute): the share of the shorter of the
// two that passed behind the other (IMB's definition, the kernel's overlap_imb_percent), evaluated at
// the median iteration time and at its 95 % interval's ends. The rules multiply it by the shorter of
// a site's transfer and computation. (OSU's 1 - (total - compute) / comm_pure is a share of the
// communication: with less computation than communication it cannot reach 1 even when all of the
// computation is hidden.)
double overlap_at(double total_s, double compute_s, double comm_pure_s) {
  const double shorter_s = std::min(comm_pure_s, compute_s);
  if (shorter_s <= 0) return 0;
  return std::clamp((comm_pure_s + compute_s - total_s) / shorter_s, 0.0, 1.0);
}

void fit_overlap(const ResultsDb& db, const std::string& hardware_id, HardwareModels& models) {
  std::map<std::pair<std::string, std::uint64_t>, OverlapModel> best;
  for (const PointRow& row : db.list_points({"overlap", hardware_id})) {
    if (!measured(row) || param(row, "variant") != "nonblocking") continue;
    const auto launches = db.launch_metrics(row.id);
    const std::vector<double> compute = metric_values(launches, "compute_s");
    const std::vector<double> comm = metric_values(launches, "comm_pure_s");
    if (compute.empty() || comm.empty()) continue;
    const double compute_s = median_of(compute), comm_s = median_of(comm);
    const tuner::StoredStatistics& stats = *row.statistics;
    OverlapModel point{.operation = param(row, "operation"),
                       .message_bytes = std::stoull(param(row, "message_bytes")),
                       .achievable_fraction = overlap_at(stats.median_s, compute_s, comm_s),
                       .chunks = std::stoi(param(row, "chunks")),
                       .progress_thread = param(row, "progress_thread") == "true"};
    // The interval holds every corner of the total's 95 % interval and the launches' range of the
    // computation and the communication alone: overlap is a small difference of these when one of
    // them is short, and on a busy machine their spread, not the total's, decides how sure it is.
    // One launch shows no spread: anything from none to all.
    point.ci_low = point.ci_high = point.achievable_fraction;
    const auto [compute_min, compute_max] = std::minmax_element(compute.begin(), compute.end());
    const auto [comm_min, comm_max] = std::minmax_element(comm.begin(), comm.end());
    for (const double total_s : {stats.ci_low_s, stats.ci_high_s})
      for (const double c : {*compute_min, *compute_max})
        for (const double m : {*comm_min, *comm_max}) {
          point.ci_low = std::min(point.ci_low, overlap_at(total_s, c, m));
          point.ci_high = std::max(point.ci_high, overlap_at(total_s, c, m));
        }
    if (launches.size() < 2) point.ci_low = 0, point.ci_high = 1;
    OverlapModel& kept = best[{point.operation, point.message_bytes}];
    const int seen = kept.points + 1;
    // The configuration kept is the surest (highest low end), not the highest point estimate: among
    // noisy points the highest is the luckiest.
    const bool surer = point.ci_low > kept.ci_low ||
                       (point.ci_low == kept.ci_low && point.achievable_fraction > kept.achievable_fraction);
    if (kept.points == 0 || surer) kept = point;
    kept.points = seen;
  }
  for (auto& [key, model] : best) models.overlap.push_back(model);
  if (models.overlap.empty()) {
    models.notes.push_back("no overlap points: run commtune sweep configs/sweeps/overlap.yaml");
  }
}

// Efficiency = mean busy / makespan, so its interval follows the makespan's: efficiency x median /
// (the interval's ends), capped at 1.
void fit_load_balance(const ResultsDb& db, const std::string& hardware_id, HardwareModels& models) {
  struct Group {
    std::vector<double> efficiency, low, high;
  };
  std::map<std::tuple<std::string, std::string, int, int>, Group> groups;
  for (const PointRow& row : db.list_points({"load_balance", hardware_id})) {
    if (!measured(row)) continue;
    const std::vector<double> values = metric_values(db.launch_metrics(row.id), "load_balance_efficiency");
    if (values.empty()) continue;
    const double efficiency = median_of(values);
    const tuner::StoredStatistics& stats = *row.statistics;
    Group& group = groups[{param(row, "variant"), param(row, "cost_distribution"), std::stoi(param(row, "threads")),
                           std::stoi(param(row, "chunk"))}];
    group.efficiency.push_back(efficiency);
    group.low.push_back(std::min(1.0, efficiency * stats.median_s / std::max(stats.ci_high_s, stats.median_s)));
    group.high.push_back(std::min(1.0, efficiency * stats.median_s / std::max(stats.ci_low_s, 1e-300)));
  }
  for (const auto& [key, group] : groups) {
    models.load_balance.push_back({.variant = std::get<0>(key),
                                   .cost_distribution = std::get<1>(key),
                                   .threads = std::get<2>(key),
                                   .chunk = std::get<3>(key),
                                   .efficiency = median_of(group.efficiency),
                                   .ci_low = median_of(group.low),
                                   .ci_high = median_of(group.high),
                                   .points = int(group.efficiency.size())});
  }
  if (models.load_balance.empty()) {
    models.notes.push_back("no load-balancing points: run commtune sweep configs/sweeps/load_balance.yaml");
  }
}

}  // namespace

HardwareModels fit_models(const tuner::ResultsDb& db, const std::string& hardware_id) {
  HardwareModels models;
  models.hardware_id = hardware_id;
  models.source = "database " + db.path().string();
  std::optional<tuner::HardwareFingerprint> fingerprint;
  if (const auto json = db.hardware(hardware_id)) {
    try {
      fingerprint = tuner::HardwareFingerprint::from_json(*json);
    } catch (const std::exception& error) {
      models.notes.push_back(fmt::format("fingerprint {} not readable: {}", hardware_id, error.what()));
    }
  } else {
    models.notes.push_back(fmt::format("no fingerprint {} in {}", hardware_id, db.path().string()));
  }
  if (fingerprint) {
    models.nodes = std::max(1, fingerprint->launch.nodes);
    models.cores_per_node = fingerprint->topology.cores;
    models.launch_mca = fingerprint->launch.mca;
    models.launch_environment = fingerprint->launch.environment;
  }
  fit_links(db, hardware_id, fingerprint ? &*fingerprint : nullptr, models);
  fit_codecs(db, hardware_id, models);
  fit_overlap(db, hardware_id, models);
  fit_load_balance(db, hardware_id, models);
  models.notes.push_back(
      "memcpy throughput unknown (0): no kernel of the database measures it; batching's packing cost is left out");
  return models;
}

}  // namespace commtune::analysis
