#include "commtune/tuner/spec.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <functional>
#include <limits>
#include <set>
#include <sstream>

#include "commtune/kernels/declaration.hpp"

namespace commtune::tuner {
namespace {

using kernels::ParamSpec;
using kernels::ParamType;

// Bounds that keep a spec's expansion small enough to check before anything runs.
constexpr std::size_t kMaxValuesPerParam = 1000;
constexpr std::size_t kMaxConfigurationsPerKernel = 100'000;
constexpr int kMaxRanks = 4096;

// The keys each map accepts: one list, read by the parser and by its error messages.
const std::vector<std::string> kTopKeys = {"schema",   "name",       "description", "kernels",  "ranks",
                                           "launcher", "transports", "budget",      "strategy", "seeds",
                                           "measure",  "warmup",     "finalists"};
const std::vector<std::string> kMeasureKeys = {"min_iterations", "max_iterations", "min_time", "ci_target", "max_time"};
const std::vector<std::string> kKernelKeys = {"kernel", "params", "ranks"};
const std::vector<std::string> kRangeKeys = {"from", "to", "scale", "step"};
const std::vector<std::string> kScales = {"log2", "linear"};
const std::vector<std::string> kLauncherKeys = {"kind", "args", "hostfile"};
const std::vector<std::string> kLauncherKinds = {"mpirun", "srun"};
const std::vector<std::string> kTransportKeys = {"name", "mca", "env"};
const std::vector<std::string> kBudgetKeys = {"time", "evaluations"};

// Each strategy: its name, the sampler it maps to (search.hpp) and the options it takes.
struct StrategyEntry {
  std::string name;
  StrategyKind kind;
  std::vector<std::string> options;
};
const std::vector<StrategyEntry> kStrategies = {
    {"grid", StrategyKind::Grid, {}},
    {"random", StrategyKind::Random, {"count"}},
    {"successive_halving",
     StrategyKind::SuccessiveHalving,
     {"initial_configurations", "eta", "min_iterations", "max_iterations"}},
};

std::string join(const std::vector<std::string>& words) { return fmt::format("{}", fmt::join(words, ", ")); }

class Reader {
 public:
  Reader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void fail(const YAML::Node& at, const std::string& key, const std::string& message) const {
    const YAML::Mark mark = at.Mark();
    throw SpecError(file_, mark.line >= 0 ? mark.line + 1 : 0, mark.column >= 0 ? mark.column + 1 : 0, key, message);
  }

  // `node` must be a map whose keys are all in `allowed`.
  void check_map(const YAML::Node& node, const std::string& key, const std::vector<std::string>& allowed,
                 const std::string& what = "key") const {
    if (!node.IsMap()) fail(node, key, fmt::format("expected a map with keys {}", join(allowed)));
    for (const auto& entry : node) {
      const std::string name = entry.first.IsScalar() ? entry.first.Scalar() : "";
      if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
        fail(entry.first, child(key, name.empty() ? "?" : name),
             fmt::format("unknown {} '{}'; accepted: {}", what, name, join(allowed)));
      }
    }
  }

  std::string scalar(const YAML::Node& node, const std::string& key, const std::string& expected) const {
    if (!node.IsScalar()) fail(node, key, fmt::format("expected {}", expected));
    return node.Scalar();
  }

