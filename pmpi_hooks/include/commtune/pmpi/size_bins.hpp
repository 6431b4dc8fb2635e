// Message-size bins, the one definition: the preload library counts messages into them, the rank
// dumps and profile.json carry them by number, the report names their bounds. Bin 0 holds empty
// messages, bin k >= 1 the sizes of bit width k, i.e. [2^(k-1), 2^k - 1], and the last bin
// everything from 2^(kLastSizeBin-1) bytes up. Allocation-free, for the fast path.
#pragma once

#include <bit>
#include <concepts>
#include <cstdint>
#include <optional>
#include <type_traits>

namespace commtune::pmpi {

inline constexpr int kSizeBins = 41;
inline constexpr int kLastSizeBin = kSizeBins - 1;

// A negative size (an erroneous count) counts as empty.
template <std::integral Bytes>
constexpr int size_bin(Bytes bytes) noexcept {
  if constexpr (std::is_signed_v<Bytes>) {
    if (bytes <= 0) return 0;
  }
  const int width = std::bit_width(std::uint64_t(bytes));
  return width < kLastSizeBin ? width : kLastSizeBin;
}

constexpr std::uint64_t size_bin_min_bytes(int bin) noexcept { return bin <= 0 ? 0 : std::uint64_t{1} << (bin - 1); }

// The largest size in the bin; none for the last, open-ended bin.
constexpr std::optional<std::uint64_t> size_bin_max_bytes(int bin) noexcept {
  if (bin >= kLastSizeBin) return std::nullopt;
  return bin <= 0 ? 0 : (std::uint64_t{1} << bin) - 1;
}

}  // namespace commtune::pmpi
