// Open MPI coll/tuned rules files (analysis/include/commtune/analysis/ompi_rules.hpp): every file
// the writer produces parses back to the same rules, the classic format with comments and free
// line breaks parses, malformed files are refused with their line, lookup follows Open MPI's
// "last size <= the call's" rule, and rules built from measurements pick the clear winners.
#include "commtune/analysis/ompi_rules.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "commtune/analysis/runtime_settings.hpp"

namespace commtune::analysis {
namespace {

OmpiRules sample_rules() {
  OmpiRules rules;
  rules.collectives.push_back(
      {.collective_id = 2,
       .comm_sizes = {{.from_comm_size = 1, .messages = {{0, 3, 0, 0}, {8192, 4, 0, 0}}},
                      {.from_comm_size = 8, .messages = {{0, 0, 0, 0}, {1 << 20, 5, 0, 65536}}}}});
  rules.collectives.push_back(
      {.collective_id = 7, .comm_sizes = {{.from_comm_size = 2, .messages = {{0, 6, 2, 8192}}}}});
  return rules;
}

TEST(OmpiRules, WrittenTextParsesBackToTheSameRules) {
  const OmpiRules rules = sample_rules();
  const std::string text = ompi_rules_text(rules);
  EXPECT_EQ(parse_ompi_rules(text, "memory"), rules);
  EXPECT_NE(text.find("commtune.ompi_coll_rules/1"), std::string::npos);
  EXPECT_NE(text.find("# from 8192 bytes: ring"), std::string::npos);
}

TEST(OmpiRules, EveryRandomValidFileRoundTripsThroughAFile) {
  const auto file = std::filesystem::temp_directory_path() / "commtune_ompi_rules_test.conf";
  std::mt19937 random(7);
  for (int trial = 0; trial < 200; ++trial) {
    OmpiRules rules;
    auto collectives = ompi_collectives();
    std::shuffle(collectives.begin(), collectives.end(), random);
    const std::size_t count = 1 + random() % 3;
    for (std::size_t c = 0; c < count; ++c) {
      OmpiCollectiveRules block{.collective_id = collectives[c].id, .comm_sizes = {}};
      int comm_size = 0;
      for (std::size_t s = 0, sizes = 1 + random() % 3; s < sizes; ++s) {
        comm_size += 1 + int(random() % 16);
        OmpiCommSizeRule size{.from_comm_size = comm_size, .messages = {}};
        std::uint64_t bytes = 0;
        for (std::size_t m = 0, messages = 1 + random() % 4; m < messages; ++m) {
          if (m > 0) bytes += 1 + random() % 100000;
          size.messages.push_back({.from_bytes = bytes,
                                   .algorithm = int(random() % (collectives[c].algorithms.size() + 1)),
                                   .fan_in_out = int(random() % 4),
                                   .segment_bytes = random() % 2 ? 0 : 1024u << (random() % 8)});
        }
        block.comm_sizes.push_back(size);
      }
      rules.collectives.push_back(block);
    }
    write_ompi_rules(rules, file);
    ASSERT_EQ(read_ompi_rules(file), rules) << ompi_rules_text(rules);
  }
  std::filesystem::remove(file);
}

TEST(OmpiRules, ParsesTheClassicFormatWithCommentsAndFreeLineBreaks) {
  const std::string text =
      "# a comment first\n"
      "1   # one collective\n"
      "3 # alltoall\n"
      "2\n"
      "2 1 0 2 0 0\n"  // communicator size 2, one message size on the same line
      "16 2\n"
      "0 1 0 0\n"
      "4096\n4 0 0 # line breaks anywhere\n";
  const OmpiRules rules = parse_ompi_rules(text, "example");
  ASSERT_EQ(rules.collectives.size(), 1u);
  EXPECT_EQ(rules.collectives[0].collective_id, 3);
  ASSERT_EQ(rules.collectives[0].comm_sizes.size(), 2u);
  EXPECT_EQ(rules.collectives[0].comm_sizes[1].messages[1], (OmpiMessageRule{4096, 4, 0, 0}));
}

void expect_refused(const std::string& text, const std::string& message) {
  try {
    parse_ompi_rules(text, "bad.conf");
    ADD_FAILURE() << "accepted: " << text;
  } catch (const OmpiRulesError& error) {
    EXPECT_NE(std::string(error.what()).find(message), std::string::npos) << error.what();
  }
}

TEST(OmpiRules, RefusesWhatOpenMpiWouldDropOrReadDifferently) {
  expect_refused("1\n2 1\n4 1\n8 4 0 0\n", "the first message size must be 0");
  expect_refused("1\n5 1\n4 1\n0 1 0 0\n", "collective id 5");                 // alltoallw: not read by tuned
  expect_refused("1\n2 1\n4 1\n0 9 0 0\n", "algorithm 9 is not one of 0..5");  // allreduce has 5 in 4.1.4
  expect_refused("1\n2 1\n4 2\n0 1 0 0\n0 2 0 0\n", "sizes must increase");
  expect_refused("1\n2 2\n8 1\n0 1 0 0\n4 1\n0 1 0 0\n", "sizes must increase and be >= 1");
  expect_refused("2\n2 1\n4 1\n0 1 0 0\n2 1\n4 1\n0 1 0 0\n", "listed twice");
  expect_refused("1\n2 1\n4 1\n0 1 0", "bad.conf:4: the file ends where a segment size was expected");
  expect_refused("1\n2 1\n4 1\n0 1 0 0\n7\n", "bad.conf:5: text after the last collective");
  expect_refused("1\n2 1\n4 1\n0 x 0 0\n", "bad.conf:4: 'x' where an algorithm was expected");
  OmpiRules bad = sample_rules();
  bad.collectives[0].comm_sizes[0].messages[0].from_bytes = 16;
  EXPECT_THROW(ompi_rules_text(bad), OmpiRulesError);
}

TEST(OmpiRules, LookupTakesTheLastSizesAtOrBelowTheCall) {
  const OmpiRules rules = sample_rules();
  EXPECT_EQ(ompi_rules_lookup(rules, 2, 4, 100), 3);
  EXPECT_EQ(ompi_rules_lookup(rules, 2, 4, 8192), 4);
  EXPECT_EQ(ompi_rules_lookup(rules, 2, 7, 1 << 30), 4);
  EXPECT_EQ(ompi_rules_lookup(rules, 2, 8, 100), 0);
  EXPECT_EQ(ompi_rules_lookup(rules, 2, 64, 1 << 20), 5);
  EXPECT_EQ(ompi_rules_lookup(rules, 7, 1, 100), 6);  // below the first communicator size: the first block
  EXPECT_EQ(ompi_rules_lookup(rules, 3, 4, 100), 0);  // no rules for alltoall
}

CollectiveAlgorithmModel measured(const char* collective, const char* algorithm, int id, std::uint64_t bytes,
                                  double median_us, double low_us, double high_us, int ranks = 4) {
  return {.collective = collective,
          .mpi = "openmpi",
          .algorithm = algorithm,
          .algorithm_id = id,
          .comm_size = ranks,
          .message_bytes = bytes,
          .median_s = median_us * 1e-6,
          .ci_low_s = low_us * 1e-6,
          .ci_high_s = high_us * 1e-6,
          .samples = 20,
          .source = "test"};
}

TEST(OmpiRules, RulesFromMeasurementsKeepOnlyClearWinners) {
  const std::vector<CollectiveAlgorithmModel> models{
      measured("allreduce", "default", 0, 1024, 10, 9, 11),
      measured("allreduce", "ring", 4, 1024, 5, 4, 6),  // clearly faster
      measured("allreduce", "default", 0, 1 << 20, 100, 95, 105),
      measured("allreduce", "ring", 4, 1 << 20, 98, 90, 106),  // faster but overlapping: keep the default
      measured("alltoall", "default", 0, 1000, 50, 48, 52, 8),
      measured("alltoall", "pairwise", 2, 1000, 30, 29, 31, 8),
      // MPICH measurements do not go into Open MPI's file, however fast.
      {.collective = "allreduce",
       .mpi = "mpich",
       .algorithm = "ring",
       .comm_size = 4,
       .message_bytes = 64,
       .median_s = 1e-9,
       .ci_low_s = 1e-9,
       .ci_high_s = 1e-9},
  };
  const OmpiRules rules = ompi_rules_from_measurements(models);
  validate(rules);
  EXPECT_EQ(ompi_rules_lookup(rules, 2, 2, 64), 0);  // fewer ranks than measured: built-in
  EXPECT_EQ(ompi_rules_lookup(rules, 2, 4, 64), 4);
  EXPECT_EQ(ompi_rules_lookup(rules, 2, 4, 1024), 4);
  EXPECT_EQ(ompi_rules_lookup(rules, 2, 4, 30000), 4);  // below the switch at sqrt(1 KiB x 1 MiB) = 32 KiB
  EXPECT_EQ(ompi_rules_lookup(rules, 2, 4, 40000), 0);
  EXPECT_EQ(ompi_rules_lookup(rules, 2, 4, 1 << 20), 0);
  // alltoall's message size is the total over the communicator: 8 x 1000 bytes.
  EXPECT_EQ(ompi_rules_lookup(rules, 3, 8, 8000), 2);
  EXPECT_EQ(parse_ompi_rules(ompi_rules_text(rules), "built"), rules);
}

}  // namespace
}  // namespace commtune::analysis
