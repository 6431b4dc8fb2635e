#include "writing.hpp"

#include <fmt/core.h>

#include <fstream>

namespace commtune::reports {

namespace fs = std::filesystem;

namespace {

void write_file(const fs::path& file, const std::string& text) {
  const fs::path temporary = file.string() + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) throw ReportError(fmt::format("cannot write {}", file.string()));
  }
  std::error_code error;
  fs::rename(temporary, file, error);
  if (error) {
    fs::remove(temporary, error);
    throw ReportError(fmt::format("cannot write {}: {}", file.string(), error.message()));
  }
}

}  // namespace

Written write_pair(const Document& document, const fs::path& html, const fs::path& markdown,
                   std::vector<std::string> notes) {
  write_file(html, document.html());
  write_file(markdown, document.markdown());
  return Written{html, markdown, std::move(notes)};
}

}  // namespace commtune::reports
