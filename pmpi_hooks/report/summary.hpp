// summary.txt: the merged run for a human, in the tradition of mpiP's report (header, time per
// rank, top call sites, message sizes, imbalance, wait states, requests, regions, communication
// matrix), readable on its own; and the few lines of the banner printed at the end of a run.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "report/merge.hpp"

namespace commtune::report {

std::string summary_text(const MergedRun& run, const std::vector<std::string>& dump_errors,
                         const std::filesystem::path& profile_path);

// At most six lines, each starting with "commtune: ", the first in the form of profile/1's
// "commtune: N ranks, wall X s, Y% in MPI; profile: PATH".
std::string banner_text(const MergedRun& run, const std::filesystem::path& profile_path,
                        const std::filesystem::path& summary_path);

// Where a call site is, in at most `width` characters: "heat.c:120", or without debug info
// "symbol (libfoo.so+0x1a2b, no debug info)"; the region appended as " [name]".
std::string site_location(const CallSiteStats& site, std::size_t width);

}  // namespace commtune::report
