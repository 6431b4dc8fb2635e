#include <algorithm>

#include "commtune/kernels/declaration.hpp"

namespace commtune::kernels {

const MetricSpec* KernelDeclaration::find_metric(const std::string& metric_name) const {
  const auto it =
      std::find_if(metrics.begin(), metrics.end(), [&](const MetricSpec& m) { return m.name == metric_name; });
  return it == metrics.end() ? nullptr : &*it;
}

const std::vector<const KernelDeclaration*>& builtin_declarations() {
  static const std::vector<const KernelDeclaration*> all = {
      &nonblocking_declaration(),  &batching_declaration(), &topology_declaration(),
      &load_balance_declaration(), &overlap_declaration(),
  };
  return all;
}

const KernelDeclaration* find_declaration(const std::string& name) {
  for (const KernelDeclaration* declaration : builtin_declarations()) {
    if (declaration->name == name) return declaration;
  }
  return nullptr;
}

std::vector<std::string> builtin_kernel_names() {
  std::vector<std::string> names;
  for (const KernelDeclaration* declaration : builtin_declarations()) names.push_back(declaration->name);
  return names;
}

}  // namespace commtune::kernels
