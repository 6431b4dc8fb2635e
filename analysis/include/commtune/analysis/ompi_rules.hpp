// Open MPI's coll/tuned dynamic rules file in the classic format, the only one Open MPI 4.1.0-4.1.7
// parse (coll_tuned_dynamic_rules_filename, with coll_tuned_use_dynamic_rules 1): its one writer
// and one parser. The file is a stream of integers with `#` comments and free line breaks:
//   NCOLLECTIVES
//   per collective:          COLLECTIVE_ID NCOMMSIZES
//   per communicator size:   COMMSIZE NMSGSIZES
//   per message size:        MSGSIZE ALGORITHM FANINOUT SEGSIZE
// Open MPI uses the last COMMSIZE <= the communicator's size (the first block when there is none:
// measured with Open MPI 4.1.4), then the last MSGSIZE <= the message size; ALGORITHM 0 leaves the
// choice to its built-in decision. The first MSGSIZE of every block
// must be 0, and a file that does not parse is dropped silently, so the writer refuses to write
// one the parser would reject. The writer's header comment names the schema
// (kOmpiRulesSchema); Open MPI skips it as a comment.
#pragma once

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace commtune::analysis {

inline constexpr const char* kOmpiRulesSchema = "commtune.ompi_coll_rules/1";

// A collective coll/tuned can take rules for: its id in the file, how Open MPI measures its message
// size, and its algorithms as Open MPI 4.1.4 numbers them (`ompi_info --param coll tuned --level 9`):
// algorithms[i] is algorithm number i + 1.
struct OmpiCollective {
  const char* name;  // "allreduce": also the MCA name, coll_tuned_<name>_algorithm
  int id;
  // true: MSGSIZE is datatype size x count x communicator size (allgather, alltoall, gather);
  // false: datatype size x count.
  bool total_over_ranks;
  std::vector<const char*> algorithms;
};

// Every collective of the format, once.
const std::vector<OmpiCollective>& ompi_collectives();
const OmpiCollective* find_ompi_collective(std::string_view name);  // nullptr when unknown
const OmpiCollective* find_ompi_collective(int id);

struct OmpiMessageRule {
  std::uint64_t from_bytes = 0;
  int algorithm = 0;  // 0: Open MPI's built-in decision
  int fan_in_out = 0;
  std::uint64_t segment_bytes = 0;
  bool operator==(const OmpiMessageRule&) const = default;
};

struct OmpiCommSizeRule {
  int from_comm_size = 1;
  std::vector<OmpiMessageRule> messages;  // by from_bytes, the first at 0
  bool operator==(const OmpiCommSizeRule&) const = default;
};

struct OmpiCollectiveRules {
  int collective_id = 0;
  std::vector<OmpiCommSizeRule> comm_sizes;  // by from_comm_size
  bool operator==(const OmpiCollectiveRules&) const = default;
};

struct OmpiRules {
  std::vector<OmpiCollectiveRules> collectives;
  bool operator==(const OmpiRules&) const = default;
};

// What is wrong with rules or a rules file, naming the file and line (parser) or the rule (writer).
class OmpiRulesError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws OmpiRulesError for what Open MPI would not accept or would read differently: an unknown
// collective or one listed twice, an algorithm it does not have, empty blocks, sizes not strictly
// increasing, a first message size other than 0.
void validate(const OmpiRules& rules);

// The file's text, with comments naming each collective and algorithm. Validates first.
std::string ompi_rules_text(const OmpiRules& rules);
void write_ompi_rules(const OmpiRules& rules, const std::filesystem::path& file);

// Parses the classic format; `source` names the text in errors ("FILE:LINE: ..."). Checks what
// validate() checks, and that nothing follows the last block.
OmpiRules parse_ompi_rules(std::string_view text, const std::string& source);
OmpiRules read_ompi_rules(const std::filesystem::path& file);

// The algorithm Open MPI takes from these rules for one call (0: its built-in decision, also when
// the rules have no block for the collective). `message_bytes` is measured as OmpiCollective::total_over_ranks says.
int ompi_rules_lookup(const OmpiRules& rules, int collective_id, int comm_size, std::uint64_t message_bytes);

}  // namespace commtune::analysis
