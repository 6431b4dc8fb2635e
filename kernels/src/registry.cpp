#include <algorithm>

#include "commtune/kernels/builtin.hpp"
#include "commtune/kernels/kernel.hpp"

namespace commtune::kernels {

KernelRegistry& KernelRegistry::instance() {
  static KernelRegistry* registry = [] {
    auto* built = new KernelRegistry;
    register_nonblocking(*built);
    register_batching(*built);
    register_topology(*built);
    register_load_balance(*built);
    register_overlap(*built);
    return built;
  }();
  return *registry;
}

void KernelRegistry::add(std::unique_ptr<Kernel> kernel) { kernels_.push_back(std::move(kernel)); }

Kernel* KernelRegistry::find(const std::string& name) const {
  const auto it = std::find_if(kernels_.begin(), kernels_.end(),
                               [&](const auto& kernel) { return kernel->info().name == name; });
  return it == kernels_.end() ? nullptr : it->get();
}

std::vector<Kernel*> KernelRegistry::all() const {
  std::vector<Kernel*> result;
  for (const auto& kernel : kernels_) result.push_back(kernel.get());
  return result;
}

}  // namespace commtune::kernels
