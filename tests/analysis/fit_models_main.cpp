// analysis_fit_models DB [--hardware ID] [--max-median-error FRACTION]: fits the hardware models
// of every fingerprint in DB (or of one) and prints them; exits 1 when a link's median held-out
// error exceeds the bound. The real-sweep test (run_models_sweep.py) and docs/analysis.md use it.
#include <fmt/format.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "commtune/analysis/models.hpp"
#include "commtune/tuner/results_db.hpp"

namespace {

bool print_link(const char* role, const std::optional<commtune::analysis::LinkModel>& link, double bound) {
  if (!link) return true;
  fmt::print("  {} link '{}': {}\n", role, link->name, link->source);
  for (const auto& segment : link->segments) {
    fmt::print("    from {:>9} B: latency {:9.3f} us, bandwidth {:8.3f} GB/s\n", segment.from_bytes,
               segment.latency_s * 1e6, segment.seconds_per_byte > 0 ? 1e-9 / segment.seconds_per_byte : 0.0);
  }
  const auto& q = link->quality;
  fmt::print("    held-out ({}, {} of {} points): median |error| {:.1f} %, p90 {:.1f} %\n", q.method, q.held_out,
             q.points, 100 * q.median_abs_relative_error, 100 * q.p90_abs_relative_error);
  return q.median_abs_relative_error <= bound;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fmt::print(stderr, "usage: {} DB [--hardware ID] [--max-median-error FRACTION]\n", argv[0]);
    return 2;
  }
  std::string hardware;
  double bound = 1e300;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string option = argv[i];
    if (option == "--hardware") hardware = argv[i + 1];
    if (option == "--max-median-error") bound = std::atof(argv[i + 1]);
  }
  const commtune::tuner::ResultsDb db(argv[1], commtune::tuner::ResultsDb::Mode::ReadOnly);
  std::vector<std::string> ids;
  for (const auto& row : db.list_points()) {
    if ((hardware.empty() || row.key.hardware_id == hardware) &&
        std::find(ids.begin(), ids.end(), row.key.hardware_id) == ids.end()) {
      ids.push_back(row.key.hardware_id);
    }
  }
  bool ok = !ids.empty();
  for (const std::string& id : ids) {
    const auto models = commtune::analysis::fit_models(db, id);
    fmt::print("hardware {} ({} node(s) x {} cores)\n", id, models.nodes, models.cores_per_node);
    ok = print_link("intra-node", models.intra_node, bound) && ok;
    ok = print_link("inter-node", models.inter_node, bound) && ok;
    for (const auto& codec : models.codecs) {
      fmt::print(
          "  codec {} level {} on {}: compress {:.0f} MB/s, decompress {:.0f} MB/s, ratio {:.2f} ({} points; "
          "held-out median {:.1f} %)\n",
          codec.codec, codec.level, codec.data_kind, codec.compress_bytes_per_s / 1e6,
          codec.decompress_bytes_per_s / 1e6, codec.ratio, codec.points, 100 * codec.quality.median_abs_relative_error);
    }
    for (const auto& overlap : models.overlap) {
      fmt::print("  overlap {} {} B: {:.0f} % [{:.0f}, {:.0f}] (chunks {}, progress thread {})\n", overlap.operation,
                 overlap.message_bytes, 100 * overlap.achievable_fraction, 100 * overlap.ci_low, 100 * overlap.ci_high,
                 overlap.chunks, overlap.progress_thread);
    }
    for (const auto& lb : models.load_balance) {
      fmt::print("  load balance {} {} threads {} chunk {}: {:.2f} [{:.2f}, {:.2f}]\n", lb.variant,
                 lb.cost_distribution, lb.threads, lb.chunk, lb.efficiency, lb.ci_low, lb.ci_high);
    }
    for (const auto& note : models.notes) fmt::print("  note: {}\n", note);
  }
  return ok ? 0 : 1;
}
