#include "format.hpp"

#include <fmt/core.h>

#include <cmath>

namespace commtune::reports {

std::string seconds(double value_s) {
  const double magnitude = std::fabs(value_s);
  if (magnitude == 0) return "0 s";
  if (magnitude >= 1) return fmt::format("{:.3g} s", value_s);
  if (magnitude >= 1e-3) return fmt::format("{:.3g} ms", value_s * 1e3);
  if (magnitude >= 1e-6) return fmt::format("{:.3g} µs", value_s * 1e6);
  return fmt::format("{:.3g} ns", value_s * 1e9);
}

std::string bytes(double value_bytes) {
  constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  int unit = 0;
  double value = value_bytes;
  while (std::fabs(value) >= 1024 && unit < 5) {
    value /= 1024;
    ++unit;
  }
  return unit == 0 ? fmt::format("{:.0f} B", value) : fmt::format("{:.1f} {}", value, kUnits[unit]);
}

std::string percent(double fraction) { return fmt::format("{:.1f} %", 100 * fraction); }

std::string count(std::uint64_t value) {
  const std::string digits = std::to_string(value);
  std::string grouped;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) grouped += ',';
    grouped += digits[i];
  }
  return grouped;
}

std::string ratio(double value) { return fmt::format("{:.2f}", value); }

}  // namespace commtune::reports
