// The parameter space of a kernel, declared once and read by everyone: the kernel runner, the
// `commtune kernels` listing, YAML validation of sweep specs (tuner/) and the analyzer.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace commtune::kernels {

enum class ParamType {
  Integer,  // whole number in [min, max]
  Real,     // floating-point number in [min, max]
  Bytes,    // whole number of bytes in [min, max]; accepts suffixes K, M, G (powers of 1024)
  Choice,   // one of `choices`
  Boolean,  // true/false (also 1/0, on/off, yes/no)
  Text,     // free text, such as a path (empty allowed when it is the default)
};

std::string to_string(ParamType type);

struct ParamSpec {
  std::string name;  // snake_case, unique within a kernel
  ParamType type = ParamType::Integer;
  std::string default_value;  // as text, parsed like user input
  std::string unit;           // "bytes", "us", "threads", ... empty when dimensionless
  std::string description;    // one sentence
  double min = 0;             // Integer, Real, Bytes
  double max = 0;
  std::vector<std::string> choices;  // Choice
  bool log_scale = false;            // a hint for sweeps: powers of two rather than linear steps
};

// One concrete value for every parameter of a kernel, validated against the specs.
class ParamSet {
 public:
  std::int64_t integer(const std::string& name) const;  // Integer and Bytes
  double real(const std::string& name) const;
  const std::string& choice(const std::string& name) const;
  bool boolean(const std::string& name) const;
  const std::string& text(const std::string& name) const;  // canonical text of any value
  const std::map<std::string, std::string>& values() const { return values_; }

 private:
  friend class ParamSpace;
  std::map<std::string, std::string> values_;  // canonical text
};

// A constraint across parameters, as data: the JSON export carries it and a sweep spec is
// checked against it before anything runs. A closed set of kinds, each holding only `when` holds:
enum class ConstraintKind {
  Requires,       // `param` takes one of `values`
  NotEmpty,       // the Text parameter `param` is not empty
  MultipleOf,     // `param` is a multiple of `divisor`
  InRange,        // `param` is in [min, max] or one of `values`
  ProductAtMost,  // factor x the product of `params` <= limit
};

std::string to_string(ConstraintKind kind);  // "requires", "not_empty", "multiple_of", ...

// `param` has one of `values` (canonical text); an empty `param` always holds.
struct Condition {
  std::string param;
  std::vector<std::string> values;
};

struct Constraint {
  ConstraintKind kind = ConstraintKind::Requires;
  Condition when;                   // the constraint applies only when this holds
  std::string param;                // the constrained parameter (all kinds but ProductAtMost)
  std::vector<std::string> values;  // Requires: accepted values; InRange: accepted besides the range
  double min = 0;                   // InRange
  double max = 0;
  double divisor = 1;                // MultipleOf
  std::vector<std::string> factors;  // ProductAtMost: parameters multiplied
  double factor = 1;                 // ProductAtMost: constant multiplier
  double limit = 0;                  // ProductAtMost
  std::string reason;                // why, one sentence; ends every message
};

// "codec=lz4 needs level in 1 .. 12 or 0": the rule in one line, for listings and messages.
std::string describe(const Constraint& constraint);

class ParamSpace {
 public:
  ParamSpace() = default;
  // Throws std::logic_error when a constraint names an unknown parameter or a value its parameter
  // does not accept: a declaration error, found by the first test that builds the space.
  ParamSpace(std::vector<ParamSpec> specs, std::vector<Constraint> constraints = {});

  const std::vector<ParamSpec>& specs() const { return specs_; }
  const std::vector<Constraint>& constraints() const { return constraints_; }
  const ParamSpec* find(const std::string& name) const;

  // Builds a ParamSet from defaults overridden by `overrides` (name -> text). Throws
  // std::invalid_argument naming the parameter, the value and what would be accepted.
  ParamSet resolve(const std::map<std::string, std::string>& overrides) const;

  // The message of the first constraint `set` violates, nullopt when it satisfies all of them.
  std::optional<std::string> violation(const ParamSet& set) const;
  // The same for one constraint.
  static std::optional<std::string> violation(const Constraint& constraint, const ParamSet& set);

  // Checks and canonicalises one value; throws std::invalid_argument like resolve().
  std::string canonical(const ParamSpec& spec, const std::string& value) const;

  // "1 .. 1048576 bytes (default 4096)" or "one of none, lz4, zstd (default none)".
  static std::string describe_range(const ParamSpec& spec);

 private:
  std::vector<ParamSpec> specs_;
  std::vector<Constraint> constraints_;
};

}  // namespace commtune::kernels
