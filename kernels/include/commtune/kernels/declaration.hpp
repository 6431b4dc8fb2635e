// What a kernel declares about itself, once, for everyone who reads it: the runner, the
// `commtune kernels` listing and its JSON, the sweep-spec validator (tuner/) and the analyzer.
// No MPI here, so that tools which only read declarations (the spec validator, its fuzzer) do not
// need an MPI library.
#pragma once

#include <string>
#include <vector>

#include "commtune/kernels/params.hpp"

namespace commtune::kernels {

// A figure a kernel reports besides its iteration times.
struct MetricSpec {
  std::string name;               // snake_case; the unit in the name where it has one (_s, _us, _bytes_per_s)
  std::string unit;               // "s", "us", "bytes", "bytes/s", "messages/s", "count", "ratio", "percent", ...
  bool higher_is_better = false;  // for counts that only describe the configuration, false
  std::string description;        // one sentence
};

struct KernelDeclaration {
  std::string name;                 // "nonblocking", "batching", "topology", "load_balance", "overlap"
  std::string technique;            // one line, for listings
  std::string description;          // a paragraph: what is measured and how
  std::string baseline_variant;     // the value of the "variant" parameter that is the naive baseline
  ParamSpace params;                // must contain a Choice parameter named "variant"
  std::vector<MetricSpec> metrics;  // every metric a result may carry; results carry no other

  const MetricSpec* find_metric(const std::string& metric_name) const;
};

// The declarations of the built-in kernels, in listing order; each kernels/<name>/declaration.cpp
// defines one.
const std::vector<const KernelDeclaration*>& builtin_declarations();
const KernelDeclaration* find_declaration(const std::string& name);  // nullptr when unknown
std::vector<std::string> builtin_kernel_names();

const KernelDeclaration& nonblocking_declaration();   // kernels/nonblocking/declaration.cpp
const KernelDeclaration& batching_declaration();      // kernels/batching/declaration.cpp
const KernelDeclaration& topology_declaration();      // kernels/topology/declaration.cpp
const KernelDeclaration& load_balance_declaration();  // kernels/load_balance/declaration.cpp
const KernelDeclaration& overlap_declaration();       // kernels/overlap/declaration.cpp

}  // namespace commtune::kernels
