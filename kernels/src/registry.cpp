#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "commtune/kernels/builtin.hpp"
#include "commtune/kernels/kernel.hpp"

namespace commtune::kernels {

KernelRegistry& KernelRegistry::instance() {
  static KernelRegistry* registry = [] {
    auto* built = new KernelRegistry;
    const std::pair<const KernelDeclaration*, RunFunction> kernels[] = {
        {&nonblocking_declaration(), run_nonblocking}, {&batching_declaration(), run_batching},
        {&topology_declaration(), run_topology},       {&load_balance_declaration(), run_load_balance},
        {&overlap_declaration(), run_overlap},
    };
    for (const auto& [declaration, run] : kernels) built->add(std::make_unique<Kernel>(*declaration, run));
    return built;
  }();
  return *registry;
}

void KernelRegistry::add(std::unique_ptr<Kernel> kernel) { kernels_.push_back(std::move(kernel)); }

Kernel* KernelRegistry::find(const std::string& name) const {
  const auto it = std::find_if(kernels_.begin(), kernels_.end(),
                               [&](const auto& kernel) { return kernel->declaration().name == name; });
  return it == kernels_.end() ? nullptr : it->get();
}

std::vector<Kernel*> KernelRegistry::all() const {
  std::vector<Kernel*> result;
  for (const auto& kernel : kernels_) result.push_back(kernel.get());
  return result;
}

void check_declared_metrics(const KernelDeclaration& declaration, const KernelResult& result) {
  for (const auto& [name, value] : result.metrics) {
    if (declaration.find_metric(name)) continue;
    std::vector<std::string> declared;
    for (const MetricSpec& metric : declaration.metrics) declared.push_back(metric.name);
    throw std::logic_error(fmt::format("kernel '{}' reported the undeclared metric '{}'; its declaration lists: {}",
                                       declaration.name, name, fmt::join(declared, ", ")));
  }
}

}  // namespace commtune::kernels
