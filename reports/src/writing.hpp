// Writing a report's two files: each through a temporary file renamed into place.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "commtune/reports/reports.hpp"
#include "document.hpp"

namespace commtune::reports {

// Throws ReportError naming the file that could not be written.
Written write_pair(const Document& document, const std::filesystem::path& html, const std::filesystem::path& markdown,
                   std::vector<std::string> notes);

}  // namespace commtune::reports
