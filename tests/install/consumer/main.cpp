// Links the installed commtune::kernels and prints what the install test checks:
//   kernel <name>        one line per registered kernel
//   pmpi <path>          $<TARGET_FILE:commtune::pmpi> as the package exported it
//   package-mpi <name>   commtune_MPI from the package config
//   mpi <version>        the first line of MPI_Get_library_version (which MPI this links)
// Exits 1 if no kernel is registered, a kernel's info is incomplete, or the library is missing.
#include <mpi.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "commtune/kernels/kernel.hpp"

int main() {
  int failures = 0;
  const auto kernels = commtune::kernels::KernelRegistry::instance().all();
  for (const commtune::kernels::Kernel* kernel : kernels) {
    const auto& info = kernel->declaration();
    std::printf("kernel %s\n", info.name.c_str());
    if (info.name.empty() || info.baseline_variant.empty()) {
      std::fprintf(stderr, "consumer: a kernel with an empty name or baseline variant\n");
      ++failures;
    }
    if (commtune::kernels::KernelRegistry::instance().find(info.name) != kernel) {
      std::fprintf(stderr, "consumer: KernelRegistry::find(\"%s\") does not return it\n", info.name.c_str());
      ++failures;
    }
  }
  if (kernels.empty()) {
    std::fprintf(stderr, "consumer: KernelRegistry::instance().all() is empty\n");
    ++failures;
  }
  std::printf("pmpi %s\n", COMMTUNE_PMPI_FILE);
  std::error_code error;
  if (!std::filesystem::is_regular_file(COMMTUNE_PMPI_FILE, error)) {
    std::fprintf(stderr, "consumer: %s is not a file\n", COMMTUNE_PMPI_FILE);
    ++failures;
  }
  std::printf("package-mpi %s\n", COMMTUNE_PACKAGE_MPI);
  char version[MPI_MAX_LIBRARY_VERSION_STRING] = {};
  int length = 0;
  MPI_Get_library_version(version, &length);  // one of the calls allowed before MPI_Init
  std::string first_line(version, static_cast<std::size_t>(length));
  first_line = first_line.substr(0, first_line.find('\n'));
  std::printf("mpi %s\n", first_line.c_str());
  return failures == 0 ? 0 : 1;
}
