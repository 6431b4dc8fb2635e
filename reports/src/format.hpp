// How the reports write numbers: seconds, bytes, percentages and counts, one way everywhere.
#pragma once

#include <cstdint>
#include <string>

namespace commtune::reports {

std::string seconds(double value_s);     // "1.23 s", "4.5 ms", "12 µs"
std::string bytes(double value_bytes);   // "512 B", "1.5 KiB", "3.0 MiB"
std::string percent(double fraction);    // "62.0 %"
std::string count(std::uint64_t value);  // "1,234,567"
std::string ratio(double value);         // "0.83"

}  // namespace commtune::reports
