#include "runtime/settings.hpp"

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string_view>

#include "commtune/pmpi/settings.hpp"
#include "functions.hpp"

extern char** environ;

namespace commtune::pmpi {
namespace {

bool accepted(std::string_view choices, std::string_view value) {
  while (!choices.empty()) {
    const auto bar = choices.find('|');
    if (choices.substr(0, bar) == value) return true;
    choices = bar == std::string_view::npos ? std::string_view{} : choices.substr(bar + 1);
  }
  return false;
}

// "all" or a comma list of the library's function categories (functions.hpp).
bool function_groups(std::string_view value) {
  if (value == "all") return true;
  while (true) {
    const std::size_t comma = value.find(',');
    bool known = false;
    for (std::string_view category : kFunctionCategories) known |= category == value.substr(0, comma);
    if (!known) return false;
    if (comma == std::string_view::npos) return true;
    value.remove_prefix(comma + 1);
  }
}

void warn(std::vector<std::string>& warnings, const Setting& setting, const std::string& value,
          std::string_view expected) {
  warnings.push_back(std::string(setting.env) + "=" + value + " is not " + std::string(expected) + "; using " +
                     (setting.default_value.empty() ? "none" : std::string(setting.default_value)));
}

}  // namespace

Settings read_settings(std::vector<std::string>& warnings) {
  Settings settings;
  for (const Setting& setting : kSettings) {
    const char* raw = std::getenv(std::string(setting.env).c_str());
    std::string value = raw ? raw : "";
    if (value.empty()) value = std::string(setting.default_value);
    if (!setting.apply) continue;
    if (!setting.accepted.empty() && !accepted(setting.accepted, value)) {
      warn(warnings, setting, value, "one of " + std::string(setting.accepted));
      value = std::string(setting.default_value);
    }
    if (const std::string_view expected = setting.apply(settings, value); !expected.empty()) {
      warn(warnings, setting, value, expected);
      setting.apply(settings, setting.default_value);
    }
  }
  if (!function_groups(settings.trace_functions)) {
    warnings.push_back("COMMTUNE_TRACE_FUNCTIONS=" + settings.trace_functions +
                       " is not all or a comma list of p2p, collective, rma, io, completion, lifecycle, other; "
                       "using all");
    settings.trace_functions = "all";
  }
  for (char** entry = environ; entry && *entry; ++entry) {
    const std::string_view variable(*entry);
    if (!variable.starts_with("COMMTUNE_")) continue;
    const std::string_view name = variable.substr(0, variable.find('='));
    bool known = false;
    for (const Setting& setting : kSettings) known |= setting.env == name;
    if (!known) {
      std::string list;
      for (const Setting& setting : kSettings) list += (list.empty() ? "" : ", ") + std::string(setting.env);
      warnings.push_back("unknown environment variable " + std::string(name) + " is ignored (known: " + list + ")");
    }
  }
  return settings;
}

}  // namespace commtune::pmpi
