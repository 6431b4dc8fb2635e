// The sections of the run report, in page order (run_report.cpp calls them). Each takes the facts
// a reader returned (nullptr: not recorded) and adds its part to the document; none computes a
// judgement beyond the thresholds named in docs/report.md.
#pragma once

#include <string>
#include <vector>

#include "commtune/analysis/recommendations.hpp"
#include "commtune/tuner/fingerprint.hpp"
#include "document.hpp"
#include "profile/model.hpp"
#include "trace/model.hpp"

namespace commtune::reports {

void add_first_page(Document& document, const profile::Profile& profile,
                    const analysis::Recommendations* recommendations);
void add_run(Document& document, const profile::Profile& profile, const tuner::HardwareFingerprint* hardware);
void add_functions(Document& document, const profile::Profile& profile);
void add_callsites(Document& document, const profile::Profile& profile);
void add_message_sizes(Document& document, const profile::Profile& profile);
void add_matrix(Document& document, const profile::Profile& profile);
void add_imbalance(Document& document, const profile::Profile& profile);
void add_wait_states(Document& document, const profile::Profile& profile);
void add_requests(Document& document, const profile::Profile& profile);
void add_timeline(Document& document, const trace::Trace* trace);
void add_recommendations(Document& document, const analysis::Recommendations* recommendations);
void add_notes(Document& document, const profile::Profile& profile, const analysis::Recommendations* recommendations,
               const std::vector<std::string>& notes);

// Where a call site is: "file:line", "module+0xoffset" without debug information, or "(no stack)".
std::string site_location(const profile::CallSite& site);

// Above this a POP efficiency is acceptable (TUNING-FACTS: POP calls values above 0.8 acceptable).
inline constexpr double kEfficiencyThreshold = 0.8;
// The verdict's bands of communication time (fraction of wall time x ranks).
inline constexpr double kMpiBoundFraction = 0.5;
inline constexpr double kCommunicationSignificantFraction = 0.2;

}  // namespace commtune::reports
