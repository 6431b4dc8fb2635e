// A recommendation's reference to a profile call site (its innermost frame as file:line, or
// module+offset without debug information). Shared by the load-balance, topology and
// runtime-settings rules.
#pragma once

#include <fmt/format.h>

#include "commtune/analysis/recommendations.hpp"
#include "profile/model.hpp"

namespace commtune::analysis {

inline std::string site_location(const profile::CallSite& site) {
  if (site.frames.empty()) return "";
  const profile::Frame& frame = site.location();
  if (frame.debug_info && !frame.file.empty()) return fmt::format("{}:{}", frame.file, frame.line);
  return fmt::format("{}+0x{:x}", frame.module, frame.offset);
}

// time_s: the most one rank spent at the site.
inline SiteReference site_reference(const profile::CallSite& site) {
  return {.callsite_id = site.id,
          .function = site.function,
          .location = site_location(site),
          .time_s = site.time_per_rank.max};
}

}  // namespace commtune::analysis
