// The built-in kernels, one per technique; each folder under kernels/ defines its function.
// KernelRegistry::instance() calls them all once.
#pragma once

#include "commtune/kernels/kernel.hpp"

namespace commtune::kernels {

void register_nonblocking(KernelRegistry& registry);   // kernels/nonblocking
void register_batching(KernelRegistry& registry);      // kernels/batching
void register_topology(KernelRegistry& registry);      // kernels/topology
void register_load_balance(KernelRegistry& registry);  // kernels/load_balance
void register_overlap(KernelRegistry& registry);       // kernels/overlap

}  // namespace commtune::kernels
