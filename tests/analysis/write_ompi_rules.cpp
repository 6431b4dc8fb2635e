// Writes an Open MPI rules file with commtune's writer for the acceptance test:
//   analysis_write_ompi_rules FILE COLLECTIVE COMM_SIZE FROM_BYTES:ALGORITHM...
// e.g. `rules.conf allreduce 4 0:1 4096:4`; or from a results database's collective points
// (configs/sweeps/collectives.yaml) measured on the machine of HARDWARE_ID:
//   analysis_write_ompi_rules FILE --database DB HARDWARE_ID
// Prints the file's text; exits 1 when it does not read back to the same rules.
#include <cstdio>
#include <iostream>
#include <string>

#include "commtune/analysis/ompi_rules.hpp"
#include "commtune/analysis/runtime_settings.hpp"
#include "commtune/tuner/results_db.hpp"

int main(int argc, char** argv) {
  using namespace commtune::analysis;
  if (argc < 5) {
    std::cerr << "usage: " << argv[0] << " FILE COLLECTIVE COMM_SIZE FROM_BYTES:ALGORITHM...\n";
    return 2;
  }
  if (std::string(argv[2]) == "--database") {
    const commtune::tuner::ResultsDb db(argv[3], commtune::tuner::ResultsDb::Mode::ReadOnly);
    const auto models = collective_algorithm_models(db, argv[4]);
    for (const auto& m : models)
      std::cerr << m.collective << " " << m.algorithm << " (" << m.algorithm_id << ") " << m.comm_size << " ranks "
                << m.message_bytes << " B: " << m.median_s * 1e6 << " us [" << m.ci_low_s * 1e6 << ", "
                << m.ci_high_s * 1e6 << "]\n";
    const OmpiRules rules = ompi_rules_from_measurements(models);
    write_ompi_rules(rules, argv[1]);
    std::cout << ompi_rules_text(rules);
    return read_ompi_rules(argv[1]) == rules ? 0 : 1;
  }
  const OmpiCollective* collective = find_ompi_collective(std::string(argv[2]));
  if (!collective) {
    std::cerr << "unknown collective " << argv[2] << "\n";
    return 2;
  }
  OmpiCommSizeRule size{.from_comm_size = std::stoi(argv[3]), .messages = {}};
  for (int i = 4; i < argc; ++i) {
    const std::string rule = argv[i];
    const auto colon = rule.find(':');
    size.messages.push_back({.from_bytes = std::stoull(rule.substr(0, colon)),
                             .algorithm = std::stoi(rule.substr(colon + 1)),
                             .fan_in_out = 0,
                             .segment_bytes = 0});
  }
  const OmpiRules rules{.collectives = {{.collective_id = collective->id, .comm_sizes = {size}}}};
  write_ompi_rules(rules, argv[1]);
  std::cout << ompi_rules_text(rules);
  return read_ompi_rules(argv[1]) == rules ? 0 : 1;
}