  long long integer(const YAML::Node& node, const std::string& key, long long min, long long max) const {
    const std::string expected = fmt::format("a whole number in {} .. {}", min, max);
    const std::string text = scalar(node, key, expected);
    std::size_t used = 0;
    long long value = 0;
    try {
      value = std::stoll(text, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != text.size() || value < min || value > max) {
      fail(node, key, fmt::format("'{}' is not accepted: expected {}", text, expected));
    }
    return value;
  }

  double real(const YAML::Node& node, const std::string& key, double min_exclusive) const {
    const std::string expected = fmt::format("a number above {}", min_exclusive);
    const std::string text = scalar(node, key, expected);
    std::size_t used = 0;
    double value = 0;
    try {
      value = std::stod(text, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != text.size() || !std::isfinite(value) || !(value > min_exclusive)) {
      fail(node, key, fmt::format("'{}' is not accepted: expected {}", text, expected));
    }
    return value;
  }

  std::string one_of(const YAML::Node& node, const std::string& key, const std::vector<std::string>& accepted) const {
    const std::string text = scalar(node, key, fmt::format("one of {}", join(accepted)));
    if (std::find(accepted.begin(), accepted.end(), text) == accepted.end()) {
      fail(node, key, fmt::format("'{}' is not accepted; accepted: {}", text, join(accepted)));
    }
    return text;
  }

  // A scalar or a list of scalars, each a whole number in min .. max, without repeats.
  std::vector<long long> integers(const YAML::Node& node, const std::string& key, long long min, long long max) const {
    std::vector<long long> values;
    if (node.IsScalar()) return {integer(node, key, min, max)};
    if (!node.IsSequence() || node.size() == 0) {
      fail(node, key, fmt::format("expected a whole number in {} .. {} or a non-empty list of them", min, max));
    }
    for (std::size_t i = 0; i < node.size(); ++i) {
      const std::string item = fmt::format("{}[{}]", key, i);
      const long long value = integer(node[i], item, min, max);
      if (std::find(values.begin(), values.end(), value) != values.end()) {
        fail(node[i], item, fmt::format("{} is listed twice; list each value once", value));
      }
      values.push_back(value);
    }
    return values;
  }

  // "30s", "10m", "1.5h" -> seconds.
  std::chrono::seconds duration(const YAML::Node& node, const std::string& key) const {
    const std::string expected = "a duration such as 90s, 10m or 1.5h (s, m or h; more than 0)";
    const std::string text = scalar(node, key, expected);
    // digits, optionally a fraction, then the unit: parsed by hand (std::regex recurses per character).
    const std::size_t digits = text.find_first_not_of("0123456789.");
    const bool well_formed = digits != std::string::npos && digits > 0 && digits + 1 == text.size() &&
                             std::string("smh").find(text.back()) != std::string::npos &&
                             std::count(text.begin(), text.end(), '.') <= 1 && text.front() != '.' &&
                             text[digits - 1] != '.';
    if (!well_formed) fail(node, key, fmt::format("'{}' is not {}", text, expected));
    const double unit_s = text.back() == 's' ? 1 : text.back() == 'm' ? 60 : 3600;
    const double seconds = std::stod(text.substr(0, digits)) * unit_s;
    if (!(seconds >= 1) || seconds > 1e9) fail(node, key, fmt::format("'{}' is not {}", text, expected));
    return std::chrono::seconds(static_cast<long long>(std::llround(seconds)));
  }

  // "200ms", "0.5s", "2m" -> seconds, within min_s .. max_s.
  double seconds(const YAML::Node& node, const std::string& key, double min_s, double max_s) const {
    const std::string expected =
        fmt::format("a duration such as 200ms, 0.5s or 1m (ms, s, m or h) in {}s .. {}s", min_s, max_s);
    const std::string text = scalar(node, key, expected);
    const std::size_t digits = text.find_first_not_of("0123456789.");
    const std::string unit = digits == std::string::npos ? "" : text.substr(digits);
    const double unit_s = unit == "ms" ? 1e-3 : unit == "s" ? 1 : unit == "m" ? 60 : unit == "h" ? 3600 : 0;
    const bool well_formed = digits != std::string::npos && digits > 0 && unit_s > 0 &&
                             std::count(text.begin(), text.end(), '.') <= 1 && text.front() != '.' &&
                             text[digits - 1] != '.';
    if (!well_formed) fail(node, key, fmt::format("'{}' is not {}", text, expected));
    const double value_s = std::stod(text.substr(0, digits)) * unit_s;
    if (!(value_s >= min_s) || value_s > max_s) fail(node, key, fmt::format("'{}' is not {}", text, expected));
    return value_s;
  }

  static std::string child(const std::string& parent, const std::string& name) {
    return parent.empty() ? name : parent + "." + name;
  }

  const std::string& file() const { return file_; }

 private:
  std::string file_;
};

// A range's bound or step as a number, parsed like a value of the parameter (Bytes suffixes).
double range_number(const Reader& reader, const kernels::ParamSpace& space, const ParamSpec& spec,
                    const YAML::Node& node, const std::string& key) {
  const std::string text = reader.scalar(node, key, "a number");
  try {
    return std::stod(space.canonical(spec, text));
  } catch (const std::invalid_argument& e) {
    reader.fail(node, key, e.what());
  }
}

// {from: 1K, to: 1M, scale: log2} or {from: 1, to: 8, step: 1}, expanded to canonical values.
std::vector<std::string> expand_range(const Reader& reader, const kernels::ParamSpace& space, const ParamSpec& spec,
                                      const YAML::Node& node, const std::string& key) {
  reader.check_map(node, key, kRangeKeys);
  if (spec.type != ParamType::Integer && spec.type != ParamType::Bytes && spec.type != ParamType::Real) {
    reader.fail(node, key,
                fmt::format("a range needs a numeric parameter; {} is {}: list its values ({})", spec.name,
                            kernels::to_string(spec.type), kernels::ParamSpace::describe_range(spec)));
  }
  for (const char* required : {"from", "to"}) {
    if (!node[required])
      reader.fail(node, key, fmt::format("a range needs '{}'; keys: {}", required, join(kRangeKeys)));
  }
  const double from = range_number(reader, space, spec, node["from"], Reader::child(key, "from"));
  const double to = range_number(reader, space, spec, node["to"], Reader::child(key, "to"));
  if (to < from) reader.fail(node["to"], Reader::child(key, "to"), "'to' must not be below 'from'");
  const std::string scale =
      node["scale"] ? reader.one_of(node["scale"], Reader::child(key, "scale"), kScales) : std::string();
  if (scale.empty() && !node["step"]) reader.fail(node, key, "a range needs 'scale: log2' or 'step: N'");
  std::vector<double> numbers;
  if (scale == "log2") {
    if (node["step"]) reader.fail(node["step"], Reader::child(key, "step"), "'step' applies to scale linear only");
    if (!(from > 0)) reader.fail(node["from"], Reader::child(key, "from"), "a log2 range must start above 0");
    for (double v = from; v <= to && numbers.size() <= kMaxValuesPerParam; v *= 2) numbers.push_back(v);
  } else {
    // The step is read like a value of the parameter (Bytes suffixes, whole for integers), but
    // may be as small as the type allows.
    ParamSpec step_spec = spec;
    step_spec.min = 0;
    step_spec.max = std::max(spec.max - spec.min, 0.0);
    const std::string step_key = Reader::child(key, "step");
    const double step = node["step"] ? range_number(reader, space, step_spec, node["step"], step_key) : 1.0;
    if (!(step > 0)) reader.fail(node["step"], step_key, "a step must be above 0");
    for (std::size_t k = 0; numbers.size() <= kMaxValuesPerParam; ++k) {
      const double v = from + double(k) * step;
      if (v > to + step * 1e-9) break;  // the tolerance keeps a last value that binary rounding pushed past `to`
      numbers.push_back(std::min(v, to));
    }
  }
  if (numbers.size() > kMaxValuesPerParam) {
    reader.fail(node, key, fmt::format("the range has more than {} values; narrow it", kMaxValuesPerParam));
  }
  std::vector<std::string> values;
  for (double v : numbers) {
    const bool whole = spec.type != ParamType::Real;
    try {
      // 12 significant digits drop the binary noise of from + k x step (0.30000000000000004).
      values.push_back(space.canonical(spec, whole ? fmt::format("{}", std::llround(v)) : fmt::format("{:.12g}", v)));
    } catch (const std::invalid_argument& e) {
      reader.fail(node, key, e.what());
    }
  }
  return values;
}

// One listed parameter: its values and the node of each (for locating constraint errors).
struct Dimension {
  std::string name;
  std::vector<std::string> values;
  std::vector<YAML::Node> nodes;  // one per value; a range's values all point at the range
};

Dimension parse_values(const Reader& reader, const kernels::ParamSpace& space, const ParamSpec& spec,
                       const YAML::Node& node, const std::string& key) {
  Dimension dimension{.name = spec.name};
  auto add = [&](const YAML::Node& value_node, const std::string& value_key) {
    const std::string text = reader.scalar(value_node, value_key, kernels::ParamSpace::describe_range(spec));
    try {
      dimension.values.push_back(space.canonical(spec, text));
    } catch (const std::invalid_argument& e) {
      reader.fail(value_node, value_key, e.what());
    }
    dimension.nodes.push_back(value_node);
  };
  if (node.IsMap()) {
    dimension.values = expand_range(reader, space, spec, node, key);
    dimension.nodes.assign(dimension.values.size(), node);
  } else if (node.IsSequence()) {
    if (node.size() == 0) reader.fail(node, key, "an empty list; list at least one value");
    for (std::size_t i = 0; i < node.size(); ++i) add(node[i], fmt::format("{}[{}]", key, i));
  } else {
    add(node, key);
  }
  for (std::size_t i = 0; i < dimension.values.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (dimension.values[i] == dimension.values[j]) {
        reader.fail(dimension.nodes[i], key,
                    fmt::format("the value {} is listed twice; list each value once", dimension.values[i]));
      }
    }
  }
  return dimension;
}

// Every listed value must appear in at least one configuration the kernel's constraints accept;
// otherwise the error is located at that value, with the constraint's message.
void check_constraints(const Reader& reader, const kernels::ParamSpace& space, const std::vector<Dimension>& dims,
                       const YAML::Node& params_node, const std::string& key) {
  std::size_t total = 1;
  for (const Dimension& d : dims) {
    total *= d.values.size();
    if (total > kMaxConfigurationsPerKernel) {
      reader.fail(params_node, key,
                  fmt::format("more than {} configurations; list fewer values", kMaxConfigurationsPerKernel));
    }
  }
  std::vector<std::vector<bool>> accepted(dims.size());
  std::vector<std::vector<std::string>> rejection(dims.size());
  for (std::size_t d = 0; d < dims.size(); ++d) {
    accepted[d].assign(dims[d].values.size(), false);
    rejection[d].assign(dims[d].values.size(), "");
  }
  std::vector<std::size_t> digits(dims.size(), 0);
  std::string any_rejection;
  for (std::size_t n = 0; n < total; ++n) {
    std::map<std::string, std::string> overrides;
    for (std::size_t d = 0; d < dims.size(); ++d) overrides[dims[d].name] = dims[d].values[digits[d]];
    std::string message;
    try {
      space.resolve(overrides);
    } catch (const std::invalid_argument& e) {
      message = e.what();
    }
    for (std::size_t d = 0; d < dims.size(); ++d) {
      if (message.empty())
        accepted[d][digits[d]] = true;
      else if (rejection[d][digits[d]].empty())
        rejection[d][digits[d]] = message;
    }
    if (!message.empty() && any_rejection.empty()) any_rejection = message;
    for (std::size_t d = dims.size(); d-- > 0;) {
      if (++digits[d] < dims[d].values.size()) break;
      digits[d] = 0;
    }
  }
  for (std::size_t d = 0; d < dims.size(); ++d) {
    for (std::size_t i = 0; i < dims[d].values.size(); ++i) {
      if (accepted[d][i]) continue;
      reader.fail(dims[d].nodes[i], Reader::child(key, dims[d].name),
                  fmt::format("{}={} is rejected by a constraint in every configuration of this grid: {}", dims[d].name,
                              dims[d].values[i], rejection[d][i]));
    }
  }
  if (dims.empty() && !any_rejection.empty()) reader.fail(params_node, key, any_rejection);
}

KernelSweep parse_kernel(const Reader& reader, const YAML::Node& node, const std::string& key,
                         const std::vector<int>& default_ranks) {
  reader.check_map(node, key, kKernelKeys);
  if (!node["kernel"])
    reader.fail(node, key, "missing key 'kernel'; accepted kernels: " + join(kernels::builtin_kernel_names()));
  KernelSweep sweep{.line = node.Mark().line + 1};
  const std::string kernel_key = Reader::child(key, "kernel");
  sweep.kernel = reader.one_of(node["kernel"], kernel_key, kernels::builtin_kernel_names());
  const kernels::ParamSpace& space = kernels::find_declaration(sweep.kernel)->params;
  std::vector<Dimension> dims;
  const std::string params_key = Reader::child(key, "params");
  if (const YAML::Node params = node["params"]) {
    std::vector<std::string> names;
    for (const ParamSpec& spec : space.specs()) names.push_back(spec.name);
    reader.check_map(params, params_key, names, fmt::format("parameter of kernel {}", sweep.kernel));
    for (const auto& entry : params) {
      const ParamSpec& spec = *space.find(entry.first.Scalar());
      dims.push_back(parse_values(reader, space, spec, entry.second, Reader::child(params_key, spec.name)));
    }
  }
  check_constraints(reader, space, dims, node["params"] ? node["params"] : node, params_key);
  for (const Dimension& d : dims) sweep.grid[d.name] = d.values;
  sweep.ranks = default_ranks;
  if (node["ranks"]) {
    sweep.ranks.clear();
    for (long long r : reader.integers(node["ranks"], Reader::child(key, "ranks"), 1, kMaxRanks)) {
      sweep.ranks.push_back(int(r));
    }
  }
  return sweep;
}

Launcher parse_launcher(const Reader& reader, const YAML::Node& node, const std::filesystem::path& spec_dir) {
  reader.check_map(node, "launcher", kLauncherKeys);
  Launcher launcher;
  if (node["kind"]) {
    launcher.kind = reader.one_of(node["kind"], "launcher.kind", kLauncherKinds) == "srun" ? LauncherKind::Srun
                                                                                           : LauncherKind::Mpirun;
  }
  if (const YAML::Node args = node["args"]) {
    if (!args.IsSequence()) reader.fail(args, "launcher.args", "expected a list of words, e.g. [--oversubscribe]");
    for (std::size_t i = 0; i < args.size(); ++i) {
      launcher.args.push_back(reader.scalar(args[i], fmt::format("launcher.args[{}]", i), "a word"));
    }
  }
  if (const YAML::Node hostfile = node["hostfile"]) {
    const std::string text = reader.scalar(hostfile, "launcher.hostfile", "a path");
    std::filesystem::path path(text);
    if (path.is_relative()) path = spec_dir / path;
    std::error_code error;
    if (text.empty() || !std::filesystem::is_regular_file(path, error)) {
      reader.fail(
          hostfile, "launcher.hostfile",
          fmt::format("'{}' is not a file; accepted: the path of a hostfile, relative to the spec's directory", text));
    }
    launcher.hostfile = std::filesystem::absolute(path).lexically_normal().string();
  }
  return launcher;
}

// A non-empty word of lowercase letters, digits, `extra` characters and, with `upper`, uppercase
// letters.
bool only(const std::string& word, const std::string& extra, bool upper, bool digits) {
  if (word.empty()) return false;
  return std::all_of(word.begin(), word.end(), [&](char c) {
    const auto u = static_cast<unsigned char>(c);
    return std::islower(u) || (upper && std::isupper(u)) || (digits && std::isdigit(u)) ||
           extra.find(c) != std::string::npos;
  });
}

// name -> value maps of `mca` and `env`, keys checked against `pattern`.
std::map<std::string, std::string> parse_settings(const Reader& reader, const YAML::Node& node, const std::string& key,
                                                  const std::function<bool(const std::string&)>& pattern,
                                                  const std::string& what) {
  if (!node.IsMap()) reader.fail(node, key, fmt::format("expected a map of {} to values", what));
  std::map<std::string, std::string> settings;
  for (const auto& entry : node) {
    const std::string name = entry.first.IsScalar() ? entry.first.Scalar() : "";
    if (!pattern(name)) {
      reader.fail(entry.first, Reader::child(key, name), fmt::format("'{}' is not accepted: expected {}", name, what));
    }
    settings[name] = reader.scalar(entry.second, Reader::child(key, name), "a value");
  }
  return settings;
}

std::vector<Transport> parse_transports(const Reader& reader, const YAML::Node& node) {
  if (!node.IsSequence() || node.size() == 0) {
    reader.fail(node, "transports", "expected a non-empty list of {name, mca, env}");
  }
  const auto name_pattern = [](const std::string& n) { return only(n, "_.-", true, true); };
  const auto mca_pattern = [](const std::string& n) { return only(n, "_", false, true); };
  const auto env_pattern = [](const std::string& n) {
    return only(n, "_", true, true) && !std::isdigit(static_cast<unsigned char>(n.front()));
  };
  std::vector<Transport> transports;
  for (std::size_t i = 0; i < node.size(); ++i) {
    const std::string key = fmt::format("transports[{}]", i);
    reader.check_map(node[i], key, kTransportKeys);
    if (!node[i]["name"]) reader.fail(node[i], key, "missing key 'name'");
    Transport transport;
    transport.name = reader.scalar(node[i]["name"], key + ".name", "a name");
    if (!name_pattern(transport.name)) {
      reader.fail(node[i]["name"], key + ".name",
                  fmt::format("'{}' is not accepted: expected letters, digits, '_', '.' or '-'", transport.name));
    }
    for (const Transport& other : transports) {
      if (other.name == transport.name) {
        reader.fail(node[i]["name"], key + ".name", fmt::format("the name '{}' is used twice", transport.name));
      }
    }
    if (node[i]["mca"]) {
      transport.mca = parse_settings(reader, node[i]["mca"], key + ".mca", mca_pattern,
                                     "Open MPI MCA parameter names (lowercase letters, digits, '_'), e.g. btl");
    }
    if (node[i]["env"]) {
      transport.env = parse_settings(reader, node[i]["env"], key + ".env", env_pattern,
                                     "environment variable names, e.g. MPIR_CVAR_CH3_EAGER_MAX_MSG_SIZE");
    }
    transports.push_back(std::move(transport));
  }
  return transports;
}

Budget parse_budget(const Reader& reader, const YAML::Node& node) {
  reader.check_map(node, "budget", kBudgetKeys);
  Budget budget;
  if (node["time"]) budget.time = reader.duration(node["time"], "budget.time");
  if (node["evaluations"]) {
    budget.evaluations = std::size_t(reader.integer(node["evaluations"], "budget.evaluations", 1, 100'000'000));
  }
  if (!budget.time && !budget.evaluations) reader.fail(node, "budget", "a budget needs time, evaluations or both");
  return budget;
}

Strategy parse_strategy(const Reader& reader, const YAML::Node& node) {
  std::vector<std::string> names;
  std::vector<std::string> all_keys = {"name"};
  for (const StrategyEntry& entry : kStrategies) {
    names.push_back(entry.name);
    all_keys.insert(all_keys.end(), entry.options.begin(), entry.options.end());
  }
  reader.check_map(node, "strategy", all_keys);
  if (!node["name"]) reader.fail(node, "strategy", "missing key 'name'; accepted: " + join(names));
  const std::string name = reader.one_of(node["name"], "strategy.name", names);
  const StrategyEntry& entry =
      *std::find_if(kStrategies.begin(), kStrategies.end(), [&](const StrategyEntry& e) { return e.name == name; });
  for (const auto& option : node) {
    const std::string key = option.first.Scalar();
    if (key != "name" && std::find(entry.options.begin(), entry.options.end(), key) == entry.options.end()) {
      reader.fail(option.first, "strategy." + key,
                  fmt::format("'{}' does not apply to strategy {}; its options: {}", key, name,
                              entry.options.empty() ? std::string("none") : join(entry.options)));
    }
  }
  Strategy strategy{.kind = entry.kind};
  if (entry.kind == StrategyKind::Random) {
    if (!node["count"]) reader.fail(node, "strategy", "strategy random needs 'count', the configurations to try");
    strategy.count = std::size_t(reader.integer(node["count"], "strategy.count", 1, 1'000'000));
  }
  if (entry.kind == StrategyKind::SuccessiveHalving) {
    SuccessiveHalvingOptions& sh = strategy.successive_halving;
    if (node["initial_configurations"]) {
      sh.initial_configurations =
          std::size_t(reader.integer(node["initial_configurations"], "strategy.initial_configurations", 1, 1'000'000));
    }
    if (node["eta"]) sh.eta = reader.real(node["eta"], "strategy.eta", 1);
    if (node["min_iterations"]) {
      sh.min_fidelity = int(reader.integer(node["min_iterations"], "strategy.min_iterations", 1, 1'000'000));
    }
    if (node["max_iterations"]) {
      sh.max_fidelity = int(reader.integer(node["max_iterations"], "strategy.max_iterations", 1, 1'000'000));
    }
    if (sh.eta > 1000) reader.fail(node["eta"], "strategy.eta", "eta above 1000; accepted: a number in (1, 1000]");
    // Each rung multiplies the iterations by eta, rounded: an eta that rounds back to the same
    // count would never reach max_iterations.
    for (int f = sh.min_fidelity; f < sh.max_fidelity;) {
      const int next = std::min(sh.max_fidelity, static_cast<int>(std::lround(f * sh.eta)));
      if (next <= f) {
        reader.fail(node, "strategy",
                    fmt::format("eta {} does not raise {} iterations (it rounds back to {}); accepted: an eta with "
                                "round(iterations x eta) > iterations at every rung, e.g. 2 or 3",
                                sh.eta, f, next));
      }
      f = next;
    }
    try {
      SuccessiveHalvingSampler check(1, sh);
    } catch (const std::invalid_argument& e) {
      reader.fail(node, "strategy",
                  fmt::format("{}; accepted: eta > 1 and 1 <= min_iterations <= max_iterations", e.what()));
    }
  }
  return strategy;
}

MeasurePolicy parse_measure(const Reader& reader, const YAML::Node& node) {
  reader.check_map(node, "measure", kMeasureKeys);
  MeasurePolicy measure;
  if (node["min_iterations"]) {
    measure.min_iterations = int(reader.integer(node["min_iterations"], "measure.min_iterations", 1, 1'000'000));
  }
  if (node["max_iterations"]) {
    measure.max_iterations = int(reader.integer(node["max_iterations"], "measure.max_iterations", 1, 1'000'000));
  }
  if (measure.max_iterations < measure.min_iterations) {
    reader.fail(node["max_iterations"] ? node["max_iterations"] : node, "measure.max_iterations",
                fmt::format("max_iterations {} is below min_iterations {}; accepted: max_iterations >= min_iterations",
                            measure.max_iterations, measure.min_iterations));
  }
  if (node["min_time"]) measure.min_time_s = reader.seconds(node["min_time"], "measure.min_time", 0, 3600);
  if (node["max_time"]) measure.max_time_s = reader.seconds(node["max_time"], "measure.max_time", 0.01, 3600);
  if (measure.max_time_s < measure.min_time_s) {
    reader.fail(node["max_time"] ? node["max_time"] : node, "measure.max_time",
                "max_time is below min_time; accepted: max_time >= min_time");
  }
  if (node["ci_target"]) {
    const double fraction = reader.real(node["ci_target"], "measure.ci_target", 0);
    if (fraction > 1) {
      reader.fail(node["ci_target"], "measure.ci_target",
                  fmt::format("{} is not accepted: expected a fraction of the median in (0, 1], e.g. 0.03", fraction));
    }
    measure.ci_target = fraction;
  }
  return measure;
}

std::string stem_of(const std::string& file) {
  const std::string stem = std::filesystem::path(file).stem().string();
  return stem.empty() ? "sweep" : stem;
}

void parse_top(const Reader& reader, const YAML::Node& root, SweepSpec& spec) {
  if (!root.IsMap()) reader.fail(root, "", "a spec is a map with keys " + join(kTopKeys));
  reader.check_map(root, "", kTopKeys);
  if (!root["schema"]) reader.fail(root, "schema", fmt::format("missing key 'schema'; accepted: {}", kSweepSpecSchema));
  reader.one_of(root["schema"], "schema", {kSweepSpecSchema});
  spec.name = root["name"] ? reader.scalar(root["name"], "name", "a name") : stem_of(spec.file);
  if (root["description"]) spec.description = reader.scalar(root["description"], "description", "text");
  if (root["ranks"]) {
    spec.ranks.clear();
    for (long long r : reader.integers(root["ranks"], "ranks", 1, kMaxRanks)) spec.ranks.push_back(int(r));
  }
  if (root["seeds"]) {
    spec.seeds.clear();
    for (long long s : reader.integers(root["seeds"], "seeds", 0, std::numeric_limits<long long>::max())) {
      spec.seeds.push_back(std::uint64_t(s));
    }
  }
  if (root["warmup"]) spec.warmup = int(reader.integer(root["warmup"], "warmup", 0, 1'000'000));
  if (root["finalists"]) spec.finalists = std::size_t(reader.integer(root["finalists"], "finalists", 1, 100));
  if (root["measure"]) spec.measure = parse_measure(reader, root["measure"]);
}

}  // namespace

SpecError::SpecError(std::string file, int line, int column, std::string key, std::string message)
    : std::runtime_error(fmt::format("{}:{}:{}: {}{}", file, line, column, key.empty() ? "" : key + ": ", message)),
      file_(std::move(file)),
      line_(line),
      column_(column),
      key_(std::move(key)),
      message_(std::move(message)) {}

SampleTarget MeasurePolicy::adaptive() const {
  return {.min_time_s = min_time_s,
          .min_samples = std::size_t(min_iterations),
          .ci_half_width_fraction = ci_target,
          .max_samples = std::size_t(max_iterations),
          .max_time_s = max_time_s};
}

SampleTarget MeasurePolicy::fixed(int iterations) const {
  // No time or interval target: exactly `iterations`, unless max_time_s cuts them short.
  return {.min_time_s = 0,
          .min_samples = std::size_t(iterations),
          .ci_half_width_fraction = 1e9,
          .max_samples = std::size_t(iterations),
          .max_time_s = max_time_s};
}

SampleTarget MeasurePolicy::adaptive_at_least(int iterations) const {
  SampleTarget target = adaptive();
  target.min_samples = std::max(target.min_samples, std::size_t(iterations));
  target.max_samples = std::max(target.max_samples, target.min_samples);
  return target;
}

std::string to_string(StrategyKind kind) {
  for (const StrategyEntry& entry : kStrategies) {
    if (entry.kind == kind) return entry.name;
  }
  return "unknown";
}

std::string to_string(LauncherKind kind) { return kind == LauncherKind::Srun ? "srun" : "mpirun"; }

SweepSpec parse_sweep_spec(const std::string& text, const std::string& file) {
  const Reader reader(file);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw SpecError(file, e.mark.line >= 0 ? e.mark.line + 1 : 0, e.mark.column >= 0 ? e.mark.column + 1 : 0, "",
                    "YAML syntax error: " + e.msg);
  }
  SweepSpec spec;
  spec.file = file;
  spec.text = text;
  parse_top(reader, root, spec);
  const std::filesystem::path spec_dir = std::filesystem::path(file).parent_path();
  if (root["launcher"]) spec.launcher = parse_launcher(reader, root["launcher"], spec_dir);
  if (root["transports"]) spec.transports = parse_transports(reader, root["transports"]);
  if (!root["budget"]) reader.fail(root, "budget", "missing key 'budget': give time (e.g. 10m), evaluations or both");
  spec.budget = parse_budget(reader, root["budget"]);
  if (root["strategy"]) spec.strategy = parse_strategy(reader, root["strategy"]);
  const YAML::Node kernel_list = root["kernels"];
  if (!kernel_list)
    reader.fail(root, "kernels", "missing key 'kernels': list at least one {kernel: NAME, params: ...}");
  if (!kernel_list.IsSequence() || kernel_list.size() == 0) {
    reader.fail(kernel_list, "kernels", "expected a non-empty list of {kernel: NAME, params: ...}");
  }
  for (std::size_t i = 0; i < kernel_list.size(); ++i) {
    spec.kernels.push_back(parse_kernel(reader, kernel_list[i], fmt::format("kernels[{}]", i), spec.ranks));
  }
  return spec;
}

