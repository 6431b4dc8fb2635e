#include "commtune/kernels/json.hpp"

#include <unistd.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "commtune/kernels/measure.hpp"

namespace commtune::kernels {
namespace {

std::string thread_level_name(int level) {
  switch (level) {
    case MPI_THREAD_SINGLE:
      return "single";
    case MPI_THREAD_FUNNELED:
      return "funneled";
    case MPI_THREAD_SERIALIZED:
      return "serialized";
    case MPI_THREAD_MULTIPLE:
      return "multiple";
  }
  return "unknown";
}

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "unknown";
  return name;
}

std::string mpi_library_version() {
  char text[MPI_MAX_LIBRARY_VERSION_STRING] = {};
  int length = 0;
  MPI_Get_library_version(text, &length);
  std::string version(text, static_cast<std::size_t>(length));
  while (!version.empty() && (version.back() == '\n' || version.back() == ' ' || version.back() == '\0')) {
    version.pop_back();
  }
  return version;
}

using Json = nlohmann::ordered_json;

// JSON cannot carry NaN or infinity; a metric that is not finite is reported as null.
Json number_or_null(double value) { return std::isfinite(value) ? Json(value) : Json(nullptr); }

Json param_json(const ParamSpec& spec) {
  Json p{{"name", spec.name}, {"type", to_string(spec.type)},    {"default", spec.default_value},
         {"unit", spec.unit}, {"description", spec.description}, {"log_scale", spec.log_scale}};
  if (spec.type == ParamType::Choice) {
    p["choices"] = spec.choices;
  } else if (spec.type == ParamType::Integer || spec.type == ParamType::Real || spec.type == ParamType::Bytes) {
    p["min"] = spec.min;
    p["max"] = spec.max;
  }
  return p;
}

// Only the fields the constraint's kind uses.
Json constraint_json(const Constraint& c) {
  Json j{{"kind", to_string(c.kind)}};
  if (!c.when.param.empty()) j["when"] = {{"param", c.when.param}, {"values", c.when.values}};
  switch (c.kind) {
    case ConstraintKind::Requires:
      j["param"] = c.param;
      j["values"] = c.values;
      break;
    case ConstraintKind::NotEmpty:
      j["param"] = c.param;
      break;
    case ConstraintKind::MultipleOf:
      j["param"] = c.param;
      j["divisor"] = c.divisor;
      break;
    case ConstraintKind::InRange:
      j["param"] = c.param;
      j["min"] = c.min;
      j["max"] = c.max;
      j["values"] = c.values;
      break;
    case ConstraintKind::ProductAtMost:
      j["factors"] = c.factors;
      j["factor"] = c.factor;
      j["limit"] = c.limit;
      break;
  }
  j["reason"] = c.reason;
  j["text"] = describe(c);
  return j;
}

Json metric_json(const MetricSpec& metric) {
  return {{"name", metric.name},
          {"unit", metric.unit},
          {"higher_is_better", metric.higher_is_better},
          {"description", metric.description}};
}

}  // namespace

std::string kernel_list_json(const std::vector<const KernelDeclaration*>& declarations) {
  Json doc;
  doc["schema"] = kKernelListSchema;
  doc["kernels"] = Json::array();
  for (const KernelDeclaration* declaration : declarations) {
    Json entry{{"name", declaration->name},
               {"technique", declaration->technique},
               {"description", declaration->description},
               {"baseline_variant", declaration->baseline_variant}};
    entry["params"] = Json::array();
    for (const ParamSpec& spec : declaration->params.specs()) entry["params"].push_back(param_json(spec));
    entry["constraints"] = Json::array();
    for (const Constraint& c : declaration->params.constraints()) entry["constraints"].push_back(constraint_json(c));
    entry["metrics"] = Json::array();
    for (const MetricSpec& metric : declaration->metrics) entry["metrics"].push_back(metric_json(metric));
    doc["kernels"].push_back(entry);
  }
  return doc.dump(2);
}

std::string kernel_result_json(const KernelDeclaration& declaration, const ParamSet& params, const RunContext& context,
                               const KernelResult& result) {
  check_declared_metrics(declaration, result);
  const Summary summary = summarize(result.iteration_times_s);
  Json doc;
  doc["schema"] = kResultSchema;
  doc["kernel"] = declaration.name;
  doc["params"] = params.values();
  doc["ranks"] = context.ranks;
  doc["iterations"] = context.options.iterations;
  doc["warmup"] = context.options.warmup;
  doc["iteration_times_s"] = result.iteration_times_s;
  doc["summary_s"] = {
      {"min", summary.min}, {"median", summary.median}, {"mean", summary.mean}, {"stddev", summary.stddev}};
  Json metrics = Json::object();
  for (const auto& [name, value] : result.metrics) metrics[name] = number_or_null(value);
  doc["metrics"] = metrics;
  doc["checksum"] = result.checksum;
  doc["notes"] = result.notes;
  doc["host"] = context.host;
  doc["mpi_library"] = context.mpi_library;
  doc["mpi_thread_level"] = context.mpi_thread_level;
  return doc.dump(2);
}

RunContext current_run_context(MPI_Comm comm, int thread_level, const RunOptions& options) {
  int ranks = 1;
  MPI_Comm_size(comm, &ranks);
  return {.ranks = ranks,
          .options = options,
          .host = host_name(),
          .mpi_library = mpi_library_version(),
          .mpi_thread_level = thread_level_name(thread_level)};
}

}  // namespace commtune::kernels
