// `commtune preload`: prints the preload library's path, for users who set LD_PRELOAD themselves.
#include <fmt/core.h>

#include "commands.hpp"

namespace commtune::cli {

void add_preload_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("preload",
                                     "Print the absolute path of the preload library, for setting LD_PRELOAD by hand:\n"
                                     "  mpirun -x LD_PRELOAD=$(commtune preload) -x COMMTUNE_OUTPUT=DIR ./app");
  cmd->callback([] {
    const auto library = find_preload_library();
    if (!library) {
      fmt::print(stderr, "commtune: the preload library was not found next to {} (set COMMTUNE_PRELOAD)\n",
                 executable_dir().string());
      throw ExitCode{1};
    }
    fmt::print("{}\n", library->string());
  });
}

}  // namespace commtune::cli
