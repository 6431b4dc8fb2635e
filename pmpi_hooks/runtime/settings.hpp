// The library's settings, read from COMMTUNE_* environment variables (the table in
// include/commtune/pmpi/settings.hpp lists them and fills Settings) and checked: an unknown
// variable or value is reported and the default used, never an error that stops the application.
#pragma once

#include <string>
#include <vector>

#include "commtune/pmpi/settings.hpp"

namespace commtune::pmpi {

// Reads the environment; problems go to `warnings`, one sentence each naming the variable.
Settings read_settings(std::vector<std::string>& warnings);

}  // namespace commtune::pmpi
