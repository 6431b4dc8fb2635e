#include <fmt/core.h>

#include "build_info.hpp"
#include "commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"commtune: finds out why an MPI program communicates slowly, and what to change."};
  app.set_version_flag("--version", fmt::format("commtune {} (built against {})", commtune::build::kVersion,
                                                commtune::build::kMpiFlavour));
  app.require_subcommand(1);
  app.footer(
      "Every option can also be set with the COMMTUNE_... environment variable named in its help.\n"
      "Documentation: docs/usage.md");
  commtune::cli::add_run_command(app);
  commtune::cli::add_preload_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const commtune::cli::ExitCode& e) {
    return e.code;
  }
  return 0;
}
