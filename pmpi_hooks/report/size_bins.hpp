// Message-size bins of the rank dumps: bin 0 holds empty messages, bin k >= 1 the sizes of bit
// width k, i.e. [2^(k-1), 2^k - 1], and the last bin everything from 2^(kLastSizeBin-1) up.
#pragma once

#include <bit>
#include <cstdint>
#include <optional>

namespace commtune::report {

inline constexpr int kLastSizeBin = 40;

inline int size_bin(std::uint64_t bytes) {
  const int width = std::bit_width(bytes);
  return width < kLastSizeBin ? width : kLastSizeBin;
}

inline std::uint64_t size_bin_min_bytes(int bin) { return bin == 0 ? 0 : std::uint64_t{1} << (bin - 1); }

// The largest size in the bin; none for the last, open-ended bin.
inline std::optional<std::uint64_t> size_bin_max_bytes(int bin) {
  if (bin >= kLastSizeBin) return std::nullopt;
  return bin == 0 ? 0 : (std::uint64_t{1} << bin) - 1;
}

}  // namespace commtune::report
