// The two JSON documents about kernels, written only here: the list of kernel declarations
// (`commtune kernels --json`) and the result of one run (commtune-kernel-run). Both carry their
// schema name and version; docs/tuner.md describes their fields.
#pragma once

#include <string>
#include <vector>

#include "commtune/kernels/declaration.hpp"
#include "commtune/kernels/kernel.hpp"

namespace commtune::kernels {

inline constexpr const char* kKernelListSchema = "commtune.kernel_list/1";

// Every declaration: parameters (type, default, unit, range or choices), constraints as data
// (kind, condition, operands, reason and a one-line text) and metrics (unit, higher_is_better).
// Indented by two spaces.
std::string kernel_list_json(const std::vector<const KernelDeclaration*>& declarations);

// Where and how a result was obtained, as the runner knows it.
struct RunContext {
  int ranks = 1;
  RunOptions options;
  std::string host;
  std::string mpi_library;
  std::string mpi_thread_level;  // "single", "funneled", "serialized", "multiple"
};
// This process's context: the size of `comm`, the host name, the text of MPI_Get_library_version
// (trailing blanks removed) and `thread_level` (what MPI_Init_thread provided) by name.
RunContext current_run_context(MPI_Comm comm, int thread_level, const RunOptions& options = {});

// One run's result, schema kResultSchema. Throws std::logic_error (check_declared_metrics) when
// the result carries a metric its declaration does not list. Indented by two spaces.
std::string kernel_result_json(const KernelDeclaration& declaration, const ParamSet& params, const RunContext& context,
                               const KernelResult& result);

}  // namespace commtune::kernels
