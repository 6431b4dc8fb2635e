// `commtune report --sweep --db DB [--hardware ID]`: the sweep results of a database alone, one
// section per hardware fingerprint.
#include <fmt/core.h>

#include <set>

#include "commtune/reports/reports.hpp"
#include "commtune/tuner/fingerprint.hpp"
#include "commtune/tuner/results_db.hpp"
#include "document.hpp"
#include "format.hpp"
#include "sweep_sections.hpp"
#include "writing.hpp"

namespace commtune::reports {

namespace fs = std::filesystem;

namespace {

std::string describe_hardware(const tuner::ResultsDb& database, const std::string& id) {
  const auto stored = database.hardware(id);
  if (!stored) return "fingerprint not stored";
  try {
    const tuner::HardwareFingerprint hardware = tuner::HardwareFingerprint::from_json(*stored);
    return fmt::format("{}; {} cores; {} {}; {}; {} node(s) x {} rank(s)",
                       hardware.topology.cpu_model.empty() ? "CPU not recorded" : hardware.topology.cpu_model,
                       hardware.topology.cores, hardware.mpi.implementation, hardware.mpi.version,
                       hardware.launch.transport, hardware.launch.nodes, hardware.launch.ranks_per_node);
  } catch (const std::exception& problem) {
    return fmt::format("fingerprint not readable: {}", problem.what());
  }
}

}  // namespace

Written write_sweep_report(const fs::path& database_path, const std::string& hardware_id, const fs::path& out_base) {
  std::optional<tuner::ResultsDb> database;
  try {
    database.emplace(database_path, tuner::ResultsDb::Mode::ReadOnly);
  } catch (const std::exception& problem) {
    throw ReportError(problem.what());
  }
  std::set<std::string> fingerprints;
  for (const tuner::PointRow& point : database->list_points({.kernel = "", .hardware_id = hardware_id}))
    fingerprints.insert(point.key.hardware_id);
  Document document(fmt::format("commtune sweep results: {}", database_path.filename().string()));
  document.section("summary", "Summary");
  document.paragraph(fmt::format("Database {}: {} hardware fingerprint(s){}.", database_path.string(),
                                 fingerprints.size(), hardware_id.empty() ? "" : " (chosen: " + hardware_id + ")"));
  if (fingerprints.empty()) document.not_recorded("no sweep points");
  int index = 0;
  for (const std::string& id : fingerprints) {
    document.section(fmt::format("hardware-{}", index), fmt::format("Hardware {}", id));
    document.paragraph(describe_hardware(*database, id));
    add_sweep_results(document, *database, id, fmt::format("hw{}", index));
    ++index;
  }
  fs::path html = out_base, markdown = out_base;
  html += ".html";
  markdown += ".md";
  return write_pair(document, html, markdown, {});
}

}  // namespace commtune::reports
