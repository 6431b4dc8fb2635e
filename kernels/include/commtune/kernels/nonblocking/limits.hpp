// Limits of the "nonblocking" kernel shared by its declaration (a constraint) and its benchmark.
#pragma once

#include <cstdint>

namespace commtune::kernels::nonblocking {

inline constexpr std::int64_t kMaxBytesPerRank = std::int64_t{1} << 30;  // send + receive buffers per rank

}  // namespace commtune::kernels::nonblocking
