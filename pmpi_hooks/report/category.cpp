#include "report/category.hpp"

#include <algorithm>

#include "functions.hpp"  // generated from the installed mpi.h

namespace commtune::report {

std::string category_of_function(std::string_view function) {
  const auto& names = pmpi::kFunctionNames;
  const auto it = std::find(names.begin(), names.end(), function);
  if (it == names.end()) return "other";
  return std::string(pmpi::kFunctionCategories[std::size_t(it - names.begin())]);
}

}  // namespace commtune::report
