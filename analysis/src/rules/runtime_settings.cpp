// MPI runtime settings: (a) an eager limit just below many of the run's messages, which then pay a
// rendezvous handshake each; (b) the collective algorithm measured fastest on this machine for a
// collective's communicator and message size, applied through an Open MPI coll/tuned rules file or
// MPICH's MPIR_CVAR_<COLL>_INTRA_ALGORITHM.
#include "commtune/analysis/runtime_settings.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "../runtime/site_reference.hpp"
#include "commtune/analysis/recommend.hpp"
#include "p2p_common.hpp"

namespace commtune::analysis {
namespace {

// Messages "just above" the limit: in [limit, kJustAboveFactor x limit).
constexpr std::uint64_t kJustAboveFactor = 4;
// "Many": at least this share of a site's messages, and this many over all ranks.
constexpr double kMinShareOfSite = 0.1;
constexpr std::uint64_t kMinMessages = 100;

void write_text(const std::filesystem::path& file, const std::string& text) {
  std::filesystem::create_directories(file.parent_path());
  std::ofstream out(file);
  out << text;
  if (!out.flush()) throw std::runtime_error(file.string() + ": cannot write");
}

// The share of a message of `bytes` that its handshake takes: the jump of the link model at its
// protocol breakpoint near `limit` (the segment above minus the segment below, both at the
// breakpoint: the eager segment's slope past it was never measured) over the model's time of the
// message. Without a breakpoint near the limit, one handshake round trip (2 x the smallest latency)
// as an estimate. `jump_s` is the handshake's time.
double handshake_share(const LinkModel& link, std::uint64_t limit, std::uint64_t bytes, double& jump_s,
                       bool& from_breakpoint) {
  from_breakpoint = false;
  jump_s = link.segments.empty() ? 0 : 2 * link.segments.front().latency_s;
  for (std::size_t i = 1; i < link.segments.size(); ++i) {
    const LinkSegment& above = link.segments[i];
    if (above.from_bytes < limit / 2 || above.from_bytes > limit * 2) continue;
    const LinkSegment& below = link.segments[i - 1];
    const double at = double(above.from_bytes);
    from_breakpoint = true;
    jump_s = std::max(
        0.0, (above.latency_s + at * above.seconds_per_byte) - (below.latency_s + at * below.seconds_per_byte));
    break;
  }
  const double message_s = link.seconds(bytes);
  return message_s > 0 ? std::clamp(jump_s / message_s, 0.0, 1.0) : 0;
}

struct AffectedSite {
  const profile::CallSite* site;
  std::uint64_t messages = 0;       // over all ranks, in the bins just above the limit
  std::uint64_t largest_bytes = 0;  // the largest size of those bins
  double share = 0;                 // of the site's messages
};

std::vector<AffectedSite> sites_just_above(const profile::Profile& profile, std::uint64_t limit) {
  std::vector<AffectedSite> out;
  for (const auto& site : profile.callsites) {
    if (site.category != "p2p") continue;
    AffectedSite affected{.site = &site};
    std::uint64_t all = 0;
    for (const auto& bin : site.sizes.sent) {
      all += bin.count;
      if (bin.min_bytes < limit || !bin.max_bytes || *bin.max_bytes >= kJustAboveFactor * limit) continue;
      affected.messages += bin.count;
      affected.largest_bytes = std::max(affected.largest_bytes, *bin.max_bytes);
    }
    affected.share = all ? double(affected.messages) / double(all) : 0;
    if (affected.messages >= kMinMessages && affected.share >= kMinShareOfSite) out.push_back(affected);
  }
  return out;
}

// The limit in force: the models' fingerprint's launch settings when they set it (OMPI_MCA_* and
// --mca for Open MPI, the variable for MPICH), else the library's default.
std::uint64_t limit_in_force(const EagerLimit& limit, const HardwareModels& models, std::string& source) {
  const auto& settings = std::string_view(limit.mpi) == "openmpi" ? models.launch_mca : models.launch_environment;
  const auto set = settings.find(limit.setting);
  if (set != settings.end()) {
    try {
      const std::uint64_t value = std::stoull(set->second);
      source = "launch settings of hardware " + models.hardware_id;
      return value;
    } catch (const std::exception&) {
      // Not a plain number: the default is the best we know.
    }
  }
  source = "default (../shared/TUNING-FACTS.md); the models' launch settings do not set it";
  return limit.default_bytes;
}

std::vector<Recommendation> recommend_eager_limit(const AnalysisInput& input) {
  const profile::Profile& profile = input.profile;
  const int nodes = std::max(profile.node_count(), 1);
  const EagerLimit* limit = eager_limit_for(profile.mpi_library, nodes);
  if (!limit) return {};
  std::string limit_source;
  const std::uint64_t current = limit_in_force(*limit, input.models, limit_source);
  const auto affected = sites_just_above(profile, current);
  if (affected.empty()) return {};
  std::uint64_t largest = 0;
  for (const auto& site : affected) largest = std::max(largest, site.largest_bytes);
  const std::uint64_t proposed = std::min(limit->max_bytes, 2 * (largest + 1));
  if (proposed <= current) return {};

  Recommendation out;
  out.technique = Technique::RuntimeSettings;
  const std::optional<LinkModel>& link = nodes > 1 ? input.models.inter_node : input.models.intra_node;
  // The handshake's share of each affected message (the link model's, which measured one message
  // at a time) applies to the time the site measured for them, which holds what the model does not
  // (both directions of an exchange handshaking at once).
  double bound_s = 0, predicted = 0, jump_s = 0, share = 0;
  bool from_breakpoint = false;
  for (const auto& site : affected) {
    out.callsites.push_back(site_reference(*site.site));
    const double affected_s = site.site->time_per_rank.max * site.share;
    bound_s += affected_s;
    if (link) {
      share = handshake_share(*link, current, (current + site.largest_bytes) / 2, jump_s, from_breakpoint);
      predicted += affected_s * share;
    }
    out.evidence.push_back({fmt::format("messages of {} to {} bytes from {}", current, kJustAboveFactor * current - 1,
                                        site.site->function),
                            double(site.messages), "messages",
                            fmt::format("profile.json message_sizes.callsites id {}", site.site->id)});
  }
  out.evidence.push_back({limit->setting, double(current), "bytes", limit_source});
  if (link) {
    const double uncertainty = rules::model_error_95(link->quality);
    out.evidence.push_back({from_breakpoint ? "handshake time (jump of the link model at its protocol breakpoint)"
                                            : "handshake time (estimate: one round trip)",
                            jump_s, "s", link->source});
    out.evidence.push_back(
        {"handshake share of an affected message's time (link model)", share, "ratio", link->source});
    out.evidence.push_back(
        {"time of the affected messages at the sites, slowest rank", bound_s, "s", "profile.json callsites"});
    out.gain = bounded_gain(bound_s, predicted, predicted * (1 - uncertainty), predicted * (1 + uncertainty),
                            profile.wall_time_s);
  } else {
    out.gain = bounded_gain(bound_s, bound_s, 0, bound_s, profile.wall_time_s);
    out.parameters["note"] = "no link model: the handshake cost is not known (configs/sweeps/link.yaml)";
  }
  const std::string value = std::to_string(proposed);
  out.parameters = {{limit->setting, value}};
  out.title =
      out.gain.significant
          ? fmt::format("Raise {} to {} bytes", limit->setting, value)
          : fmt::format("Messages just above {}: no significant gain from raising it - keep as is", limit->setting);
  if (std::string_view(limit->mpi) == "openmpi") {
    const std::filesystem::path tune = input.files_dir / "eager_limit.tune";
    write_text(tune, ompi_tune_file_text({{limit->setting, value}}));
    out.apply.environment = {fmt::format("OMPI_MCA_{}={}", limit->setting, value)};
    out.apply.launcher_args = {fmt::format("--mca {} {}", limit->setting, value), "--tune " + tune.string()};
    out.apply.files = {tune.string()};
  } else {
    out.apply.environment = {fmt::format("{}={}", limit->setting, value)};
    out.apply.launcher_args = {fmt::format("-genv {} {}", limit->setting, value)};
  }
  out.apply.summary =
      fmt::format("Set {} to {} bytes so that these messages go eagerly, without a handshake.", limit->setting, value);
  return {out};
}

// "MPI_Allreduce" -> "allreduce".
std::string collective_name(const std::string& function) {
  std::string name = function.rfind("MPI_", 0) == 0 ? function.substr(4) : function;
  for (char& c : name) c = char(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

std::string upper(std::string text) {
  for (char& c : text) c = char(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

// How to select `best` for this collective: the rules file (Open MPI), or the CVAR (MPICH).
void describe_application(const AlgorithmChoice& choice, const std::filesystem::path& rules_file, Recommendation& out) {
  const auto& best = choice.best;
  if (best.mpi == "openmpi") {
    out.apply.launcher_args = {"--mca coll_tuned_use_dynamic_rules 1",
                               "--mca coll_tuned_dynamic_rules_filename " + rules_file.string()};
    out.apply.environment = {"OMPI_MCA_coll_tuned_use_dynamic_rules=1",
                             "OMPI_MCA_coll_tuned_dynamic_rules_filename=" + rules_file.string()};
    out.apply.files = {rules_file.string()};
    out.apply.summary = fmt::format(
        "Use the coll/tuned rules file, which selects {} ({}) for this communicator and message size; or force it "
        "for every call with --mca coll_tuned_use_dynamic_rules 1 --mca coll_tuned_{}_algorithm {}.",
        best.algorithm, best.algorithm_id, best.collective, best.algorithm_id);
    out.parameters["ompi_algorithm_id"] = std::to_string(best.algorithm_id);
  } else {
    const std::string variable = "MPIR_CVAR_" + upper(best.collective) + "_INTRA_ALGORITHM";
    out.apply.environment = {variable + "=" + best.algorithm};
    out.apply.launcher_args = {"-genv " + variable + " " + best.algorithm};
    out.apply.summary =
        fmt::format("Set {}={} (MPICH: every {} of the run uses it).", variable, best.algorithm, best.collective);
  }
}

std::optional<Recommendation> recommend_algorithm(const AnalysisInput& input, const profile::CallSite& site,
                                                  const std::string& mpi, const std::filesystem::path& rules_file) {
  const std::string collective = collective_name(site.function);
  if (site.calls == 0 || site.ranks == 0) return std::nullopt;
  const std::uint64_t bytes = std::max(site.bytes_sent, site.bytes_received) / site.calls;
  const auto choice = best_algorithm(input.models.collectives, mpi, collective, site.comm_size, bytes);
  if (!choice || !choice->default_algorithm || choice->best.algorithm == "default") return std::nullopt;
  const auto& best = choice->best;
  const auto& built_in = *choice->default_algorithm;
  const double calls_per_rank = double(site.calls) / site.ranks;
  Recommendation out;
  out.technique = Technique::CollectiveAlgorithm;
  out.callsites = {site_reference(site)};
  out.gain = bounded_gain(site.time_per_rank.max, calls_per_rank * (built_in.median_s - best.median_s),
                          calls_per_rank * (built_in.ci_low_s - best.ci_high_s),
                          calls_per_rank * (built_in.ci_high_s - best.ci_low_s), input.profile.wall_time_s);
  out.parameters = {{"collective", collective},
                    {"algorithm", best.algorithm},
                    {"comm_size", std::to_string(site.comm_size)},
                    {"message_bytes", std::to_string(bytes)}};
  out.evidence = {
      {"calls per rank", calls_per_rank, "calls", fmt::format("profile.json callsites id {}", site.id)},
      {"bytes per call and rank", double(bytes), "bytes", fmt::format("profile.json callsites id {}", site.id)},
      {fmt::format("one call, {} ({} ranks, {} bytes)", best.algorithm, best.comm_size, best.message_bytes),
       best.median_s, "s", best.source},
      {fmt::format("one call, the library's default ({} ranks, {} bytes)", built_in.comm_size, built_in.message_bytes),
       built_in.median_s, "s", built_in.source},
  };
  out.title = out.gain.significant
                  ? fmt::format("Use the {} algorithm for {} ({} ranks, {} bytes)", best.algorithm, site.function,
                                site.comm_size, bytes)
                  : fmt::format("{} algorithm {}: no significant gain - keep as is", site.function, best.algorithm);
  describe_application(*choice, rules_file, out);
  return out;
}

std::vector<Recommendation> recommend_collective_algorithms(const AnalysisInput& input) {
  const std::string mpi = mpi_family(input.profile.mpi_library);
  if (mpi.empty() || input.models.collectives.empty()) return {};
  const std::filesystem::path rules_file = input.files_dir / "coll_tuned_rules.conf";
  std::vector<Recommendation> out;
  for (const auto& site : input.profile.callsites) {
    if (site.category != "collective") continue;
    if (auto made = recommend_algorithm(input, site, mpi, rules_file)) out.push_back(std::move(*made));
  }
  if (!out.empty() && mpi == "openmpi") {
    const OmpiRules rules = ompi_rules_from_measurements(input.models.collectives);
    write_text(rules_file, ompi_rules_text(rules));
    // Checked by reading it back as Open MPI would: a file it cannot parse is dropped silently.
    if (read_ompi_rules(rules_file) != rules)
      throw OmpiRulesError(rules_file.string() + ": does not read back to the rules written");
  }
  return out;
}

}  // namespace

std::vector<Recommendation> recommend_runtime_settings(const AnalysisInput& input) {
  std::vector<Recommendation> out = recommend_eager_limit(input);
  auto algorithms = recommend_collective_algorithms(input);
  out.insert(out.end(), std::make_move_iterator(algorithms.begin()), std::make_move_iterator(algorithms.end()));
  return out;
}

}  // namespace commtune::analysis
