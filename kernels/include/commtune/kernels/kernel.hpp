// The one interface every communication-technique kernel implements, and the registry that lists
// them. A kernel is its declaration (declaration.hpp: parameters, constraints, metrics) plus a run
// function, an MPI benchmark of one technique with its naive baseline as a `variant` parameter, so
// that a single parameter space describes both and checksums can be compared.
#pragma once

#include <mpi.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "commtune/kernels/declaration.hpp"
#include "commtune/kernels/params.hpp"

namespace commtune::kernels {

inline constexpr const char* kResultSchema = "commtune.kernel_result/1";

struct RunOptions {
  int iterations = 20;  // timed iterations
  int warmup = 3;       // untimed iterations before them
};

// What one configuration measured. Filled on every rank; only rank 0's copy is printed.
struct KernelResult {
  std::vector<double> iteration_times_s;     // per iteration, max over ranks
  std::map<std::string, double> metrics;     // declared metrics only (KernelDeclaration::metrics)
  std::string checksum;                      // hex; equal across variants of one configuration
  std::map<std::string, std::string> notes;  // facts worth reporting (e.g. "reordered": "no")
};

// Collective over `comm`. Must leave no message pending and no request open.
using RunFunction = KernelResult (*)(const ParamSet& params, const RunOptions& options, MPI_Comm comm);

class Kernel {
 public:
  Kernel(const KernelDeclaration& declaration, RunFunction run) : declaration_(&declaration), run_(run) {}
  const KernelDeclaration& declaration() const { return *declaration_; }
  KernelResult run(const ParamSet& params, const RunOptions& options, MPI_Comm comm) const {
    return run_(params, options, comm);
  }

 private:
  const KernelDeclaration* declaration_;
  RunFunction run_;
};

// Throws std::logic_error naming the kernel, the metric and the declared ones when `result` carries
// a metric its declaration does not list: a programming error in the kernel.
void check_declared_metrics(const KernelDeclaration& declaration, const KernelResult& result);

class KernelRegistry {
 public:
  static KernelRegistry& instance();  // holds all built-in kernels
  void add(std::unique_ptr<Kernel> kernel);
  Kernel* find(const std::string& name) const;
  std::vector<Kernel*> all() const;

 private:
  std::vector<std::unique_ptr<Kernel>> kernels_;
};

}  // namespace commtune::kernels
