// ParamSpace: defaults, canonical values, sizes with suffixes, ranges, choices, booleans, unknown
// names and cross-parameter constraints.
#include "commtune/kernels/params.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "commtune/kernels/kernel.hpp"

namespace commtune::kernels {
namespace {

ParamSpace example_space() {
  return ParamSpace(
      {
          {"variant", ParamType::Choice, "blocking", "", "baseline first", 0, 0, {"blocking", "nonblocking"}},
          {"message_bytes", ParamType::Bytes, "4K", "bytes", "size", 1, 1 << 20, {}, true},
          {"threads", ParamType::Integer, "2", "threads", "workers", 1, 64},
          {"compute_us", ParamType::Real, "12.5", "us", "work", 0, 1e6},
          {"progress", ParamType::Boolean, "off", "", "helper thread"},
      },
      {[](const ParamSet& p) -> std::optional<std::string> {
        if (p.boolean("progress") && p.choice("variant") == "blocking")
          return std::string("progress needs nonblocking");
        return std::nullopt;
      }});
}

// The message of the exception `call` throws, or "" when it does not throw.
template <typename Call>
std::string error_of(Call call) {
  try {
    call();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(ParamSpace, DefaultsAreCanonicalised) {
  const ParamSet set = example_space().resolve({});
  EXPECT_EQ(set.choice("variant"), "blocking");
  EXPECT_EQ(set.integer("message_bytes"), 4096);
  EXPECT_EQ(set.text("message_bytes"), "4096");
  EXPECT_EQ(set.integer("threads"), 2);
  EXPECT_DOUBLE_EQ(set.real("compute_us"), 12.5);
  EXPECT_FALSE(set.boolean("progress"));
  EXPECT_EQ(set.text("progress"), "false");
  EXPECT_EQ(set.values().size(), 5u);
}

TEST(ParamSpace, BytesAcceptSuffixesInPowersOf1024) {
  const ParamSpace space = example_space();
  EXPECT_EQ(space.resolve({{"message_bytes", "1K"}}).integer("message_bytes"), 1024);
  EXPECT_EQ(space.resolve({{"message_bytes", "64k"}}).integer("message_bytes"), 65536);
  EXPECT_EQ(space.resolve({{"message_bytes", "1M"}}).integer("message_bytes"), 1 << 20);
  EXPECT_EQ(space.resolve({{"message_bytes", "1MiB"}}).integer("message_bytes"), 1 << 20);
  EXPECT_EQ(space.resolve({{"message_bytes", "0.5K"}}).integer("message_bytes"), 512);
  EXPECT_EQ(space.resolve({{"message_bytes", "100"}}).integer("message_bytes"), 100);
  EXPECT_NE(error_of([&] { space.resolve({{"message_bytes", "2M"}}); }), "");    // above max
  EXPECT_NE(error_of([&] { space.resolve({{"message_bytes", "1.3K"}}); }), "");  // not whole bytes
  EXPECT_NE(error_of([&] { space.resolve({{"message_bytes", "4Q"}}); }), "");    // unknown suffix
  EXPECT_NE(error_of([&] { space.resolve({{"message_bytes", "K"}}); }), "");     // no number
}

TEST(ParamSpace, RangesAreInclusiveAndRejectionsNameTheRange) {
  const ParamSpace space = example_space();
  EXPECT_EQ(space.resolve({{"threads", "1"}}).integer("threads"), 1);
  EXPECT_EQ(space.resolve({{"threads", "64"}}).integer("threads"), 64);
  const std::string message = error_of([&] { space.resolve({{"threads", "65"}}); });
  EXPECT_NE(message.find("'threads'"), std::string::npos) << message;
  EXPECT_NE(message.find("1 .. 64 threads"), std::string::npos) << message;
  EXPECT_NE(error_of([&] { space.resolve({{"threads", "0"}}); }), "");
  EXPECT_NE(error_of([&] { space.resolve({{"threads", "2.5"}}); }), "");
  EXPECT_NE(error_of([&] { space.resolve({{"threads", "two"}}); }), "");
  EXPECT_DOUBLE_EQ(space.resolve({{"compute_us", "0.25"}}).real("compute_us"), 0.25);
  EXPECT_NE(error_of([&] { space.resolve({{"compute_us", "-1"}}); }), "");
}

TEST(ParamSpace, ChoicesAreCaseInsensitiveAndRejectionsListThem) {
  const ParamSpace space = example_space();
  EXPECT_EQ(space.resolve({{"variant", "NonBlocking"}}).choice("variant"), "nonblocking");
  const std::string message = error_of([&] { space.resolve({{"variant", "fast"}}); });
  EXPECT_NE(message.find("'variant'"), std::string::npos) << message;
  EXPECT_NE(message.find("'fast'"), std::string::npos) << message;
  EXPECT_NE(message.find("blocking, nonblocking"), std::string::npos) << message;
}

TEST(ParamSpace, BooleansAcceptCommonSpellings) {
  const ParamSpace space = example_space();
  for (const char* yes : {"true", "1", "on", "yes", "TRUE"}) {
    EXPECT_TRUE(space.resolve({{"variant", "nonblocking"}, {"progress", yes}}).boolean("progress")) << yes;
  }
  for (const char* no : {"false", "0", "off", "no"}) {
    EXPECT_FALSE(space.resolve({{"progress", no}}).boolean("progress")) << no;
  }
  EXPECT_NE(error_of([&] { space.resolve({{"progress", "maybe"}}); }), "");
}

TEST(ParamSpace, UnknownParameterIsRejectedWithTheKnownNames) {
  const std::string message = error_of([&] { example_space().resolve({{"thread", "2"}}); });
  EXPECT_NE(message.find("unknown parameter 'thread'"), std::string::npos) << message;
  EXPECT_NE(message.find("variant, message_bytes, threads, compute_us, progress"), std::string::npos) << message;
}

TEST(ParamSpace, ConstraintsSeeTheResolvedSet) {
  const ParamSpace space = example_space();
  EXPECT_EQ(error_of([&] { space.resolve({{"progress", "on"}}); }), "progress needs nonblocking");
  EXPECT_NO_THROW(space.resolve({{"progress", "on"}, {"variant", "nonblocking"}}));
}

TEST(ParamSpace, DescribeRange) {
  const ParamSpace space = example_space();
  EXPECT_EQ(ParamSpace::describe_range(*space.find("variant")), "one of blocking, nonblocking (default blocking)");
  EXPECT_EQ(ParamSpace::describe_range(*space.find("message_bytes")), "1 .. 1048576 bytes (default 4K)");
  EXPECT_EQ(ParamSpace::describe_range(*space.find("threads")), "1 .. 64 threads (default 2)");
  EXPECT_EQ(space.find("nothing"), nullptr);
}

TEST(ParamSet, MissingNameThrows) {
  const ParamSet set = example_space().resolve({});
  EXPECT_THROW(set.text("nothing"), std::out_of_range);
}

// Every built-in kernel keeps the contract the tuner relies on: a Choice "variant" whose first
// value is the baseline, defaults that resolve, and no parameter declared twice.
TEST(KernelRegistry, EveryKernelDeclaresAValidSpace) {
  const auto kernels = KernelRegistry::instance().all();
  ASSERT_FALSE(kernels.empty());
  for (const Kernel* kernel : kernels) {
    const KernelInfo& info = kernel->info();
    SCOPED_TRACE(info.name);
    const ParamSpec* variant = info.params.find("variant");
    ASSERT_NE(variant, nullptr);
    EXPECT_EQ(variant->type, ParamType::Choice);
    ASSERT_FALSE(variant->choices.empty());
    EXPECT_EQ(variant->choices.front(), info.baseline_variant);
    EXPECT_NO_THROW(info.params.resolve({}));
    for (const ParamSpec& spec : info.params.specs()) {
      EXPECT_EQ(info.params.find(spec.name), &spec) << "declared twice: " << spec.name;
      EXPECT_FALSE(spec.description.empty()) << spec.name;
    }
  }
  EXPECT_NE(KernelRegistry::instance().find("nonblocking"), nullptr);
  EXPECT_NE(KernelRegistry::instance().find("overlap"), nullptr);
}

}  // namespace
}  // namespace commtune::kernels
