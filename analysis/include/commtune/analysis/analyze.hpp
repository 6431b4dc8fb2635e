// `commtune analyze DIR`: the whole analysis of one run directory, from its profile (and trace) to
// DIR/recommendations.yaml and the files the recommendations refer to (DIR/analysis/).
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "commtune/analysis/recommendations.hpp"

namespace commtune::analysis {

struct AnalyzeOptions {
  std::filesystem::path run_dir;
  std::filesystem::path database;  // the results database (tuner::ResultsDb::default_path() when empty)
  // Which hardware the models describe: empty for the run's own (DIR/hardware.json), a fingerprint
  // id in the database, or a hardware description file (commtune.hardware_description/1).
  std::string hardware;
  std::string tool_version;
};

// Analyses the run and writes DIR/recommendations.yaml; returns what it wrote. Throws
// std::runtime_error naming the file for an unreadable profile, database or description.
Recommendations analyze(const AnalyzeOptions& options);

}  // namespace commtune::analysis
