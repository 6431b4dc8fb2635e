// ParamSpace: defaults, canonical values, sizes with suffixes, ranges, choices, booleans, unknown
// names and cross-parameter constraints.
#include "commtune/kernels/params.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "commtune/kernels/batching/codec.hpp"
#include "commtune/kernels/declaration.hpp"
#include "commtune/kernels/json.hpp"
#include "commtune/kernels/kernel.hpp"

namespace commtune::kernels {
namespace {

std::vector<ParamSpec> example_specs() {
  return {
      {.name = "variant",
       .type = ParamType::Choice,
       .default_value = "blocking",
       .description = "baseline first",
       .choices = {"blocking", "nonblocking"}},
      {.name = "message_bytes",
       .type = ParamType::Bytes,
       .default_value = "4K",
       .unit = "bytes",
       .description = "size",
       .min = 1,
       .max = 1 << 20,
       .log_scale = true},
      {.name = "threads",
       .type = ParamType::Integer,
       .default_value = "2",
       .unit = "threads",
       .description = "workers",
       .min = 1,
       .max = 64},
      {.name = "compute_us",
       .type = ParamType::Real,
       .default_value = "12.5",
       .unit = "us",
       .description = "work",
       .min = 0,
       .max = 1e6},
      {.name = "progress", .type = ParamType::Boolean, .default_value = "off", .description = "helper thread"},
      {.name = "path", .type = ParamType::Text, .default_value = "", .description = "a file"},
  };
}

ParamSpace example_space() {
  return ParamSpace(example_specs(), {{.kind = ConstraintKind::Requires,
                                       .when = {.param = "progress", .values = {"on"}},
                                       .param = "variant",
                                       .values = {"nonblocking"},
                                       .reason = "blocking has nothing to poll"}});
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
  EXPECT_EQ(set.values().size(), 6u);
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
  // The condition's value "on" was canonicalised to "true" when the space was built.
  EXPECT_EQ(error_of([&] {
              space.resolve({{"progress", "yes"}});
            }),
            "progress=true needs variant=nonblocking (got blocking): blocking has nothing to poll");
  EXPECT_NO_THROW(space.resolve({{"progress", "on"}, {"variant", "nonblocking"}}));
  EXPECT_NO_THROW(space.resolve({{"progress", "off"}}));
}

// One constraint of each kind, at the edge of what it accepts.
TEST(Constraint, EveryKindHoldsOnlyWhenItsConditionDoes) {
  const std::vector<Constraint> constraints = {
      {.kind = ConstraintKind::NotEmpty, .when = {.param = "variant", .values = {"nonblocking"}}, .param = "path"},
      {.kind = ConstraintKind::MultipleOf, .param = "message_bytes", .divisor = 8},
      {.kind = ConstraintKind::InRange,
       .when = {.param = "variant", .values = {"blocking"}},
       .param = "threads",
       .values = {"64"},
       .min = 1,
       .max = 4},
      {.kind = ConstraintKind::ProductAtMost, .factors = {"threads", "message_bytes"}, .factor = 2, .limit = 65536},
  };
  const ParamSpace space(example_specs(), constraints);
  EXPECT_EQ(error_of([&] {
              space.resolve({{"variant", "nonblocking"}});
            }),
            "variant=nonblocking needs path not empty (got empty)");
  EXPECT_NO_THROW(space.resolve({{"variant", "nonblocking"}, {"path", "x"}, {"threads", "8"}}));
  EXPECT_EQ(error_of([&] { space.resolve({{"message_bytes", "4100"}}); }), "message_bytes a multiple of 8 (got 4100)");
  EXPECT_EQ(error_of([&] {
              space.resolve({{"threads", "5"}});
            }),
            "variant=blocking needs threads in 1 .. 4 or 64 (got 5)");
  EXPECT_NO_THROW(space.resolve({{"threads", "4"}}));
  // 64 is accepted besides the range, but then 2 x 64 x 4096 exceeds the product's limit.
  EXPECT_EQ(error_of([&] { space.resolve({{"threads", "64"}}); }), "threads x message_bytes x 2 <= 65536 (got 524288)");
  EXPECT_NO_THROW(space.resolve({{"threads", "64"}, {"message_bytes", "512"}}));
  EXPECT_EQ(describe(constraints[2]), "variant=blocking needs threads in 1 .. 4 or 64");
}

TEST(Constraint, ADeclarationErrorIsALogicError) {
  EXPECT_THROW(ParamSpace(example_specs(), {{.kind = ConstraintKind::NotEmpty, .param = "nothing"}}), std::logic_error);
  EXPECT_THROW(ParamSpace(example_specs(), {{.kind = ConstraintKind::Requires, .param = "variant", .values = {"x"}}}),
               std::logic_error);
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
    const KernelDeclaration& info = kernel->declaration();
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
  EXPECT_EQ(kernels.size(), builtin_declarations().size());
  for (const KernelDeclaration* declaration : builtin_declarations()) {
    SCOPED_TRACE(declaration->name);
    const Kernel* kernel = KernelRegistry::instance().find(declaration->name);
    ASSERT_NE(kernel, nullptr);
    EXPECT_EQ(&kernel->declaration(), declaration);
    EXPECT_FALSE(declaration->metrics.empty());
    for (const MetricSpec& metric : declaration->metrics) {
      EXPECT_EQ(declaration->find_metric(metric.name), &metric) << "declared twice: " << metric.name;
      EXPECT_FALSE(metric.unit.empty()) << metric.name;
      EXPECT_FALSE(metric.description.empty()) << metric.name;
    }
  }
  EXPECT_NE(KernelRegistry::instance().find("nonblocking"), nullptr);
  EXPECT_NE(KernelRegistry::instance().find("overlap"), nullptr);
}

// A result may carry only declared metrics; the runner's JSON writer refuses any other.
TEST(KernelResult, AnUndeclaredMetricIsAProgrammingError) {
  const KernelDeclaration& declaration = overlap_declaration();
  KernelResult result;
  result.metrics["overlap_osu_percent"] = 50;
  EXPECT_NO_THROW(check_declared_metrics(declaration, result));
  result.metrics["overlap_percent"] = 50;
  try {
    check_declared_metrics(declaration, result);
    FAIL() << "an undeclared metric was accepted";
  } catch (const std::logic_error& e) {
    EXPECT_NE(std::string(e.what()).find("kernel 'overlap' reported the undeclared metric 'overlap_percent'"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(kernel_result_json(declaration, declaration.params.resolve({}), {}, result), std::logic_error);
  result.metrics.erase("overlap_percent");
  const std::string json = kernel_result_json(declaration, declaration.params.resolve({}), {}, result);
  EXPECT_NE(json.find("\"schema\": \"commtune.kernel_result/1\""), std::string::npos) << json;
}

// The batching declaration's level constraints, built from the codecs' level ranges, accept exactly
// the levels the codec itself accepts (batching::check_level, used when a channel is built).
TEST(BatchingDeclaration, LevelConstraintsAgreeWithTheCodec) {
  const ParamSpace& space = batching_declaration().params;
  for (const std::string codec : {"none", "lz4", "zstd", "zlib"}) {
    for (int level = -7; level <= 22; ++level) {
      SCOPED_TRACE(codec + " level " + std::to_string(level));
      const auto codec_value = *batching::parse_codec(codec);
      const bool codec_accepts = !batching::check_level(codec_value, level).has_value();
      const std::string error = error_of([&] { space.resolve({{"codec", codec}, {"level", std::to_string(level)}}); });
      EXPECT_EQ(error.empty(), codec_accepts) << error;
    }
  }
}

// The product constraints of the nonblocking declaration keep the rule "message_bytes x
// messages_per_peer x 2 (x 2 again for a halo) <= 1 GiB".
TEST(NonblockingDeclaration, BufferBudgetDependsOnThePattern) {
  const ParamSpace& space = nonblocking_declaration().params;
  EXPECT_NO_THROW(space.resolve({{"message_bytes", "64M"}, {"messages_per_peer", "8"}}));
  EXPECT_FALSE(error_of([&] { space.resolve({{"message_bytes", "64M"}, {"messages_per_peer", "9"}}); }).empty());
  EXPECT_NO_THROW(space.resolve({{"message_bytes", "64M"}, {"messages_per_peer", "4"}, {"pattern", "halo"}}));
  const std::string halo = error_of([&] {
    space.resolve({{"message_bytes", "64M"}, {"messages_per_peer", "5"}, {"pattern", "halo"}});
  });
  EXPECT_NE(halo.find("pattern=halo needs message_bytes x messages_per_peer x 4 <= 1073741824"), std::string::npos)
      << halo;
}

}  // namespace
}  // namespace commtune::kernels
