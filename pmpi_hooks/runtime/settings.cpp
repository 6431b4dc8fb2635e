#include "runtime/settings.hpp"

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string_view>

#include "commtune/pmpi/settings.hpp"

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

}  // namespace

Settings read_settings(std::vector<std::string>& warnings) {
  Settings settings;
  for (const Setting& setting : kSettings) {
    const char* raw = std::getenv(std::string(setting.env).c_str());
    std::string value = raw ? raw : "";
    if (value.empty()) value = std::string(setting.default_value);
    if (!setting.accepted.empty() && !accepted(setting.accepted, value)) {
      warnings.push_back(std::string(setting.env) + "=" + value + " is not one of " + std::string(setting.accepted) +
                         "; using " + std::string(setting.default_value));
      value = std::string(setting.default_value);
    }
    if (setting.apply) setting.apply(settings, value);
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
