// The results database's sweeps on one hardware fingerprint, as charts of median time (with its
// 95 % interval) against one parameter, and the choices the sweeps made: shared by the run report
// (`--db`) and the sweep report.
#pragma once

#include <string>

#include "commtune/tuner/results_db.hpp"
#include "document.hpp"

namespace commtune::reports {

// Adds the sweep charts and tables of `hardware_id` to `document`; says so when it has none.
// `chart_prefix` keeps chart names unique within the page.
void add_sweep_results(Document& document, const tuner::ResultsDb& database, const std::string& hardware_id,
                       const std::string& chart_prefix);

}  // namespace commtune::reports
