// Compression: large messages whose sampled payload compresses, on a link slow enough that
// compressing, sending fewer bytes and decompressing beats sending them as they are. The ratio is the
// application's own (profile compressibility sampling); the codecs' rates come from this hardware's
// codec models, measured on whole messages of the data kind that compresses most like the payload
// (the profile's sampled rates, timed on 32 KiB gathers, carry each call's fixed cost and run slow).
// The time a message costs now is the one measured at the site, which holds what the link model of one
// message in one direction does not (the exchange's two directions sharing one link, as on loopback or
// a contended network): of it, up to the link model's time for both directions is taken as the
// bytes' and shrinks to the share the model gives the fewer bytes; the rest stays as it is.
#include <fmt/core.h>

#include <algorithm>
#include <cmath>

#include "rules/p2p_common.hpp"

namespace commtune::analysis {
namespace {

using namespace rules;

// Smaller messages are latency-bound: fewer bytes save little (CompressedChannel sends them raw).
constexpr double kMinMessageBytes = 4096;
// A message's bytes and its partner's in the other direction may share one link.
constexpr double kDirections = 2;

struct CodecChoice {
  std::string codec;  // lz4, zstd
  int level = 0;
  double ratio = 1;  // the application's payload
  const CodecModel* model = nullptr;
  double codec_s = 0;       // compressing and decompressing one message
  double link_share = 1;    // link time of the compressed message / of the message as it is (model)
  double link_bound_s = 0;  // the part of one message's measured time its bytes take on the link
  double after_s = 0;       // one message compressed, as the site would take it
};

// The codec model for `codec` at `level` whose data kind compresses most like the payload (nearest
// ratio, on a log scale); levels 0 and 1 both stand for the codec's fastest.
const CodecModel* find_codec(const HardwareModels& models, const std::string& codec, int level, double ratio) {
  const CodecModel* best = nullptr;
  double best_distance = 0;
  for (const auto& model : models.codecs) {
    if (model.codec != codec || (model.level != level && !(level <= 1 && model.level <= 1))) continue;
    if (model.ratio <= 0 || model.compress_bytes_per_s <= 0 || model.decompress_bytes_per_s <= 0) continue;
    const double distance = std::abs(std::log(model.ratio / ratio));
    if (best == nullptr || distance < best_distance) best = &model, best_distance = distance;
  }
  return best;
}

// The application's payload with lz4 (default level) and zstd level 1, as the profile sampled it, with
// the codec models that price them; a codec without a model is left out.
std::vector<CodecChoice> candidates(const profile::Compressibility& sampled, const HardwareModels& models) {
  std::vector<CodecChoice> out;
  for (CodecChoice choice : {CodecChoice{"lz4", 0, sampled.lz4_ratio}, CodecChoice{"zstd", 1, sampled.zstd1_ratio}}) {
    if (choice.ratio <= 0) continue;
    choice.model = find_codec(models, choice.codec, choice.level, choice.ratio);
    if (choice.model != nullptr) out.push_back(choice);
  }
  return out;
}

void price(CodecChoice& choice, const LinkModel& link, double bytes, double site_s_per_message) {
  const double link_s = link.seconds(std::uint64_t(bytes));
  choice.codec_s = bytes / choice.model->compress_bytes_per_s + bytes / choice.model->decompress_bytes_per_s;
  choice.link_share = link.seconds(std::uint64_t(bytes / choice.ratio)) / link_s;
  choice.link_bound_s = std::min(site_s_per_message, kDirections * link_s);
  choice.after_s = site_s_per_message - choice.link_bound_s * (1 - choice.link_share) + choice.codec_s;
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

void add_model_evidence(Recommendation& out, const SiteSignature& site, const CodecChoice& best, double before_s,
                        const std::string& link_name, const LinkModel& link, const std::string& models_source) {
  const double after_s = best.after_s;
  out.evidence.push_back({"time of one message at the site, slowest rank", before_s, "s", profile_source(site)});
  out.evidence.push_back({"of which its bytes on the link (at most the link model's time for both directions)",
                          best.link_bound_s, "s", link.source});
  out.evidence.push_back({fmt::format("link time of the compressed message / of the message (model, {})", link_name),
                          best.link_share, "ratio", link.source});
  out.evidence.push_back({fmt::format("{}-{} compression rate (model, data {}, ratio {:.1f})", best.codec, best.level,
                                      best.model->data_kind, best.model->ratio),
                          best.model->compress_bytes_per_s, "bytes/s", models_source});
  out.evidence.push_back(
      {fmt::format("{}-{} decompression rate (model, data {})", best.codec, best.level, best.model->data_kind),
       best.model->decompress_bytes_per_s, "bytes/s", models_source});
  out.evidence.push_back({"time per message compressed (compress + the site's time for fewer bytes + decompress)",
                          after_s, "s", "profile, link and codec models"});
}

// Parameters, title and how to apply it; or why to keep the site as it is.
void conclude(Recommendation& out, const SiteSignature& site, const CodecChoice& best, double fraction,
              const std::string& link_name) {
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
}

Recommendation recommend_site(const AnalysisInput& input, const SiteSignature& site) {
  const double wall_s = input.signature.wall_time_s;
  const double site_time_s = time_without_lateness_s(site, input.signature.ranks);
  std::string link_name;
  const LinkModel* link = link_for(input, site, link_name);
  Recommendation out =
      site_recommendation(site, Technique::Compression, "commtune::kernels::batching::CompressedChannel");
  add_evidence(out, site, site_time_s);

  std::vector<CodecChoice> choices = candidates(*site.compressibility, input.models);
  if (link == nullptr || choices.empty() || site.calls_per_rank <= 0) {
    out.gain = unknown_gain(site_time_s, wall_s);
    const std::string missing = link == nullptr ? "no link model " + link_name : "no codec model (lz4 or zstd-1)";
    out.parameters["note"] = missing;
    keep_as_is(out, "compression", site, "its payload was sampled, but there is " + missing + " to predict the gain");
    return out;
  }
  const double bytes = site.mean_message_bytes;
  const double before_s = site_time_s / site.calls_per_rank;
  for (auto& choice : choices) price(choice, *link, bytes, before_s);
  const CodecChoice& best = *std::min_element(choices.begin(), choices.end(),
                                              [](const auto& a, const auto& b) { return a.after_s < b.after_s; });
  const double after_s = best.after_s;
  const double fraction = 1 - after_s / before_s;
  // The link share is a ratio of two link-model times, the codec time a codec model's: their
  // errors, on the parts of the message's measured time they set, make the fraction's.
  const double link_error = std::sqrt(2.0) * model_error_95(link->quality);
  const double half_width = std::hypot(best.link_bound_s * best.link_share / before_s * link_error,
                                       best.codec_s / before_s * model_error_95(best.model->quality));
  out.gain =
      fraction_gain(site_time_s, fraction, half_width, measurement_error_95(site, input.signature.ranks), wall_s);

  add_model_evidence(out, site, best, before_s, link_name, *link, input.models.source);
  conclude(out, site, best, fraction, link_name);
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
