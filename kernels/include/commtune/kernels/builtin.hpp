// The run functions of the built-in kernels, one per technique; each kernels/<name>/benchmark.cpp
// defines one. KernelRegistry::instance() pairs them with the declarations (declaration.hpp).
#pragma once

#include "commtune/kernels/kernel.hpp"

namespace commtune::kernels {

KernelResult run_nonblocking(const ParamSet& params, const RunOptions& options, MPI_Comm comm);
KernelResult run_batching(const ParamSet& params, const RunOptions& options, MPI_Comm comm);
KernelResult run_topology(const ParamSet& params, const RunOptions& options, MPI_Comm comm);
KernelResult run_load_balance(const ParamSet& params, const RunOptions& options, MPI_Comm comm);
KernelResult run_overlap(const ParamSet& params, const RunOptions& options, MPI_Comm comm);

}  // namespace commtune::kernels
