// `commtune run`'s DIR/hardware.json: the run's hardware fingerprint, computed as the tuner computes
// it for a sweep's launches, so that a profile can be matched with the results database's
// points for the hardware it ran on.
#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "commands.hpp"
#include "commtune/pmpi/run_directory.hpp"
#include "commtune/tuner/fingerprint.hpp"
#include "profile/reader.hpp"

namespace commtune::cli {

namespace fs = std::filesystem;

namespace {

// Through a temporary file and a rename, as the report writes profile.json: a reader never sees
// half a file.
bool write_atomically(const fs::path& target, const std::string& text, std::string& error) {
  const fs::path temporary = fs::path(target).concat(fmt::format(".tmp.{}", getpid()));
  std::FILE* out = std::fopen(temporary.c_str(), "w");
  if (out == nullptr) {
    error = fmt::format("cannot write {}: {}", temporary.string(), std::strerror(errno));
    return false;
  }
  const bool written = std::fwrite(text.data(), 1, text.size(), out) == text.size();
  if (std::fclose(out) != 0 || !written) {
    error = fmt::format("cannot write {}: {}", temporary.string(), std::strerror(errno));
    std::remove(temporary.c_str());
    return false;
  }
  std::error_code code;
  fs::rename(temporary, target, code);
  if (code) {
    error = fmt::format("cannot rename {} to {}: {}", temporary.string(), target.string(), code.message());
    fs::remove(temporary, code);
    return false;
  }
  return true;
}

}  // namespace

std::optional<std::string> record_hardware(const fs::path& run_dir, const std::vector<std::string>& launcher_args,
                                           bool quiet) {
  const fs::path target = run_directory::hardware_path(run_dir);
  try {
    const profile::Profile profile = profile::read_profile(run_dir);
    tuner::HardwareFingerprint fingerprint;
    fingerprint.topology = tuner::detect_topology();
    fingerprint.mpi = tuner::parse_mpi_library(profile.mpi_library);
    fingerprint.launch = tuner::collect_launch_settings(tuner::current_environment(), launcher_args);
    // From the ranks that reported: a partial profile may miss some, whose hosts are unknown.
    fingerprint.launch.nodes = std::max(profile.node_count(), 1);
    fingerprint.launch.ranks_per_node = std::max(profile.max_ranks_per_node(), 1);
    std::string error;
    if (write_atomically(target, fingerprint.to_json().dump(1) + "\n", error)) {
      // After a complete profile's banner; a partial profile is said in one line, which stays one.
      if (!quiet && profile.complete) {
        fmt::print(stderr, "commtune: hardware {}: {}\n", fingerprint.id(), target.string());
      }
      return fingerprint.id();
    }
    fmt::print(stderr, "commtune run: warning: no hardware fingerprint: {}\n", error);
  } catch (const std::exception& problem) {  // the profile reader's or hwloc's
    fmt::print(stderr, "commtune run: warning: no hardware fingerprint in {}: {}\n", target.string(), problem.what());
  }
  // An earlier run's file must not pass for this run's.
  std::error_code ignored;
  fs::remove(target, ignored);
  return std::nullopt;
}

}  // namespace commtune::cli
