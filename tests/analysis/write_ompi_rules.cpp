// Writes an Open MPI rules file with commtune's writer for the acceptance test:
//   analysis_write_ompi_rules FILE COLLECTIVE COMM_SIZE FROM_BYTES:ALGORITHM...
// e.g. `rules.conf allreduce 4 0:1 4096:4`; prints the file's text.
#include <cstdio>
#include <iostream>
#include <string>

#include "commtune/analysis/ompi_rules.hpp"

int main(int argc, char** argv) {
  using namespace commtune::analysis;
  if (argc < 5) {
    std::cerr << "usage: " << argv[0] << " FILE COLLECTIVE COMM_SIZE FROM_BYTES:ALGORITHM...\n";
    return 2;
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
