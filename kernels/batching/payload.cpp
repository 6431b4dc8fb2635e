#include "commtune/kernels/batching/payload.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "commtune/kernels/measure.hpp"

namespace commtune::kernels::batching {
namespace {

std::vector<std::byte> smooth_doubles(std::size_t bytes, int rank) {
  std::vector<double> values((bytes + 7) / 8);
  const double phase = 0.37 * rank;
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double x = 1e-4 * double(i);
    // A smooth field sampled densely: neighbouring values share sign, exponent and leading mantissa.
    values[i] = 300.0 + 25.0 * std::sin(x + phase) + 4.0 * std::cos(7.3 * x - phase);
  }
  std::vector<std::byte> out(bytes);
  if (bytes != 0) std::memcpy(out.data(), values.data(), bytes);
  return out;
}

std::vector<std::byte> repetitive_ids(std::size_t bytes, int rank) {
  // Sorted neighbour/cell ids as an unstructured-mesh code sends them: runs of one id, ids drawn from
  // a window that advances slowly, stored as int64.
  std::vector<std::int64_t> ids((bytes + 7) / 8);
  std::uint64_t state = 0x1d5u + std::uint64_t(rank);
  std::int64_t base = 1'000'000 + 50'000 * std::int64_t(rank);
  std::size_t i = 0;
  while (i < ids.size()) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    const std::size_t run = 1 + (state >> 60);  // 1..16
    const std::int64_t id = base + std::int64_t((state >> 33) % 512);
    for (std::size_t k = 0; k < run && i < ids.size(); ++k) ids[i++] = id;
    base += std::int64_t((state >> 20) % 3);
  }
  std::vector<std::byte> out(bytes);
  if (bytes != 0) std::memcpy(out.data(), ids.data(), bytes);
  return out;
}

}  // namespace

std::vector<std::byte> load_sample_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::invalid_argument(fmt::format("data_file '{}' cannot be opened", path));
  std::vector<std::byte> sample;
  std::transform(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>(), std::back_inserter(sample),
                 [](char c) { return std::byte(static_cast<unsigned char>(c)); });
  if (sample.empty()) throw std::invalid_argument(fmt::format("data_file '{}' is empty", path));
  return sample;
}

std::vector<std::byte> make_payload(const std::string& kind, std::size_t bytes, int rank,
                                    const std::vector<std::byte>& sample) {
  if (kind == "smooth") return smooth_doubles(bytes, rank);
  if (kind == "ids") return repetitive_ids(bytes, rank);
  std::vector<std::byte> out(bytes);
  if (kind == "file") {
    if (sample.empty()) throw std::invalid_argument("payload kind 'file' needs a non-empty sample");
    // The sample repeated, each rank starting elsewhere in it.
    const std::size_t start = (std::size_t(rank) * 7919) % sample.size();
    for (std::size_t i = 0; i < bytes; ++i) out[i] = sample[(start + i) % sample.size()];
  } else if (kind == "random") {
    fill_pattern(out.data(), bytes, 0x5eedULL + std::uint64_t(rank));
  } else {
    throw std::invalid_argument(fmt::format("payload kind '{}' is unknown: accepted random, smooth, ids, file", kind));
  }
  return out;
}

}  // namespace commtune::kernels::batching
