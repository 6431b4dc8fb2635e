// Open MPI's coll/tuned rules file, classic format: the collectives table, validation, writer,
// parser and lookup (ompi_rules.hpp).
#include "commtune/analysis/ompi_rules.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <set>
#include <sstream>

namespace commtune::analysis {

const std::vector<OmpiCollective>& ompi_collectives() {
  // Ids from Open MPI's COLLTYPE enumeration; algorithm names as ompi_info 4.1.4 lists them.
  static const std::vector<OmpiCollective> kCollectives{
      {"allgather", 0, true, {"basic_linear", "bruck", "recursive_doubling", "ring", "neighbor_exchange", "two_proc"}},
      {"allgatherv", 1, false, {"default", "bruck", "ring", "neighbor_exchange", "two_proc"}},
      {"allreduce", 2, false, {"basic_linear", "nonoverlapping", "recursive_doubling", "ring", "segmented_ring"}},
      {"alltoall", 3, true, {"basic_linear", "pairwise", "modified_bruck", "linear_sync", "two_proc"}},
      {"alltoallv", 4, false, {"basic_linear", "pairwise"}},
      {"barrier", 6, false, {"linear", "double_ring", "recursive_doubling", "bruck", "two_proc", "tree"}},
      {"bcast",
       7,
       false,
       {"basic_linear", "chain", "pipeline", "split_binary_tree", "binary_tree", "binomial", "knomial",
        "scatter_allgather", "scatter_allgather_ring"}},
      {"gather", 9, true, {"basic_linear", "binomial", "linear_sync"}},
      {"reduce", 11, false, {"linear", "chain", "pipeline", "binary", "binomial", "in_order_binary", "rabenseifner"}},
      {"reduce_scatter", 12, false, {"non_overlapping", "recursive_halving", "ring", "butterfly"}},
      {"scatter", 15, false, {"basic_linear", "binomial", "linear_nb"}},
  };
  return kCollectives;
}

const OmpiCollective* find_ompi_collective(std::string_view name) {
  for (const auto& collective : ompi_collectives())
    if (name == collective.name) return &collective;
  return nullptr;
}

const OmpiCollective* find_ompi_collective(int id) {
  for (const auto& collective : ompi_collectives())
    if (id == collective.id) return &collective;
  return nullptr;
}

namespace {

// Checks one collective's block; `where` prefixes the message (a file position or the rule).
void validate_block(const OmpiCollectiveRules& block, const std::string& where) {
  const OmpiCollective* collective = find_ompi_collective(block.collective_id);
  if (!collective)
    throw OmpiRulesError(fmt::format("{}collective id {} is not one coll/tuned reads", where, block.collective_id));
  if (block.comm_sizes.empty())
    throw OmpiRulesError(fmt::format("{}{}: no communicator sizes", where, collective->name));
  int previous_size = 0;
  for (const auto& size : block.comm_sizes) {
    if (size.from_comm_size <= previous_size)
      throw OmpiRulesError(fmt::format("{}{}: communicator size {} after {}: sizes must increase and be >= 1", where,
                                       collective->name, size.from_comm_size, previous_size));
    previous_size = size.from_comm_size;
    if (size.messages.empty() || size.messages.front().from_bytes != 0)
      throw OmpiRulesError(fmt::format("{}{} at communicator size {}: the first message size must be 0", where,
                                       collective->name, size.from_comm_size));
    for (std::size_t i = 0; i < size.messages.size(); ++i) {
      const OmpiMessageRule& rule = size.messages[i];
      if (i > 0 && rule.from_bytes <= size.messages[i - 1].from_bytes)
        throw OmpiRulesError(fmt::format("{}{} at communicator size {}: message size {} after {}: sizes must increase",
                                         where, collective->name, size.from_comm_size, rule.from_bytes,
                                         size.messages[i - 1].from_bytes));
      if (rule.algorithm < 0 || rule.algorithm > int(collective->algorithms.size()))
        throw OmpiRulesError(fmt::format("{}{}: algorithm {} is not one of 0..{}", where, collective->name,
                                         rule.algorithm, collective->algorithms.size()));
      if (rule.fan_in_out < 0) throw OmpiRulesError(fmt::format("{}{}: negative fan-in/out", where, collective->name));
    }
  }
}

const char* algorithm_name(const OmpiCollective& collective, int algorithm) {
  return algorithm == 0 ? "Open MPI's built-in decision" : collective.algorithms[std::size_t(algorithm - 1)];
}

// Integers of the file with their line numbers, comments (# to the end of the line) left out.
class TokenStream {
 public:
  TokenStream(std::string_view text, std::string source) : text_(text), source_(std::move(source)) {}

  std::int64_t next(const char* what) {
    skip_blanks_and_comments();
    if (position_ >= text_.size()) fail(fmt::format("the file ends where {} was expected", what));
    const char* begin = text_.data() + position_;
    const char* end = text_.data() + text_.size();
    std::int64_t value = 0;
    auto [stop, error] = std::from_chars(begin, end, value);
    if (error != std::errc() || (stop < end && !is_separator(*stop))) {
      const std::size_t length = std::find_if(begin, end, [](char c) { return is_separator(c); }) - begin;
      fail(fmt::format("'{}' where {} was expected (a whole number)", std::string_view(begin, length), what));
    }
    position_ += std::size_t(stop - begin);
    return value;
  }

  bool at_end() {
    skip_blanks_and_comments();
    return position_ >= text_.size();
  }

  [[noreturn]] void fail(const std::string& what) const {
    throw OmpiRulesError(fmt::format("{}:{}: {}", source_, line_, what));
  }
  std::string where() const { return fmt::format("{}:{}: ", source_, line_); }

