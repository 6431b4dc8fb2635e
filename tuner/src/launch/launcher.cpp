// Which launcher a command starts with, and the command rewritten to pass variables to the ranks.
#include "commtune/launch/launcher.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace commtune::launch {

namespace fs = std::filesystem;

std::string_view to_string(Launcher launcher) {
  switch (launcher) {
    case Launcher::None:
      return "none";
    case Launcher::OpenMpi:
      return "openmpi";
    case Launcher::Mpich:
      return "mpich";
    case Launcher::Slurm:
      return "slurm";
    case Launcher::Other:
      return "other";
  }
  return "other";
}

std::optional<fs::path> find_in_path(const std::string& name) {
  if (name.empty()) return std::nullopt;
  if (name.find('/') != std::string::npos) {
    return access(name.c_str(), X_OK) == 0 ? std::optional<fs::path>(name) : std::nullopt;
  }
  const char* path = std::getenv("PATH");
  std::string_view dirs = path ? path : "/usr/bin:/bin";
  while (!dirs.empty()) {
    const auto colon = dirs.find(':');
    const fs::path candidate = fs::path(dirs.substr(0, colon)) / name;
    std::error_code error;
    if (fs::is_regular_file(candidate, error) && access(candidate.c_str(), X_OK) == 0) return candidate;
    dirs = colon == std::string_view::npos ? std::string_view{} : dirs.substr(colon + 1);
  }
  return std::nullopt;
}

Launcher classify(const std::string& argv0) {
  const auto resolved = find_in_path(argv0);
  if (!resolved) return Launcher::None;
  std::error_code error;
  const std::string real = fs::canonical(*resolved, error).filename().string();
  const std::string given = fs::path(argv0).filename().string();
  if (given == "srun" || real == "srun") return Launcher::Slurm;
  if (real == "orterun" || real == "prterun" || real.find("openmpi") != std::string::npos) return Launcher::OpenMpi;
  if (real.find("hydra") != std::string::npos || real.find("mpich") != std::string::npos) return Launcher::Mpich;
  if (given == "mpirun" || given == "mpiexec" || given == "oshrun") return Launcher::Other;
  return Launcher::None;
}

std::string program_name(const std::vector<std::string>& command, Launcher launcher) {
  const std::size_t first = launcher == Launcher::None ? 0 : 1;
  for (std::size_t i = first; i < command.size(); ++i) {
    if (command[i].empty() || command[i][0] == '-') continue;
    if (find_in_path(command[i])) return fs::path(command[i]).filename().string();
  }
  return command.empty() ? "program" : fs::path(command.back()).filename().string();
}

LaunchCommand with_environment(std::vector<std::string> command, Launcher launcher,
                               const std::vector<EnvironmentVariable>& variables) {
  LaunchCommand result;
  std::vector<std::string> inserted;
  switch (launcher) {
    case Launcher::OpenMpi:
      for (const auto& [name, value] : variables) inserted.insert(inserted.end(), {"-x", name + "=" + value});
      break;
    case Launcher::Slurm: {
      std::string exported = "--export=ALL";
      for (const auto& [name, value] : variables) {
        // srun splits the list at every comma, quotes or not.
        if (value.find(',') != std::string::npos) {
          result.environment.push_back({name, value});
        } else {
          exported += "," + name + "=" + value;
        }
      }
      if (exported != "--export=ALL") inserted.push_back(exported);
      break;
    }
    case Launcher::Mpich:
      for (const auto& [name, value] : variables) inserted.insert(inserted.end(), {"-genv", name, value});
      break;
    case Launcher::None:
    case Launcher::Other:
      result.environment = variables;
      break;
  }
  if (!command.empty()) command.insert(command.begin() + 1, inserted.begin(), inserted.end());
  result.argv = std::move(command);
  return result;
}

}  // namespace commtune::launch
