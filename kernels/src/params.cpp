#include "commtune/kernels/params.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace commtune::kernels {
namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

// "4096", "4K", "1.5M", "2GiB" -> bytes; nullopt when not a size.
std::optional<double> parse_bytes(const std::string& text) {
  double number = 0;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  const auto [rest, error] = std::from_chars(begin, end, number);
  if (error != std::errc{} || rest == begin) return std::nullopt;
  std::string suffix = lower(trim(std::string(rest, end)));
  if (suffix.ends_with("ib")) suffix.resize(suffix.size() - 2);
  else if (suffix.ends_with("b")) suffix.pop_back();
  const std::string units = "kmgt";
  double scale = 1;
  if (suffix.size() == 1 && units.find(suffix[0]) != std::string::npos) {
    scale = std::pow(1024.0, double(units.find(suffix[0]) + 1));
  } else if (!suffix.empty()) {
    return std::nullopt;
  }
  return number * scale;
}

std::optional<double> parse_number(const std::string& text) {
  double number = 0;
  const auto [rest, error] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (error != std::errc{} || rest != text.data() + text.size()) return std::nullopt;
  return number;
}

std::string format_number(double value) {
  if (value == std::floor(value) && std::fabs(value) < 1e18) return fmt::format("{}", static_cast<long long>(value));
  return fmt::format("{}", value);
}

}  // namespace

std::string to_string(ParamType type) {
  switch (type) {
    case ParamType::Integer: return "integer";
    case ParamType::Real: return "real";
    case ParamType::Bytes: return "bytes";
    case ParamType::Choice: return "choice";
    case ParamType::Boolean: return "boolean";
    case ParamType::Text: return "text";
  }
  return "unknown";
}

std::int64_t ParamSet::integer(const std::string& name) const { return std::stoll(text(name)); }
double ParamSet::real(const std::string& name) const { return std::stod(text(name)); }
const std::string& ParamSet::choice(const std::string& name) const { return text(name); }
bool ParamSet::boolean(const std::string& name) const { return text(name) == "true"; }

const std::string& ParamSet::text(const std::string& name) const {
  const auto it = values_.find(name);
  if (it == values_.end()) throw std::out_of_range(fmt::format("no parameter named '{}'", name));
  return it->second;
}

ParamSpace::ParamSpace(std::vector<ParamSpec> specs, std::vector<ParamConstraint> constraints)
    : specs_(std::move(specs)), constraints_(std::move(constraints)) {}

const ParamSpec* ParamSpace::find(const std::string& name) const {
  const auto it = std::find_if(specs_.begin(), specs_.end(), [&](const ParamSpec& s) { return s.name == name; });
  return it == specs_.end() ? nullptr : &*it;
}

std::string ParamSpace::describe_range(const ParamSpec& spec) {
  const std::string unit = spec.unit.empty() || spec.type == ParamType::Bytes ? "" : " " + spec.unit;
  switch (spec.type) {
    case ParamType::Choice:
      return fmt::format("one of {} (default {})", fmt::join(spec.choices, ", "), spec.default_value);
    case ParamType::Boolean: return fmt::format("true or false (default {})", spec.default_value);
    case ParamType::Text:
      return spec.default_value.empty() ? "any text (default empty)"
                                        : fmt::format("any text (default {})", spec.default_value);
    case ParamType::Bytes:
      return fmt::format("{} .. {} bytes (default {})", format_number(spec.min), format_number(spec.max),
                         spec.default_value);
    default:
      return fmt::format("{} .. {}{} (default {})", format_number(spec.min), format_number(spec.max), unit,
                         spec.default_value);
  }
}

std::string ParamSpace::canonical(const ParamSpec& spec, const std::string& raw) const {
  const std::string value = trim(raw);
  auto reject = [&]() -> std::invalid_argument {
    return std::invalid_argument(
        fmt::format("parameter '{}' = '{}' is not accepted: expected {}", spec.name, raw, describe_range(spec)));
  };
  switch (spec.type) {
    case ParamType::Choice: {
      const auto it = std::find(spec.choices.begin(), spec.choices.end(), lower(value));
      if (it == spec.choices.end()) throw reject();
      return *it;
    }
    case ParamType::Boolean: {
      const std::string v = lower(value);
      if (v == "true" || v == "1" || v == "on" || v == "yes") return "true";
      if (v == "false" || v == "0" || v == "off" || v == "no") return "false";
      throw reject();
    }
    case ParamType::Integer:
    case ParamType::Bytes: {
      const auto number = spec.type == ParamType::Bytes ? parse_bytes(value) : parse_number(value);
      if (!number || *number != std::floor(*number) || *number < spec.min || *number > spec.max) throw reject();
      return format_number(*number);
    }
    case ParamType::Text:
      return value;
    case ParamType::Real: {
      const auto number = parse_number(value);
      if (!number || *number < spec.min || *number > spec.max) throw reject();
      return format_number(*number);
    }
  }
  throw reject();
}

ParamSet ParamSpace::resolve(const std::map<std::string, std::string>& overrides) const {
  for (const auto& [name, value] : overrides) {
    if (!find(name)) {
      std::vector<std::string> names;
      for (const ParamSpec& spec : specs_) names.push_back(spec.name);
      throw std::invalid_argument(
          fmt::format("unknown parameter '{}'; this kernel has: {}", name, fmt::join(names, ", ")));
    }
  }
  ParamSet set;
  for (const ParamSpec& spec : specs_) {
    const auto it = overrides.find(spec.name);
    set.values_[spec.name] = canonical(spec, it == overrides.end() ? spec.default_value : it->second);
  }
  for (const ParamConstraint& constraint : constraints_) {
    if (auto message = constraint(set)) throw std::invalid_argument(*message);
  }
  return set;
}

}  // namespace commtune::kernels
