// The category of an MPI function from its name, for dumps whose sites do not carry one: the
// categories of docs/profile.md (p2p, collective, rma, io, completion, lifecycle, other).
#pragma once

#include <string>
#include <string_view>

namespace commtune::report {

std::string category_of_function(std::string_view function);

}  // namespace commtune::report
