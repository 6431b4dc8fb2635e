#include "report/format.hpp"

#include <fmt/format.h>

#include <array>
#include <cmath>

namespace commtune::report {

std::string ranks_text(const std::vector<int>& ranks) {
  std::string text = ranks.size() == 1 ? "rank " : "ranks ";
  for (std::size_t i = 0; i < ranks.size();) {
    std::size_t last = i;
    while (last + 1 < ranks.size() && ranks[last + 1] == ranks[last] + 1) ++last;
    if (i > 0) text += ",";
    text += last == i ? fmt::format("{}", ranks[i]) : fmt::format("{}-{}", ranks[i], ranks[last]);
    i = last + 1;
  }
  return text;
}

std::string human_bytes(double bytes) {
  constexpr std::array<const char*, 6> kUnits = {"", "K", "M", "G", "T", "P"};
  std::size_t unit = 0;
  while (bytes >= 1024 && unit + 1 < kUnits.size()) {
    bytes /= 1024;
    ++unit;
  }
  if (unit == 0) return fmt::format("{:.0f}", bytes);
  // 1023.97K would print as "1024K": say 1.0M instead.
  if (bytes >= 1023.5 && unit + 1 < kUnits.size()) return fmt::format("1.0{}", kUnits[unit + 1]);
  return bytes < 9.95 ? fmt::format("{:.1f}{}", bytes, kUnits[unit]) : fmt::format("{:.0f}{}", bytes, kUnits[unit]);
}

std::string human_seconds(double seconds) {
  if (seconds == 0) return "0";
  if (seconds >= 1000) return fmt::format("{:.0f} s", seconds);
  if (seconds >= 1) return fmt::format("{:.4g} s", seconds);
  if (seconds >= 1e-3) return fmt::format("{:.4g} ms", seconds * 1e3);
  if (seconds >= 1e-6) return fmt::format("{:.4g} us", seconds * 1e6);
  return fmt::format("{:.0f} ns", seconds * 1e9);
}

std::string percent(double part, double whole) {
  if (whole <= 0) return "-";
  return fmt::format("{:.1f}%", 100.0 * part / whole);
}

}  // namespace commtune::report
