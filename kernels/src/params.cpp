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
  if (suffix.ends_with("ib"))
    suffix.resize(suffix.size() - 2);
  else if (suffix.ends_with("b"))
    suffix.pop_back();
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
    case ParamType::Integer:
      return "integer";
    case ParamType::Real:
      return "real";
    case ParamType::Bytes:
      return "bytes";
    case ParamType::Choice:
      return "choice";
    case ParamType::Boolean:
      return "boolean";
    case ParamType::Text:
      return "text";
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

std::string to_string(ConstraintKind kind) {
  switch (kind) {
    case ConstraintKind::Requires:
      return "requires";
    case ConstraintKind::NotEmpty:
      return "not_empty";
    case ConstraintKind::MultipleOf:
      return "multiple_of";
    case ConstraintKind::InRange:
      return "in_range";
    case ConstraintKind::ProductAtMost:
      return "product_at_most";
  }
  return "unknown";
}

namespace {

// "variant=nonblocking" or "variant in {a, b}".
std::string describe_values(const std::string& param, const std::vector<std::string>& values) {
  if (values.size() == 1) return fmt::format("{}={}", param, values.front());
  return fmt::format("{} in {{{}}}", param, fmt::join(values, ", "));
}

std::string describe_rule(const Constraint& c) {
  switch (c.kind) {
    case ConstraintKind::Requires:
      return describe_values(c.param, c.values);
    case ConstraintKind::NotEmpty:
      return fmt::format("{} not empty", c.param);
    case ConstraintKind::MultipleOf:
      return fmt::format("{} a multiple of {}", c.param, format_number(c.divisor));
    case ConstraintKind::InRange: {
      std::string text = fmt::format("{} in {} .. {}", c.param, format_number(c.min), format_number(c.max));
      if (!c.values.empty()) text += fmt::format(" or {}", fmt::join(c.values, " or "));
      return text;
    }
    case ConstraintKind::ProductAtMost: {
      std::string product = fmt::format("{}", fmt::join(c.factors, " x "));
      if (c.factor != 1) product += " x " + format_number(c.factor);
      return fmt::format("{} <= {}", product, format_number(c.limit));
    }
  }
  return "";
}

bool condition_holds(const Condition& when, const ParamSet& set) {
  if (when.param.empty()) return true;
  const std::string& value = set.text(when.param);
  return std::find(when.values.begin(), when.values.end(), value) != when.values.end();
}

}  // namespace

std::string describe(const Constraint& constraint) {
  const std::string rule = describe_rule(constraint);
  if (constraint.when.param.empty()) return rule;
  return fmt::format("{} needs {}", describe_values(constraint.when.param, constraint.when.values), rule);
}

ParamSpace::ParamSpace(std::vector<ParamSpec> specs, std::vector<Constraint> constraints)
    : specs_(std::move(specs)), constraints_(std::move(constraints)) {
  auto spec_of = [&](const std::string& param) -> const ParamSpec& {
    const ParamSpec* spec = find(param);
    if (!spec) throw std::logic_error(fmt::format("a constraint names the unknown parameter '{}'", param));
    return *spec;
  };
  // Values in constraints are compared as canonical text: canonicalise them once here.
  auto canonicalise = [&](const std::string& param, std::vector<std::string>& values) {
    const ParamSpec& spec = spec_of(param);
    try {
      for (std::string& value : values) value = canonical(spec, value);
    } catch (const std::invalid_argument& e) {
      throw std::logic_error(fmt::format("a constraint lists a value that is not accepted: {}", e.what()));
    }
  };
  for (Constraint& c : constraints_) {
    if (!c.when.param.empty()) canonicalise(c.when.param, c.when.values);
    if (c.kind == ConstraintKind::ProductAtMost) {
      for (const std::string& name : c.factors) spec_of(name);
    } else {
      canonicalise(c.param, c.values);
    }
  }
}

std::optional<std::string> ParamSpace::violation(const Constraint& c, const ParamSet& set) {
  if (!condition_holds(c.when, set)) return std::nullopt;
  std::string got;
  switch (c.kind) {
    case ConstraintKind::Requires:
      if (std::find(c.values.begin(), c.values.end(), set.text(c.param)) != c.values.end()) return std::nullopt;
      got = set.text(c.param);
      break;
    case ConstraintKind::NotEmpty:
      if (!set.text(c.param).empty()) return std::nullopt;
      got = "empty";
      break;
    case ConstraintKind::MultipleOf: {
      const double value = set.real(c.param);
      if (std::fmod(value, c.divisor) == 0) return std::nullopt;
      got = set.text(c.param);
      break;
    }
    case ConstraintKind::InRange: {
      const std::string& text = set.text(c.param);
      const double value = set.real(c.param);
      if ((value >= c.min && value <= c.max) || std::find(c.values.begin(), c.values.end(), text) != c.values.end()) {
        return std::nullopt;
      }
      got = text;
      break;
    }
    case ConstraintKind::ProductAtMost: {
      double product = c.factor;
      for (const std::string& name : c.factors) product *= set.real(name);
      if (product <= c.limit) return std::nullopt;
      got = format_number(product);
      break;
    }
  }
  std::string message = fmt::format("{} (got {})", describe(c), got);
  if (!c.reason.empty()) message += ": " + c.reason;
  return message;
}

std::optional<std::string> ParamSpace::violation(const ParamSet& set) const {
  for (const Constraint& constraint : constraints_) {
    if (auto message = violation(constraint, set)) return message;
  }
  return std::nullopt;
}

const ParamSpec* ParamSpace::find(const std::string& name) const {
  const auto it = std::find_if(specs_.begin(), specs_.end(), [&](const ParamSpec& s) { return s.name == name; });
  return it == specs_.end() ? nullptr : &*it;
}

std::string ParamSpace::describe_range(const ParamSpec& spec) {
  const std::string unit = spec.unit.empty() || spec.type == ParamType::Bytes ? "" : " " + spec.unit;
  switch (spec.type) {
    case ParamType::Choice:
      return fmt::format("one of {} (default {})", fmt::join(spec.choices, ", "), spec.default_value);
    case ParamType::Boolean:
      return fmt::format("true or false (default {})", spec.default_value);
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
  if (auto message = violation(set)) throw std::invalid_argument(*message);
  return set;
}

}  // namespace commtune::kernels