SweepSpec load_sweep_spec(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw SpecError(path.string(), 0, 0, "", "cannot read the file");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_sweep_spec(text.str(), path.string());
}

std::unique_ptr<Sampler> make_sampler(const SweepSpec& spec, std::size_t space_size, std::uint64_t seed) {
  switch (spec.strategy.kind) {
    case StrategyKind::Grid:
      return std::make_unique<GridSampler>(space_size, spec.measure.min_iterations, seed);
    case StrategyKind::Random:
      return std::make_unique<RandomSampler>(space_size, spec.strategy.count, spec.measure.min_iterations, seed);
    case StrategyKind::SuccessiveHalving: {
      SuccessiveHalvingOptions options = spec.strategy.successive_halving;
      options.seed = seed;
      return std::make_unique<SuccessiveHalvingSampler>(space_size, options);
    }
  }
  return nullptr;
}

SweepPlan plan_sweep(const SweepSpec& spec) {
  SweepPlan plan;
  const std::size_t transports = std::max<std::size_t>(1, spec.transports.size());
  for (const KernelSweep& sweep : spec.kernels) {
    const SearchSpace space(kernels::find_declaration(sweep.kernel)->params, sweep.grid);
    KernelPlan kernel{.kernel = sweep.kernel,
                      .configurations = space.size(),
                      .excluded_by_constraints = space.excluded_by_constraints(),
                      .ranks = sweep.ranks};
    // Ask the sampler itself, answering every trial, to count what one study evaluates.
    const std::unique_ptr<Sampler> sampler = make_sampler(spec, space.size(), spec.seeds.front());
    for (std::vector<Trial> trials = sampler->ask(); !trials.empty(); trials = sampler->ask()) {
      std::vector<TrialResult> results;
      for (const Trial& trial : trials) {
        results.push_back({.trial = trial, .value_s = double(trial.point)});
        kernel.iterations_per_study += trial.fidelity;
      }
      kernel.evaluations_per_study += trials.size();
      sampler->tell(results);
    }
    // The finalists (as many as the study evaluated, at most spec.finalists) and the baseline,
    // each in kFinalistLaunches launches.
    kernel.finalist_evaluations_per_study = (std::min(spec.finalists, space.size()) + 1) * kFinalistLaunches;
    kernel.studies = sweep.ranks.size() * transports * spec.seeds.size();
    kernel.evaluations = (kernel.evaluations_per_study + kernel.finalist_evaluations_per_study) * kernel.studies;
    kernel.iterations = kernel.iterations_per_study * std::int64_t(kernel.studies);
    plan.evaluations += kernel.evaluations;
    plan.iterations += kernel.iterations;
    plan.kernels.push_back(kernel);
  }
  plan.evaluations_within_budget =
      spec.budget.evaluations ? std::min(plan.evaluations, *spec.budget.evaluations) : plan.evaluations;
  return plan;
}

