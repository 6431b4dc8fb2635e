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

// A number >= `minimum`, or the default with a warning naming the variable.
double number(const Setting& setting, const std::string& value, double minimum, std::vector<std::string>& warnings) {
  char* end = nullptr;
  const double parsed = std::strtod(value.c_str(), &end);
  if (!value.empty() && end && *end == 0 && parsed >= minimum) return parsed;
  warnings.push_back(std::string(setting.env) + "=" + value + " is not a number >= " + std::to_string(minimum) +
                     "; using " + std::string(setting.default_value));
  return std::strtod(std::string(setting.default_value).c_str(), nullptr);
}

bool is_category(std::string_view name) {
  for (std::string_view category : kFunctionCategories) {
    if (category == name) return true;
  }
  return false;
}

// "all" or a comma list of the generator's function categories.
std::string function_groups(const Setting& setting, const std::string& value, std::vector<std::string>& warnings) {
  bool valid = value == "all";
  for (std::string_view rest = value; !valid && !rest.empty();) {
    const std::size_t comma = rest.find(',');
    if (!is_category(rest.substr(0, comma))) break;
    if (comma == std::string_view::npos) valid = true;
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
  }
  if (valid) return value;
  warnings.push_back(
      std::string(setting.env) + "=" + value +
      " is not all or a comma list of p2p, collective, rma, io, completion, lifecycle, other; using all");
  return "all";
}

// START:END seconds after MPI_Init, either side empty.
void window(const Setting& setting, const std::string& value, Settings& settings, std::vector<std::string>& warnings) {
  if (value.empty()) return;
  const std::size_t colon = value.find(':');
  const std::string start = value.substr(0, colon), end = colon == std::string::npos ? "" : value.substr(colon + 1);
  char* start_end = nullptr;
  char* end_end = nullptr;
  const double start_s = start.empty() ? 0 : std::strtod(start.c_str(), &start_end);
  const double end_s = end.empty() ? -1 : std::strtod(end.c_str(), &end_end);
  const bool valid = colon != std::string::npos && (start.empty() || *start_end == 0) &&
                     (end.empty() || *end_end == 0) && start_s >= 0 && (end.empty() || end_s > start_s);
  if (!valid) {
    warnings.push_back(
        std::string(setting.env) + "=" + value +
        " is not START:END seconds after MPI_Init (END > START, either may be empty); tracing the whole run");
    return;
  }
  settings.trace_window_start_s = start_s;
  settings.trace_window_end_s = end_s;
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
    if (setting.env == "COMMTUNE_MODE") settings.profile = value == "profile" || value == "trace";
    if (setting.env == "COMMTUNE_MODE") settings.trace = value == "trace";
    if (setting.env == "COMMTUNE_TRACE_BUDGET") settings.trace_budget_mib = number(setting, value, 0.0625, warnings);
    if (setting.env == "COMMTUNE_TRACE_FLUSH") settings.trace_flush_s = number(setting, value, 0.001, warnings);
    if (setting.env == "COMMTUNE_TRACE_FUNCTIONS") settings.trace_functions = function_groups(setting, value, warnings);
    if (setting.env == "COMMTUNE_TRACE_WINDOW") window(setting, value, settings, warnings);
    if (setting.env == "COMMTUNE_CLOCK") settings.clock = value;
    if (setting.env == "COMMTUNE_QUIET") settings.quiet = value == "1";
    if (setting.env == "COMMTUNE_CALLSITE_DEPTH") settings.callsite_depth = std::atoi(value.c_str());
    if (setting.env == "COMMTUNE_COMMAND") settings.command = value;
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