 private:
  static bool is_separator(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '#'; }
  void skip_blanks_and_comments() {
    while (position_ < text_.size()) {
      const char c = text_[position_];
      if (c == '\n') {
        ++line_;
        ++position_;
      } else if (c == ' ' || c == '\t' || c == '\r') {
        ++position_;
      } else if (c == '#') {
        while (position_ < text_.size() && text_[position_] != '\n') ++position_;
      } else {
        return;
      }
    }
  }

  std::string_view text_;
  std::string source_;
  std::size_t position_ = 0;
  int line_ = 1;
};

std::int64_t bounded(TokenStream& in, const char* what, std::int64_t low, std::int64_t high) {
  const std::int64_t value = in.next(what);
  if (value < low || value > high) in.fail(fmt::format("{} is {}; accepted: {}..{}", what, value, low, high));
  return value;
}

OmpiCollectiveRules parse_block(TokenStream& in) {
  OmpiCollectiveRules block;
  block.collective_id = int(bounded(in, "a collective id", 0, 1000));
  const std::string where = in.where();
  const auto sizes = bounded(in, "the number of communicator sizes", 1, 1 << 20);
  for (std::int64_t s = 0; s < sizes; ++s) {
    OmpiCommSizeRule size;
    size.from_comm_size = int(bounded(in, "a communicator size", 1, 1 << 30));
    const auto messages = bounded(in, "the number of message sizes", 1, 1 << 20);
    for (std::int64_t m = 0; m < messages; ++m) {
      OmpiMessageRule rule;
      rule.from_bytes = std::uint64_t(bounded(in, "a message size", 0, INT64_MAX));
      rule.algorithm = int(bounded(in, "an algorithm", 0, 1000));
      rule.fan_in_out = int(bounded(in, "a fan-in/out", 0, 1 << 20));
      rule.segment_bytes = std::uint64_t(bounded(in, "a segment size", 0, INT64_MAX));
      size.messages.push_back(rule);
    }
    block.comm_sizes.push_back(std::move(size));
  }
  validate_block(block, where);
  return block;
}

}  // namespace

void validate(const OmpiRules& rules) {
  if (rules.collectives.empty()) throw OmpiRulesError("no collective has rules");
  std::set<int> seen;
  for (const auto& block : rules.collectives) {
    validate_block(block, "");
    if (!seen.insert(block.collective_id).second)
      throw OmpiRulesError(fmt::format("collective id {} is listed twice", block.collective_id));
  }
}

std::string ompi_rules_text(const OmpiRules& rules) {
  validate(rules);
  std::string out = fmt::format(
      "# {}: Open MPI coll/tuned dynamic rules, classic format (Open MPI 4.1).\n"
      "# Use: --mca coll_tuned_use_dynamic_rules 1 --mca coll_tuned_dynamic_rules_filename THIS_FILE\n"
      "{} # collectives\n",
      kOmpiRulesSchema, rules.collectives.size());
  for (const auto& block : rules.collectives) {
    const OmpiCollective& collective = *find_ompi_collective(block.collective_id);
    out += fmt::format("{} # collective id: {}\n{} # communicator sizes\n", block.collective_id, collective.name,
                       block.comm_sizes.size());
    for (const auto& size : block.comm_sizes) {
      out += fmt::format("{} {} # from {} ranks: message sizes\n", size.from_comm_size, size.messages.size(),
                         size.from_comm_size);
      for (const auto& rule : size.messages)
        out += fmt::format("{} {} {} {} # from {} bytes: {}\n", rule.from_bytes, rule.algorithm, rule.fan_in_out,
                           rule.segment_bytes, rule.from_bytes, algorithm_name(collective, rule.algorithm));
    }
  }
  return out;
}

void write_ompi_rules(const OmpiRules& rules, const std::filesystem::path& file) {
  const std::string text = ompi_rules_text(rules);
  std::ofstream out(file);
  out << text;
  if (!out.flush()) throw OmpiRulesError(file.string() + ": cannot write");
}

OmpiRules parse_ompi_rules(std::string_view text, const std::string& source) {
  TokenStream in(text, source);
  OmpiRules rules;
  const auto count = bounded(in, "the number of collectives", 1, 1000);
  std::set<int> seen;
  for (std::int64_t c = 0; c < count; ++c) {
    const std::string where = in.where();
    rules.collectives.push_back(parse_block(in));
    if (!seen.insert(rules.collectives.back().collective_id).second)
      throw OmpiRulesError(
          fmt::format("{}collective id {} is listed twice", where, rules.collectives.back().collective_id));
  }
  if (!in.at_end()) in.fail("text after the last collective's rules");
  return rules;
}

OmpiRules read_ompi_rules(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw OmpiRulesError(file.string() + ": cannot read");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_ompi_rules(text.str(), file.string());
}

int ompi_rules_lookup(const OmpiRules& rules, int collective_id, int comm_size, std::uint64_t message_bytes) {
  for (const auto& block : rules.collectives) {
    if (block.collective_id != collective_id) continue;
    // Below the first communicator size Open MPI 4.1 still uses the first block (measured: rules
    // "from 8 ranks" apply to 4 ranks too; tests/analysis/check_ompi_rules_accepted.py).
    const OmpiCommSizeRule* size = &block.comm_sizes.front();
    for (const auto& candidate : block.comm_sizes)
      if (candidate.from_comm_size <= comm_size) size = &candidate;
    int algorithm = 0;
    for (const auto& rule : size->messages)
      if (rule.from_bytes <= message_bytes) algorithm = rule.algorithm;
    return algorithm;
  }
  return 0;
}

}  // namespace commtune::analysis
