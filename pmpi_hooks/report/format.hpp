// Short human-readable renderings shared by summary.txt, the banner and partial_reason.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace commtune::report {

// "rank 3", "ranks 0-2,5" (ranks sorted, distinct).
std::string ranks_text(const std::vector<int>& ranks);

// Binary units, at most 5 characters: "0", "512", "1.5K", "12M", "3.0G" (K = 1024 bytes).
std::string human_bytes(double bytes);

// Four significant digits with a unit: "0", "812 ns", "12.35 us", "1.5 ms", "2.346 s".
std::string human_seconds(double seconds);

// "12.3%" of part in whole; "-" when whole is 0.
std::string percent(double part, double whole);

}  // namespace commtune::report
