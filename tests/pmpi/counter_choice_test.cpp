// Which events COMMTUNE_PAPI measures (runtime/counter_choice.cpp), with a pretend PAPI: a machine
// with a PMU counts what is asked; without one, software events stand in and say so.
#include "runtime/counter_choice.hpp"

#include <gtest/gtest.h>

#include <map>

#include "papi/papi_plugin.h"

namespace commtune::pmpi::counters {
namespace {

// A PAPI that knows `statuses` by name (anything else is unknown) and records what was tried.
struct PretendPapi {
  std::map<std::string, int> statuses;
  std::vector<std::string> tried;

  TryPapi function() {
    return [this](const std::string& name, std::string& reason) {
      tried.push_back(name);
      const auto it = statuses.find(name);
      const int status = it == statuses.end() ? COMMTUNE_PAPI_UNKNOWN : it->second;
      reason = status == COMMTUNE_PAPI_ADDED ? "" : "pretend reason " + std::to_string(status);
      return status;
    };
  }
};

std::vector<std::string> names(const Choice& choice) {
  std::vector<std::string> out;
  for (const Event& event : choice.measured) out.push_back(event.name);
  return out;
}

TEST(CounterChoice, AvailableHardwareEventsAreMeasuredAsAsked) {
  PretendPapi papi{{{"PAPI_TOT_CYC", COMMTUNE_PAPI_ADDED}, {"PAPI_TOT_INS", COMMTUNE_PAPI_ADDED}}};
  const Choice choice = choose({"PAPI_TOT_CYC", "PAPI_TOT_INS"}, papi.function());
  EXPECT_EQ(names(choice), (std::vector<std::string>{"PAPI_TOT_CYC", "PAPI_TOT_INS"}));
  EXPECT_EQ(choice.measured[0].source, Source::Papi);
  EXPECT_FALSE(choice.fallback);
  EXPECT_TRUE(choice.notes.empty());
  EXPECT_TRUE(choice.warnings.empty());
  EXPECT_EQ(papi.tried, (std::vector<std::string>{"PAPI_TOT_CYC", "PAPI_TOT_INS"}));  // no stand-in tried
}

TEST(CounterChoice, WithoutAPmuPapiSoftwareEventsStandIn) {
  PretendPapi papi{{{"PAPI_TOT_CYC", COMMTUNE_PAPI_UNAVAILABLE},
                    {"perf::TASK-CLOCK", COMMTUNE_PAPI_ADDED},
                    {"perf::PAGE-FAULTS", COMMTUNE_PAPI_ADDED}}};
  const Choice choice = choose({"PAPI_TOT_CYC"}, papi.function());
  EXPECT_EQ(names(choice), (std::vector<std::string>{"perf::TASK-CLOCK", "perf::PAGE-FAULTS"}));
  EXPECT_TRUE(choice.fallback);
  ASSERT_EQ(choice.notes.size(), 3u);
  EXPECT_NE(choice.notes[0].find("PAPI_TOT_CYC cannot be counted here: pretend reason 2"), std::string::npos);
  EXPECT_NE(choice.notes[1].find("measuring perf::TASK-CLOCK"), std::string::npos);
  EXPECT_TRUE(choice.warnings.empty());
}

TEST(CounterChoice, WithoutPapiEventsTheOperatingSystemsStandIn) {
  PretendPapi papi{{{"PAPI_TOT_CYC", COMMTUNE_PAPI_UNAVAILABLE}}};  // perf:: unknown: component disabled
  const Choice choice = choose({"PAPI_TOT_CYC"}, papi.function());
  EXPECT_EQ(names(choice), (std::vector<std::string>{"commtune::TASK-CLOCK", "commtune::PAGE-FAULTS"}));
  EXPECT_EQ(choice.measured[0].source, Source::ThreadCpuTime);
  EXPECT_EQ(choice.measured[1].source, Source::PageFaults);
  EXPECT_TRUE(choice.fallback);
}

TEST(CounterChoice, UnknownNamesWarnAndStillMeasureSomething) {
  PretendPapi papi;
  const Choice choice = choose({"NO_SUCH_EVENT"}, papi.function());
  ASSERT_EQ(choice.warnings.size(), 1u);
  EXPECT_NE(choice.warnings[0].find("COMMTUNE_PAPI: unknown event NO_SUCH_EVENT"), std::string::npos);
  EXPECT_EQ(names(choice), (std::vector<std::string>{"commtune::TASK-CLOCK", "commtune::PAGE-FAULTS"}));
}

TEST(CounterChoice, BuiltinEventsAskedForByNameNeedNoPapi) {
  PretendPapi papi;
  const Choice choice = choose({"commtune::TASK-CLOCK"}, papi.function());
  EXPECT_EQ(names(choice), (std::vector<std::string>{"commtune::TASK-CLOCK"}));
  EXPECT_FALSE(choice.fallback);
  EXPECT_TRUE(papi.tried.empty());
}

TEST(CounterChoice, AtMostFourEvents) {
  PretendPapi papi{{{"A", COMMTUNE_PAPI_ADDED},
                    {"B", COMMTUNE_PAPI_ADDED},
                    {"C", COMMTUNE_PAPI_ADDED},
                    {"D", COMMTUNE_PAPI_ADDED},
                    {"E", COMMTUNE_PAPI_ADDED}}};
  const Choice choice = choose({"A", "B", "C", "D", "E"}, papi.function());
  EXPECT_EQ(names(choice), (std::vector<std::string>{"A", "B", "C", "D"}));
  ASSERT_EQ(choice.notes.size(), 1u);
  EXPECT_NE(choice.notes[0].find("E not counted"), std::string::npos);
}

TEST(CounterChoice, SplitTrimsAndDropsRepeats) {
  EXPECT_EQ(split_events(" PAPI_TOT_CYC, perf::TASK-CLOCK,,PAPI_TOT_CYC "),
            (std::vector<std::string>{"PAPI_TOT_CYC", "perf::TASK-CLOCK"}));
  EXPECT_TRUE(split_events("").empty());
}

}  // namespace
}  // namespace commtune::pmpi::counters
