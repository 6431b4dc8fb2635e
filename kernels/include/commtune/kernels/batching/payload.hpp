// Payloads the batching kernel, its tests and benchmarks send: deterministic in (rank, byte index),
// so a receiver can regenerate what a sender produced and every variant delivers the same bytes.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace commtune::kernels::batching {

// "random": incompressible bytes; "smooth": a smooth field of doubles; "ids": sorted int64 ids with
// runs (as mesh codes send neighbour lists); "file": `sample` repeated, each rank starting elsewhere.
std::vector<std::byte> make_payload(const std::string& kind, std::size_t bytes, int rank,
                                    const std::vector<std::byte>& sample = {});

// Reads a whole file; throws std::invalid_argument naming the path when it cannot or it is empty.
std::vector<std::byte> load_sample_file(const std::string& path);

}  // namespace commtune::kernels::batching
