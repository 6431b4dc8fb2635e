// The category of an MPI function from its name, for dumps whose sites do not carry one: looked up
// in kFunctionCategories, the table the wrapper generator writes (pmpi_hooks/generator/mpiwrap.py,
// `category()`), so that the report never decides a category of its own.
#pragma once

#include <string>
#include <string_view>

namespace commtune::report {

// "other" for a function this build's MPI does not declare.
std::string category_of_function(std::string_view function);

}  // namespace commtune::report
