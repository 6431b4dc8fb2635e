// profile.json (schema commtune.profile/2, described in docs/profile.md) from a merged run whose
// frames have been resolved.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "commtune/pmpi/run_directory.hpp"
#include "report/merge.hpp"

namespace commtune::report {

using run_directory::kProfileSchema;

// `dump_errors`: why dumps were left out; `finished_at`: when the report was made (ISO 8601).
nlohmann::ordered_json profile_json(const MergedRun& run, const std::vector<std::string>& dump_errors,
                                    const std::string& finished_at);

// UTC ISO 8601 ("2026-11-27T18:48:37Z") of a CLOCK_REALTIME time in nanoseconds.
std::string iso8601_utc(std::uint64_t unix_ns);

}  // namespace commtune::report
