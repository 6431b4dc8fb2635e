// Compression: large messages whose sampled payload compresses, on a link slow enough that
// compressing, sending fewer bytes and decompressing beats sending them as they are. The ratio and
// compression rate are the application's own (profile compressibility sampling); decompression and
// the models' error come from the codec models of this hardware.
#include <fmt/core.h>

#include <algorithm>
#include <cmath>

#include "rules/p2p_common.hpp"

namespace commtune::analysis {
namespace {

using namespace rules;

// Smaller messages are latency-bound: fewer bytes save little (CompressedChannel sends them raw).
constexpr double kMinMessageBytes = 4096;

struct CodecChoice {
  std::string codec;  // lz4, zstd
  int level = 0;
  double ratio = 1;
  double compress_bytes_per_s = 0;
  double decompress_bytes_per_s = 0;
  const CodecModel* model = nullptr;
  double seconds_per_message = 0;
};

// The codec model for `codec` at `level` (any data kind: the ratio is the application's own), the
// one with most points.
const CodecModel* find_codec(const HardwareModels& models, const std::string& codec, int level) {
  const CodecModel* best = nullptr;
  for (const auto& model : models.codecs) {
    if (model.codec != codec || (model.level != level && !(level <= 1 && model.level <= 1))) continue;
    if (best == nullptr || model.points > best->points) best = &model;
  }
  return best;
}

// The application's payload with lz4 (default level) and zstd level 1, as the profile sampled it.
std::vector<CodecChoice> candidates(const profile::Compressibility& sampled, const HardwareModels& models) {
  std::vector<CodecChoice> out;
  const double mb = 1e6;
  out.push_back({"lz4", 0, sampled.lz4_ratio, sampled.lz4_mb_per_s * mb, 0, find_codec(models, "lz4", 0), 0});
  out.push_back({"zstd", 1, sampled.zstd1_ratio, sampled.zstd1_mb_per_s * mb, 0, find_codec(models, "zstd", 1), 0});
  for (auto& choice : out)
    if (choice.model != nullptr) choice.decompress_bytes_per_s = choice.model->decompress_bytes_per_s;
  return out;
}

double compressed_message_s(const LinkModel& link, const CodecChoice& codec, double bytes) {
  return bytes / codec.compress_bytes_per_s + link.seconds(std::uint64_t(bytes / codec.ratio)) +
         bytes / codec.decompress_bytes_per_s;
}

bool has_pattern(const SiteSignature& site) {
  return is_point_to_point(site) && is_send(site.function) && site.fraction_of_run >= kMinSiteFraction &&
         site.mean_message_bytes >= kMinMessageBytes && site.compressibility && site.compressibility->samples > 0;
}

void add_evidence(Recommendation& out, const SiteSignature& site, double site_time_s) {
  const std::string source = profile_source(site) + " compressibility";
  const profile::Compressibility& sampled = *site.compressibility;
  out.evidence.push_back({"mean message size", site.mean_message_bytes, "bytes", profile_source(site)});
  out.evidence.push_back({"payload samples", double(sampled.samples), "samples", source});
  out.evidence.push_back({"lz4 ratio of the application's payload", sampled.lz4_ratio, "ratio", source});
  out.evidence.push_back({"zstd-1 ratio of the application's payload", sampled.zstd1_ratio, "ratio", source});
  out.evidence.push_back({"lz4 compression rate on the payload", sampled.lz4_mb_per_s * 1e6, "bytes/s", source});
  out.evidence.push_back({"zstd-1 compression rate on the payload", sampled.zstd1_mb_per_s * 1e6, "bytes/s", source});
  out.evidence.push_back(
      {"time at the site, slowest rank, without waiting for late partners", site_time_s, "s", profile_source(site)});
}

Recommendation recommend_site(const AnalysisInput& input, const SiteSignature& site) {
  const double wall_s = input.signature.wall_time_s;
  const double site_time_s = time_without_lateness_s(site, input.signature.ranks);
  std::string link_name;
  const LinkModel* link = link_for(input, site, link_name);
  Recommendation out;
  out.technique = Technique::Compression;
  out.callsites.push_back(reference(site));
  out.apply.component = "commtune::kernels::batching::CompressedChannel";
  add_evidence(out, site, site_time_s);

  std::vector<CodecChoice> choices = candidates(*site.compressibility, input.models);
  std::erase_if(choices, [](const CodecChoice& choice) {
    return choice.model == nullptr || choice.ratio <= 0 || choice.compress_bytes_per_s <= 0 ||
           choice.decompress_bytes_per_s <= 0;
  });
  if (link == nullptr || choices.empty()) {
    out.gain = unknown_gain(site_time_s, wall_s);
    const std::string missing = link == nullptr ? "no link model " + link_name : "no codec model (lz4 or zstd-1)";
    out.parameters["note"] = missing;
    keep_as_is(out, "compression", site, "its payload was sampled, but there is " + missing + " to predict the gain");
    return out;
  }
  const double bytes = site.mean_message_bytes;
  const double before_s = link->seconds(std::uint64_t(bytes));
  for (auto& choice : choices) choice.seconds_per_message = compressed_message_s(*link, choice, bytes);
  const CodecChoice& best = *std::min_element(choices.begin(), choices.end(), [](const auto& a, const auto& b) {
    return a.seconds_per_message < b.seconds_per_message;
  });
  const double after_s = best.seconds_per_message;
  const double fraction = 1 - after_s / before_s;
  // Before: the link alone; after: the codec's cost and the link.
  const double link_error = model_error_95(link->quality);
  const double after_error = std::hypot(link_error, model_error_95(best.model->quality));
  out.gain = fraction_gain(site_time_s, fraction, ratio_half_width(after_s / before_s, after_error, link_error),
                           measurement_error_95(site, input.signature.ranks), wall_s);

  out.evidence.push_back({"link time of one message (model, " + link_name + ")", before_s, "s", link->source});
  out.evidence.push_back({"link bandwidth (model)", link->bandwidth_bytes_per_s(), "bytes/s", link->source});
  out.evidence.push_back(
      {fmt::format("{}-{} decompression rate (model, data {})", best.codec, best.level, best.model->data_kind),
       best.decompress_bytes_per_s, "bytes/s", input.models.source});
  out.evidence.push_back({"time per message compressed (compress + send fewer bytes + decompress)", after_s, "s",
                          "profile compressibility, link and codec models"});
  out.parameters = {{"codec", best.codec}, {"level", std::to_string(best.level)}};
  out.apply.settings = {{"codec", best.codec}, {"level", std::to_string(best.level)}, {"shuffle", "false"}};
  if (out.gain.significant) {
    out.title = fmt::format("Compress the messages of {} with {} level {} (ratio {:.1f} on its payload)", where(site),
                            best.codec, best.level, best.ratio);
    out.apply.summary = fmt::format(
        "Send the messages of {} through a CompressedChannel (codec {}, level {}) and receive them through one on the "
        "other side; messages it cannot shrink still travel raw.",
        site.location, best.codec, best.level);
  } else {
    const std::string why =
        fraction <= 0 ? fmt::format(
                            "on this link ({}) compressing with {}-{} takes longer than sending the bytes as "
                            "they are: the codec's cost is not repaid",
                            link_name, best.codec, best.level)
                      : fmt::format(
                            "compressing with {}-{} predicts {} of the run, an interval whose low end is below {} "
                            "of the run",
                            best.codec, best.level, percent(out.gain.fraction_of_run), percent(kPracticalFraction));
    keep_as_is(out, "compression", site, why);
  }
  return out;
}

}  // namespace

std::vector<Recommendation> recommend_compression(const AnalysisInput& input) {
  std::vector<Recommendation> out;
  for (const auto& site : input.signature.sites)
    if (has_pattern(site)) out.push_back(recommend_site(input, site));
  return out;
}

}  // namespace commtune::analysis
