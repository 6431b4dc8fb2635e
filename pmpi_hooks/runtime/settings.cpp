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

// A non-negative integer within [low, high]; otherwise a warning naming the variable and the default.
std::uint64_t bounded_integer(const Setting& setting, const std::string& value, std::uint64_t low, std::uint64_t high,
                              std::vector<std::string>& warnings) {
  char* end = nullptr;
  const unsigned long long parsed = std::strtoull(value.c_str(), &end, 10);
  const bool digits = !value.empty() && value.find_first_not_of("0123456789") == std::string::npos;
  if (digits && end && *end == 0 && parsed >= low && parsed <= high) return parsed;
  warnings.push_back(std::string(setting.env) + "=" + value + " is not an integer in " + std::to_string(low) + ".." +
                     std::to_string(high) + "; using " + std::string(setting.default_value));
  return std::strtoull(std::string(setting.default_value).c_str(), nullptr, 10);
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
    if (setting.env == "COMMTUNE_OUTPUT") settings.output = value;
    if (setting.env == "COMMTUNE_MODE") settings.profile = value == "profile";
    if (setting.env == "COMMTUNE_CLOCK") settings.clock = value;
    if (setting.env == "COMMTUNE_QUIET") settings.quiet = value == "1";
    if (setting.env == "COMMTUNE_CALLSITE_DEPTH") settings.callsite_depth = std::atoi(value.c_str());
    if (setting.env == "COMMTUNE_COMMAND") settings.command = value;
    if (setting.env == "COMMTUNE_PAPI") settings.papi = value;
    if (setting.env == "COMMTUNE_COMPRESS_SAMPLE")
      settings.compress_sample_every = bounded_integer(setting, value, 0, 1u << 30, warnings);
    if (setting.env == "COMMTUNE_COMPRESS_MIN_BYTES")
      settings.compress_min_bytes = bounded_integer(setting, value, 1, std::uint64_t(1) << 40, warnings);
    if (setting.env == "COMMTUNE_COMPRESS_SAMPLE_BYTES")
      settings.compress_sample_bytes = bounded_integer(setting, value, 1024, 16u << 20, warnings);
  }
  // Variables the CLI itself reads are not the library's, but are not mistakes either.
  constexpr std::string_view kCliOnly[] = {"COMMTUNE_PRELOAD"};
  for (char** entry = environ; entry && *entry; ++entry) {
    const std::string_view variable(*entry);
    if (!variable.starts_with("COMMTUNE_")) continue;
    const std::string_view name = variable.substr(0, variable.find('='));
    bool known = false;
    for (const Setting& setting : kSettings) known |= setting.env == name;
    for (std::string_view cli : kCliOnly) known |= cli == name;
    if (!known) {
      std::string list;
      for (const Setting& setting : kSettings) list += (list.empty() ? "" : ", ") + std::string(setting.env);
      warnings.push_back("unknown environment variable " + std::string(name) + " is ignored (known: " + list + ")");
    }
  }
  return settings;
}

}  // namespace commtune::pmpi
