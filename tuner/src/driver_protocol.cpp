// The plan and result formats between a sweep and commtune-sweep-driver (driver_protocol.hpp).
#include "commtune/tuner/driver_protocol.hpp"

#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <utility>

namespace commtune::tuner {
namespace {

using nlohmann::json;

// The one list of stop reasons as the result lines spell them.
constexpr std::pair<StopReason, const char*> kStopReasonNames[] = {
    {StopReason::NotYet, "not_yet"},
    {StopReason::TargetReached, "target_reached"},
    {StopReason::SampleCap, "sample_cap"},
    {StopReason::TimeCap, "time_cap"},
};
constexpr std::pair<EvaluationStatus, const char*> kStatusNames[] = {
    {EvaluationStatus::Measured, "measured"},
    {EvaluationStatus::Failed, "failed"},
};

template <typename Enum, std::size_t N>
const char* name_of(const std::pair<Enum, const char*> (&names)[N], Enum value) {
  for (const auto& [candidate, name] : names) {
    if (candidate == value) return name;
  }
  return "unknown";
}

template <typename Enum, std::size_t N>
Enum value_of(const std::pair<Enum, const char*> (&names)[N], const std::string& text, const std::string& where) {
  std::string accepted;
  for (const auto& [value, name] : names) {
    if (text == name) return value;
    accepted += (accepted.empty() ? "" : ", ") + std::string(name);
  }
  throw std::invalid_argument(fmt::format("{}: '{}' is not one of {}", where, text, accepted));
}

// The value of `key` in `object` as T; throws naming `where` and the key when it is missing or of
// another type.
template <typename T>
T required(const json& object, const char* key, const std::string& where) {
  const auto it = object.find(key);
  if (it == object.end()) throw std::invalid_argument(fmt::format("{}: missing key '{}'", where, key));
  try {
    return it->get<T>();
  } catch (const json::exception&) {
    throw std::invalid_argument(fmt::format("{}: key '{}' has the wrong type ({})", where, key, it->type_name()));
  }
}

// Like required(), but `fallback` when the key is absent.
template <typename T>
T optional_value(const json& object, const char* key, const std::string& where, T fallback) {
  return object.contains(key) ? required<T>(object, key, where) : fallback;
}

void reject_unknown_keys(const json& object, std::initializer_list<const char*> known, const std::string& where) {
  if (!object.is_object()) throw std::invalid_argument(fmt::format("{}: not a JSON object", where));
  for (const auto& item : object.items()) {
    bool found = false;
    for (const char* name : known) found = found || item.key() == name;
    if (found) continue;
    std::string accepted;
    for (const char* name : known) accepted += (accepted.empty() ? "" : ", ") + std::string(name);
    throw std::invalid_argument(fmt::format("{}: unknown key '{}'; accepted: {}", where, item.key(), accepted));
  }
}

void check_schema(const json& document, const char* expected, const std::string& where) {
  const auto schema = required<std::string>(document, "schema", where);
  if (schema != expected) {
    throw std::invalid_argument(
        fmt::format("{}: schema '{}' is not the one this commtune reads ({})", where, schema, expected));
  }
}

json target_to_json(const SampleTarget& target) {
  return {{"min_time_s", target.min_time_s},
          {"min_samples", target.min_samples},
          {"ci_half_width_fraction", target.ci_half_width_fraction},
          {"max_samples", target.max_samples},
          {"max_time_s", target.max_time_s}};
}

// Fields left out keep SampleTarget's defaults; the caps must leave room for the minimum.
SampleTarget target_from_json(const json& object, const std::string& where) {
  reject_unknown_keys(object, {"min_time_s", "min_samples", "ci_half_width_fraction", "max_samples", "max_time_s"},
                      where);
  SampleTarget target;
  target.min_time_s = optional_value(object, "min_time_s", where, target.min_time_s);
  target.min_samples = optional_value(object, "min_samples", where, target.min_samples);
  target.ci_half_width_fraction =
      optional_value(object, "ci_half_width_fraction", where, target.ci_half_width_fraction);
  target.max_samples = optional_value(object, "max_samples", where, target.max_samples);
  target.max_time_s = optional_value(object, "max_time_s", where, target.max_time_s);
  if (target.min_time_s < 0 || target.ci_half_width_fraction < 0 || target.max_time_s <= 0) {
    throw std::invalid_argument(
        fmt::format("{}: times and the interval fraction must be >= 0 (max_time_s > 0)", where));
  }
  if (target.max_samples < 1 || target.min_samples > target.max_samples) {
    throw std::invalid_argument(fmt::format("{}: need 1 <= max_samples and min_samples <= max_samples (got {} and {})",
                                            where, target.min_samples, target.max_samples));
  }
  return target;
}

json ready_to_json(const DriverReady& ready) {
  return {{"schema", kDriverResultSchema},
          {"event", "ready"},
          {"ranks", ready.ranks},
          {"init_s", ready.init_s},
          {"mpi_library", ready.mpi_library},
          {"mpi_thread_level", ready.mpi_thread_level},
          {"host", ready.host}};
}

DriverReady ready_from_json(const json& line, const std::string& where) {
  return {.ranks = required<int>(line, "ranks", where),
          .init_s = required<double>(line, "init_s", where),
          .mpi_library = required<std::string>(line, "mpi_library", where),
          .mpi_thread_level = required<std::string>(line, "mpi_thread_level", where),
          .host = required<std::string>(line, "host", where)};
}

// JSON cannot carry NaN or infinity: a metric that is not finite is written as null and read back
// as NaN.
json metrics_to_json(const std::map<std::string, double>& metrics) {
  json object = json::object();
  for (const auto& [name, value] : metrics) object[name] = std::isfinite(value) ? json(value) : json(nullptr);
  return object;
}

std::map<std::string, double> metrics_from_json(const json& line, const std::string& where) {
  const auto object = required<json>(line, "metrics", where);
  if (!object.is_object()) throw std::invalid_argument(fmt::format("{}: 'metrics' is not an object", where));
  std::map<std::string, double> metrics;
  for (const auto& [name, value] : object.items()) {
    if (value.is_null()) {
      metrics[name] = std::numeric_limits<double>::quiet_NaN();
    } else if (value.is_number()) {
      metrics[name] = value.get<double>();
    } else {
      throw std::invalid_argument(fmt::format("{}: metric '{}' is not a number", where, name));
    }
  }
  return metrics;
}

EvaluationResult result_from_json(const json& line, const std::string& where) {
  EvaluationResult result;
  result.id = required<std::string>(line, "id", where);
  result.kernel = required<std::string>(line, "kernel", where);
  result.status = value_of(kStatusNames, required<std::string>(line, "status", where), where + ": status");
  result.samples_s = required<std::vector<double>>(line, "samples_s", where);
  result.warmup = required<int>(line, "warmup", where);
  result.stop_reason =
      value_of(kStopReasonNames, required<std::string>(line, "stop_reason", where), where + ": stop_reason");
  result.measuring_s = required<double>(line, "measuring_s", where);
  result.metrics = metrics_from_json(line, where);
  result.checksum = required<std::string>(line, "checksum", where);
  result.notes = required<std::map<std::string, std::string>>(line, "notes", where);
  result.message = required<std::string>(line, "message", where);
  return result;
}

// One line of a results file into `output`; throws naming `where` (file:line).
void add_result_line(const json& line, const std::string& where, DriverOutput& output) {
  if (!line.is_object()) throw std::invalid_argument(fmt::format("{}: not a JSON object", where));
  check_schema(line, kDriverResultSchema, where);
  const auto event = required<std::string>(line, "event", where);
  if (event == "ready") {
    if (output.ready || !output.results.empty()) {
      throw std::invalid_argument(fmt::format("{}: a second 'ready' line, or one after an evaluation", where));
    }
    output.ready = ready_from_json(line, where);
  } else if (event == "evaluation") {
    if (!output.ready) throw std::invalid_argument(fmt::format("{}: an evaluation before the 'ready' line", where));
    output.results.push_back(result_from_json(line, where));
  } else {
    throw std::invalid_argument(fmt::format("{}: event '{}' is not one of ready, evaluation", where, event));
  }
}

}  // namespace

std::string to_string(EvaluationStatus status) { return name_of(kStatusNames, status); }

std::string plan_to_json(const DriverPlan& plan) {
  json evaluations = json::array();
  for (const PlannedEvaluation& evaluation : plan.evaluations) {
    evaluations.push_back({{"id", evaluation.id},
                           {"kernel", evaluation.kernel},
                           {"params", evaluation.params},
                           {"warmup", evaluation.warmup},
                           {"target", target_to_json(evaluation.target)}});
  }
  return json{{"schema", kDriverPlanSchema}, {"evaluations", std::move(evaluations)}}.dump(2) + "\n";
}

DriverPlan plan_from_json(const std::string& text) {
  json document;
  try {
    document = json::parse(text);
  } catch (const json::parse_error& e) {
    throw std::invalid_argument(fmt::format("plan: not JSON: {}", e.what()));
  }
  reject_unknown_keys(document, {"schema", "evaluations"}, "plan");
  check_schema(document, kDriverPlanSchema, "plan");
  const auto evaluations = required<json>(document, "evaluations", "plan");
  if (!evaluations.is_array()) throw std::invalid_argument("plan: 'evaluations' is not an array");
  DriverPlan plan;
  for (std::size_t i = 0; i < evaluations.size(); ++i) {
    const json& item = evaluations[i];
    const std::string where = fmt::format("plan: evaluations[{}]", i);
    reject_unknown_keys(item, {"id", "kernel", "params", "warmup", "target"}, where);
    PlannedEvaluation evaluation;
    evaluation.id = required<std::string>(item, "id", where);
    evaluation.kernel = required<std::string>(item, "kernel", where);
    if (evaluation.id.empty() || evaluation.kernel.empty()) {
      throw std::invalid_argument(fmt::format("{}: 'id' and 'kernel' must not be empty", where));
    }
    evaluation.params = optional_value(item, "params", where, Configuration{});
    evaluation.warmup = optional_value(item, "warmup", where, evaluation.warmup);
    if (evaluation.warmup < 0) throw std::invalid_argument(fmt::format("{}: 'warmup' is negative", where));
    evaluation.target = target_from_json(optional_value(item, "target", where, json::object()), where + ".target");
    plan.evaluations.push_back(std::move(evaluation));
  }
  return plan;
}

std::string ready_to_json_line(const DriverReady& ready) { return ready_to_json(ready).dump() + "\n"; }

std::string result_to_json_line(const EvaluationResult& result) {
  const json line = {{"schema", kDriverResultSchema},
                     {"event", "evaluation"},
                     {"id", result.id},
                     {"kernel", result.kernel},
                     {"status", to_string(result.status)},
                     {"samples_s", result.samples_s},
                     {"warmup", result.warmup},
                     {"stop_reason", name_of(kStopReasonNames, result.stop_reason)},
                     {"measuring_s", result.measuring_s},
                     {"metrics", metrics_to_json(result.metrics)},
                     {"checksum", result.checksum},
                     {"notes", result.notes},
                     {"message", result.message}};
  // A kernel's note or message is not guaranteed to be valid UTF-8; replace rather than throw.
  return line.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

DriverOutput read_driver_output(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw std::invalid_argument(fmt::format("{}: cannot read", path.string()));
  const std::string text{std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
  DriverOutput output;
  std::size_t start = 0;
  for (std::size_t number = 1; start < text.size(); ++number) {
    const std::size_t end = text.find('\n', start);
    const std::string where = fmt::format("{}:{}", path.string(), number);
    const bool unterminated = end == std::string::npos;
    const std::string line = text.substr(start, unterminated ? std::string::npos : end - start);
    if (!line.empty()) {
      json parsed = json::parse(line, nullptr, /*allow_exceptions=*/false);
      // A last line without its newline that is not JSON is one the driver died while writing:
      // torn, not malformed. A prefix of a JSON object is never a JSON object itself.
      if (parsed.is_discarded() && unterminated) break;
      if (parsed.is_discarded()) throw std::invalid_argument(fmt::format("{}: not JSON", where));
      add_result_line(parsed, where, output);
    }
    if (unterminated) break;
    start = end + 1;
  }
  return output;
}

std::vector<std::string> driver_arguments(const std::filesystem::path& plan, const std::filesystem::path& output) {
  return {"--plan", plan.string(), "--output", output.string()};
}

std::vector<std::string> calibration_arguments(const std::filesystem::path& output) {
  return {"--calibrate", "--output", output.string()};
}

std::string calibration_to_json(const Calibration& calibration) {
  json document = calibration.to_json();
  document["schema"] = kCalibrationSchema;
  return document.dump(2) + "\n";
}

Calibration read_calibration(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw std::invalid_argument(fmt::format("{}: cannot read", path.string()));
  const json document = json::parse(file, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) throw std::invalid_argument(fmt::format("{}: not JSON", path.string()));
  try {
    check_schema(document, kCalibrationSchema, path.string());
    return Calibration::from_json(document);
  } catch (const std::invalid_argument& e) {
    const std::string message = e.what();
    if (message.starts_with(path.string())) throw;
    throw std::invalid_argument(fmt::format("{}: {}", path.string(), message));
  }
}

}  // namespace commtune::tuner
