// The one interface every communication-technique kernel implements, and the registry that lists
// them. A kernel is an MPI benchmark of one technique with its naive baseline as a `variant`
// parameter, so that a single parameter space describes both and checksums can be compared.
#pragma once

#include <mpi.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "commtune/kernels/params.hpp"

namespace commtune::kernels {

inline constexpr const char* kResultSchema = "commtune.kernel_result/1";

struct KernelInfo {
  std::string name;        // "nonblocking", "batching", "topology", "load_balance", "overlap"
  std::string technique;   // one line, for listings
  std::string description; // a paragraph: what is measured and how
  std::string baseline_variant;  // the value of the "variant" parameter that is the naive baseline
  ParamSpace params;       // must contain a Choice parameter named "variant"
};

struct RunOptions {
  int iterations = 20;  // timed iterations
  int warmup = 3;       // untimed iterations before them
};

// What one configuration measured. Filled on every rank; only rank 0's copy is printed.
struct KernelResult {
  std::vector<double> iteration_times_s;   // per iteration, max over ranks
  std::map<std::string, double> metrics;    // derived metrics: name -> value (units in the name)
  std::string checksum;                     // hex; equal across variants of one configuration
  std::map<std::string, std::string> notes; // facts worth reporting (e.g. "reordered": "no")
};

class Kernel {
 public:
  virtual ~Kernel() = default;
  virtual const KernelInfo& info() const = 0;
  // Collective over `comm`. Must leave no message pending and no request open.
  virtual KernelResult run(const ParamSet& params, const RunOptions& options, MPI_Comm comm) = 0;
};

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
