// Shared by the kernel MPI test drivers that count failed checks instead of using GoogleTest:
// check() prints and counts a failed check on this rank, init()/finish() are the MPI main
// boilerplate (finish() sums the failures over all ranks, prints the verdict on rank 0 and returns
// the exit code), and run_all_variants() runs every value of a kernel's "variant" parameter and
// compares each checksum with the baseline variant's.
#pragma once

#include <mpi.h>

#include <cstdio>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>

#include "commtune/kernels/kernel.hpp"

namespace commtune::kernels::test {

inline int failures = 0;  // failed checks on this rank
inline int rank = 0;
inline int ranks = 1;

inline void check(bool ok, const std::string& what) {
  if (!ok) {
    ++failures;
    std::fprintf(stderr, "rank %d: FAILED: %s\n", rank, what.c_str());
  }
}

// MPI_Init (or MPI_Init_thread when a thread level is asked for), then rank and ranks.
inline void init(int& argc, char**& argv, int thread_level = -1) {
  if (thread_level < 0) {
    MPI_Init(&argc, &argv);
  } else {
    int provided = 0;
    MPI_Init_thread(&argc, &argv, thread_level, &provided);
  }
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
}

// Sums the failed checks over all ranks, prints the verdict on rank 0, finalizes MPI; returns the
// process exit code (0 when no check failed anywhere).
inline int finish() {
  int total_failures = 0;
  MPI_Allreduce(&failures, &total_failures, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  if (rank == 0) {
    std::printf("%s (%d failed checks on %d ranks)\n", total_failures == 0 ? "PASSED" : "FAILED", total_failures,
                ranks);
  }
  MPI_Finalize();
  return total_failures == 0 ? 0 : 1;
}

// The kernel-specific checks of one variant's result; `label` lists the overrides ("k=v k=v "),
// and every check's text starts with label + variant.
using VariantChecks =
    std::function<void(const KernelResult& result, const std::string& label, const std::string& variant)>;

// Runs every choice of the kernel's "variant" parameter with `overrides` (3 iterations after 1
// warm-up), checks three iteration times, that every metric is declared, and the baseline variant's checksum for each,
// then `more_checks`.
inline void run_all_variants(Kernel& kernel, std::map<std::string, std::string> overrides,
                             const VariantChecks& more_checks) {
  RunOptions options;
  options.iterations = 3;
  options.warmup = 1;
  std::string baseline_checksum;
  std::string label;
  for (const auto& [k, v] : overrides) label += k + "=" + v + " ";
  for (const std::string& variant : kernel.declaration().params.find("variant")->choices) {
    overrides["variant"] = variant;
    const KernelResult result = kernel.run(kernel.declaration().params.resolve(overrides), options, MPI_COMM_WORLD);
    const std::string what = label + variant;
    check(result.iteration_times_s.size() == 3, what + ": three iteration times");
    try {
      check_declared_metrics(kernel.declaration(), result);
      check(true, what + ": every metric is declared");
    } catch (const std::logic_error& e) {
      check(false, what + ": " + e.what());
    }
    if (variant == kernel.declaration().baseline_variant) baseline_checksum = result.checksum;
    check(result.checksum == baseline_checksum,
          what + ": checksum " + result.checksum + " differs from baseline " + baseline_checksum);
    if (more_checks) more_checks(result, label, variant);
  }
}

// The registered kernel `name`; aborts all ranks when there is none.
inline Kernel& registered_kernel(const std::string& name) {
  Kernel* kernel = KernelRegistry::instance().find(name);
  if (!kernel) {
    std::fprintf(stderr, "%s kernel not registered\n", name.c_str());
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  return *kernel;
}

}  // namespace commtune::kernels::test
