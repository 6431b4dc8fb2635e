#include <fmt/core.h>

#include <string_view>

#include "build_info.hpp"
#include "commands.hpp"

namespace commtune::cli {
std::vector<std::string>& command_after_separator() {
  static std::vector<std::string> words;
  return words;
}
}  // namespace commtune::cli

int main(int argc, char** argv) {
  // Everything after "--" belongs to the program being run, options like "-np 2" included.
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--") {
      commtune::cli::command_after_separator().assign(argv + i + 1, argv + argc);
      argc = i;
      break;
    }
  }
  CLI::App app{"commtune: finds out why an MPI program communicates slowly, and what to change."};
  app.set_version_flag("--version", fmt::format("commtune {} (built against {})", commtune::build::kVersion,
                                                commtune::build::kMpiFlavour));
  app.require_subcommand(1);
  app.footer(
      "Options of `run` can also be given as the COMMTUNE_... environment variables named in its help.\n"
      "Documentation: docs/usage.md");
  commtune::cli::add_run_command(app);
  commtune::cli::add_preload_command(app);
  commtune::cli::add_kernels_commands(app);
  commtune::cli::add_report_command(app);
  commtune::cli::add_export_command(app);
  commtune::cli::add_results_command(app);
  commtune::cli::add_sweep_command(app);
  commtune::cli::add_replay_command(app);
  commtune::cli::add_analyze_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    // `commtune export` exits with 2 on usage errors, as its help says (CLI11's codes are its own).
    return code != 0 && app.got_subcommand("export") ? 2 : code;
  } catch (const commtune::cli::ExitCode& e) {
    return e.code;
  }
  return 0;
}
