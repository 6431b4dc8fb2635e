#include <unistd.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "build_info.hpp"
#include "commands.hpp"

namespace commtune::cli {

namespace fs = std::filesystem;

fs::path executable_dir() {
  std::error_code error;
  fs::path self = fs::read_symlink("/proc/self/exe", error);
  return error ? fs::current_path() : self.parent_path();
}

std::optional<fs::path> find_preload_library() {
  if (const char* forced = std::getenv("COMMTUNE_PRELOAD"); forced && *forced) {
    return fs::absolute(forced);
  }
  const fs::path bin = executable_dir();
  const std::array<fs::path, 2> candidates = {
      bin / build::kBuildTreeLibDir / build::kPreloadName,
      bin / build::kInstallLibDirFromBin / build::kPreloadName,
  };
  for (const fs::path& candidate : candidates) {
    std::error_code error;
    if (fs::is_regular_file(candidate, error)) return fs::weakly_canonical(candidate);
  }
  return std::nullopt;
}

}  // namespace commtune::cli
