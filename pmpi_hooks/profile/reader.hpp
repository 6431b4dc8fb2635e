// The one reader of profile.json (written by pmpi_hooks/report, profile_json.cpp): programs read a
// run's profile through it (the CLI does) and never parse the JSON themselves.
#pragma once

#include <filesystem>
#include <stdexcept>

#include "profile/model.hpp"

namespace commtune::profile {

// What is wrong, naming the file and, for a bad value, its key ("callsites[2].calls") and what
// would be accepted.
class ProfileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Reads DIR/profile.json (run_directory::profile_path). Throws ProfileError when the file is
// missing or unreadable, not JSON, of another schema than run_directory::kProfileSchema, or when
// a key is missing, mistyped or refers to a call site that is not there.
Profile read_profile(const std::filesystem::path& run_dir);

// The same, for a profile.json anywhere.
Profile read_profile_file(const std::filesystem::path& file);

}  // namespace commtune::profile