std::string format_plan(const SweepSpec& spec, const SweepPlan& plan) {
  std::string text = fmt::format("{}: sweep '{}' is valid ({})\n", spec.file, spec.name, kSweepSpecSchema);
  std::string launcher = to_string(spec.launcher.kind);
  if (!spec.launcher.args.empty()) launcher += fmt::format(" {}", fmt::join(spec.launcher.args, " "));
  if (!spec.launcher.hostfile.empty()) launcher += ", hostfile " + spec.launcher.hostfile;
  text += fmt::format("  launcher: {}\n", launcher);
  std::vector<std::string> transports;
  for (const Transport& t : spec.transports) {
    std::vector<std::string> settings;
    for (const auto& [k, v] : t.mca) settings.push_back(fmt::format("mca {}={}", k, v));
    for (const auto& [k, v] : t.env) settings.push_back(fmt::format("env {}={}", k, v));
    transports.push_back(fmt::format("{} ({})", t.name, join(settings)));
  }
  text += fmt::format("  transports: {}\n", transports.empty() ? "the MPI library's defaults" : join(transports));
  std::string strategy = to_string(spec.strategy.kind);
  if (spec.strategy.kind == StrategyKind::Random) strategy += fmt::format(", count {}", spec.strategy.count);
  if (spec.strategy.kind == StrategyKind::SuccessiveHalving) {
    const auto& sh = spec.strategy.successive_halving;
    strategy += fmt::format(", eta {}, iterations {} .. {}", sh.eta, sh.min_fidelity, sh.max_fidelity);
  } else {
    strategy += ", the measuring target per evaluation";
  }
  const MeasurePolicy& m = spec.measure;
  text += fmt::format("  strategy: {}; warm-up {}; seeds {}; {} finalists\n", strategy, spec.warmup,
                      fmt::join(spec.seeds, ", "), spec.finalists);
  text += fmt::format(
      "  measure: {} .. {} timed iterations, at least {} s, until the median's 95% CI is within {}% (at most {} s)\n",
      m.min_iterations, m.max_iterations, m.min_time_s, m.ci_target * 100, m.max_time_s);
  for (const KernelPlan& k : plan.kernels) {
    text += fmt::format(
        "  kernel {}: {} configurations ({} excluded by constraints), {} evaluations per study + {} of finalists, "
        "ranks {}: {} evaluations, at least {} timed iterations\n",
        k.kernel, k.configurations, k.excluded_by_constraints, k.evaluations_per_study,
        k.finalist_evaluations_per_study, fmt::join(k.ranks, ", "), k.evaluations, k.iterations);
  }
  std::vector<std::string> budget;
  if (spec.budget.time) budget.push_back(fmt::format("time {} s", spec.budget.time->count()));
  if (spec.budget.evaluations) budget.push_back(fmt::format("{} evaluations", *spec.budget.evaluations));
  text += fmt::format("  total: {} evaluations, at least {} timed iterations; budget: {}\n", plan.evaluations,
                      plan.iterations, join(budget));
  if (plan.evaluations_within_budget < plan.evaluations) {
    text += fmt::format("  note: the evaluation budget stops the sweep after {} of {} evaluations\n",
                        plan.evaluations_within_budget, plan.evaluations);
  }
  return text;
}

}  // namespace commtune::tuner
