// The point-to-point rules (batching, compression, nonblocking, overlap) on hand-built workload
// signatures and hardware models: each finds its pattern or not, bounds its gain by the time at the
// site, is not significant when its interval includes zero, and compression's advice flips
// between a fast shared-memory link and a 1 Gbit/s one.
#include <gtest/gtest.h>

#include <algorithm>

#include "commtune/analysis/recommend.hpp"

namespace commtune::analysis {
namespace {

constexpr double kWallS = 2.0;

profile::Profile make_profile(int ranks) {
  profile::Profile out;
  out.ranks = ranks;
  out.wall_time_s = kWallS;
  for (int rank = 0; rank < ranks; ++rank) {
    profile::RankRecord record;
    record.rank = rank;
    record.host = "node1";
    out.per_rank.push_back(record);
  }
  return out;
}

FitQuality held_out(double median, double p90) { return {40, 40, median, p90, "leave-one-out"}; }

// Shared memory as measured here: ~1 us latency, 10 GB/s.
LinkModel shared_memory() {
  LinkModel link;
  link.name = "shared memory";
  link.source = "hand-built";
  link.segments = {{0, 1e-6, 1 / 10e9}, {65536, 8e-6, 1 / 10e9}};
  link.quality = held_out(0.05, 0.10);
  return link;
}

// A shaped 1 Gbit/s TCP link.
LinkModel slow_link() {
  LinkModel link;
  link.name = "tcp";
  link.source = "hand-built";
  link.segments = {{0, 50e-6, 1 / 125e6}};
  link.quality = held_out(0.05, 0.10);
  return link;
}

HardwareModels models_with(const LinkModel& link) {
  HardwareModels models;
  models.source = "hand-built";
  models.cores_per_node = 4;
  models.intra_node = link;
  models.memcpy_bytes_per_s = 10e9;
  CodecModel lz4{"lz4", 0, "ids", 2.0e9, 4.0e9, 3.0, 12, held_out(0.08, 0.15)};
  CodecModel zstd{"zstd", 1, "ids", 0.475e9, 1.4e9, 6.0, 12, held_out(0.08, 0.15)};
  models.codecs = {lz4, zstd};
  OverlapModel overlap;
  overlap.operation = "p2p";
  overlap.message_bytes = 65536;
  overlap.achievable_fraction = 0.8;
  overlap.ci_low = 0.7;
  overlap.ci_high = 0.9;
  overlap.chunks = 16;
  overlap.points = 20;
  models.overlap = {overlap};
  return models;
}

SiteSignature site(int id, const std::string& function, double mean_bytes, double calls_per_rank, double time_s) {
  SiteSignature out;
  out.callsite_id = id;
  out.function = function;
  out.location = "planted.c:" + std::to_string(10 * id);
  out.pattern = Pattern::PointToPoint;
  out.calls_per_rank = calls_per_rank;
  out.calls = std::uint64_t(calls_per_rank * 2);
  out.time_s = time_s * 2;
  out.time_per_rank_max_s = time_s;
  out.fraction_of_run = time_s / kWallS;
  out.mean_message_bytes = mean_bytes;
  out.median_message_bytes = std::uint64_t(mean_bytes);
  out.distinct_peers = 1;
  out.compute_between_calls_s = 1e-5;
  out.imbalance_cv = 0.05;
  return out;
}

WorkloadSignature workload(std::vector<SiteSignature> sites) {
  WorkloadSignature out;
  out.ranks = 2;
  out.nodes = 1;
  out.wall_time_s = kWallS;
  out.sites = std::move(sites);
  return out;
}

std::vector<Recommendation> run(Rule rule, const WorkloadSignature& signature, const HardwareModels& models) {
  const profile::Profile profile = make_profile(signature.ranks);
  return rule({profile, signature, models, "/tmp"});
}

void expect_bounded(const Recommendation& recommendation, double site_time_s) {
  EXPECT_LE(recommendation.gain.seconds, recommendation.gain.bound_s + 1e-12);
  EXPECT_LE(recommendation.gain.ci_high_s, recommendation.gain.bound_s + 1e-12);
  EXPECT_LE(recommendation.gain.bound_s, site_time_s + 1e-12);
}

profile::Compressibility repetitive_ids() {
  profile::Compressibility sampled;
  sampled.samples = 50;
  sampled.sampled_bytes = 50 * 65536;
  sampled.lz4_ratio = 1.5;
  sampled.zstd1_ratio = 6.0;
  sampled.lz4_mb_per_s = 2000;
  sampled.zstd1_mb_per_s = 475;
  return sampled;
}

// ---- batching ------------------------------------------------------------------------------------

TEST(Batching, ManySmallMessagesToOnePeerAreBatched) {
  const auto signature = workload({site(1, "MPI_Send", 64, 10000, 0.5)});
  const auto made = run(recommend_batching, signature, models_with(shared_memory()));
  ASSERT_EQ(made.size(), 1u);
  const Recommendation& batching = made.front();
  EXPECT_EQ(batching.technique, Technique::Batching);
  EXPECT_TRUE(batching.gain.significant);
  EXPECT_GT(batching.gain.ci_low_s, 0);
  expect_bounded(batching, 0.5);
  EXPECT_EQ(batching.apply.component, "commtune::kernels::batching::MessageAggregator");
  ASSERT_TRUE(batching.parameters.count("batch_bytes"));
  const auto batch_bytes = std::stoull(batching.parameters.at("batch_bytes"));
  const auto batch_count = std::stoull(batching.parameters.at("batch_count"));
  EXPECT_GE(batch_count, 2u);
  EXPECT_LE(batch_count * (64 + 4) + 16, batch_bytes);  // the messages fit the batch
  EXPECT_EQ(batching.callsites.front().callsite_id, 1);
  EXPECT_FALSE(batching.evidence.empty());
}

TEST(Batching, WithoutMemcpyRateCopiesAreCostedAtTheIntraNodeBandwidth) {
  HardwareModels models = models_with(shared_memory());
  models.memcpy_bytes_per_s = 0;  // fit_models measures no memcpy
  const auto made = run(recommend_batching, workload({site(1, "MPI_Send", 64, 10000, 0.5)}), models);
  ASSERT_EQ(made.size(), 1u);
  EXPECT_TRUE(made.front().gain.significant);
  const auto copy = std::find_if(
      made.front().evidence.begin(), made.front().evidence.end(),
      [](const Evidence& evidence) { return evidence.unit == "bytes/s" && evidence.what.find("copy rate") == 0; });
  ASSERT_NE(copy, made.front().evidence.end());
  EXPECT_DOUBLE_EQ(copy->value, shared_memory().bandwidth_bytes_per_s());
}

TEST(Batching, SpreadIsTakenOverTheRanksThatCalledTheSite) {
  // Called by 1 of 2 ranks: the profile's cv is 1 (the other rank counts as 0), the callers' is 0.
  auto senders_only = site(1, "MPI_Send", 64, 10000, 0.5);
  senders_only.calls = 10000;
  senders_only.imbalance_cv = 1.0;
  const auto made = run(recommend_batching, workload({senders_only}), models_with(shared_memory()));
  ASSERT_EQ(made.size(), 1u);
  EXPECT_TRUE(made.front().gain.significant);
  auto spread = site(1, "MPI_Send", 64, 10000, 0.5);
  spread.imbalance_cv = 1.0;  // two callers, one with no time at all
  const auto wide = run(recommend_batching, workload({spread}), models_with(shared_memory()));
  ASSERT_EQ(wide.size(), 1u);
  EXPECT_LT(wide.front().gain.ci_low_s, made.front().gain.ci_low_s);
}

TEST(Batching, LargeMessagesAreNotLatencyBound) {
  const auto signature = workload({site(1, "MPI_Send", 1 << 20, 10000, 0.5)});
  EXPECT_TRUE(run(recommend_batching, signature, models_with(shared_memory())).empty());
}

TEST(Batching, ManyPeersOrFewMessagesAreNotThePattern) {
  auto spread = site(1, "MPI_Send", 64, 10000, 0.5);
  spread.distinct_peers = 8;
  auto rare = site(2, "MPI_Send", 64, 10, 0.5);
  auto receive = site(3, "MPI_Recv", 64, 10000, 0.5);
  EXPECT_TRUE(run(recommend_batching, workload({spread, rare, receive}), models_with(shared_memory())).empty());
}

TEST(Batching, WithoutLinkModelThePatternIsNamedButNotSignificant) {
  HardwareModels none;
  none.source = "none";
  const auto made = run(recommend_batching, workload({site(1, "MPI_Send", 64, 10000, 0.5)}), none);
  ASSERT_EQ(made.size(), 1u);
  EXPECT_FALSE(made.front().gain.significant);
  EXPECT_NE(made.front().title.find("keep as is"), std::string::npos);
  EXPECT_TRUE(made.front().parameters.count("note"));
}

TEST(Batching, GainIsBoundedByTheTimeAtTheSite) {
  // The site spent 5 ms of which 4 ms waiting: batching cannot save more than 1 ms.
  auto small = site(1, "MPI_Send", 8, 100000, 0.005);
  small.wait = profile::WaitState{"late_receiver", 0.004, 10, 0.004, 0};  // only one rank waits
  const auto made = run(recommend_batching, workload({small}), models_with(slow_link()));
  ASSERT_EQ(made.size(), 1u);
  EXPECT_NEAR(made.front().gain.bound_s, 0.001, 1e-12);
  expect_bounded(made.front(), 0.001);
}

TEST(Batching, NotSignificantWhenTheIntervalIncludesZero) {
  LinkModel unsure = shared_memory();
  unsure.quality = held_out(20.0, 50.0);  // held-out errors of thousands of per cent
  const auto made = run(recommend_batching, workload({site(1, "MPI_Send", 64, 10000, 0.5)}), models_with(unsure));
  ASSERT_EQ(made.size(), 1u);
  EXPECT_LT(made.front().gain.ci_low_s, 0);
  EXPECT_FALSE(made.front().gain.significant);
}

// ---- compression ---------------------------------------------------------------------------------

SiteSignature compressible_site() {
  auto large = site(1, "MPI_Send", 65536, 1000, 0.8);
  large.compressibility = repetitive_ids();
  return large;
}

TEST(Compression, KeepAsIsOnSharedMemory) {
  const auto made = run(recommend_compression, workload({compressible_site()}), models_with(shared_memory()));
  ASSERT_EQ(made.size(), 1u);
  EXPECT_FALSE(made.front().gain.significant);
  EXPECT_LE(made.front().gain.seconds, 0);
  EXPECT_NE(made.front().title.find("keep as is"), std::string::npos);
}

TEST(Compression, PaysOnAOneGigabitLink) {
  const auto made = run(recommend_compression, workload({compressible_site()}), models_with(slow_link()));
  ASSERT_EQ(made.size(), 1u);
  const Recommendation& compression = made.front();
  EXPECT_TRUE(compression.gain.significant);
  EXPECT_GT(compression.gain.ci_low_s, 0);
  expect_bounded(compression, 0.8);
  EXPECT_EQ(compression.parameters.at("codec"), "zstd");  // ratio 6 beats lz4's 3 when bytes are dear
  EXPECT_EQ(compression.apply.component, "commtune::kernels::batching::CompressedChannel");
}

TEST(Compression, CodecCostIsTheHardwaresNotTheSamplersRate) {
  // The profile's rates are timed on small gathers (slow); the codec models', on whole messages.
  auto slow_sampler = compressible_site();
  slow_sampler.compressibility->lz4_mb_per_s = 1;
  slow_sampler.compressibility->zstd1_mb_per_s = 1;
  const auto sampled = run(recommend_compression, workload({slow_sampler}), models_with(slow_link()));
  const auto reference = run(recommend_compression, workload({compressible_site()}), models_with(slow_link()));
  ASSERT_EQ(sampled.size(), 1u);
  ASSERT_EQ(reference.size(), 1u);
  EXPECT_TRUE(sampled.front().gain.significant);
  EXPECT_DOUBLE_EQ(sampled.front().gain.seconds, reference.front().gain.seconds);
}

TEST(Compression, TheSitesOwnTimeShrinksUpToBothDirectionsOfTheLink) {
  // 64 KiB at 125 MB/s and 50 us latency: 0.574 ms per message on the link model.
  const double link_s = slow_link().seconds(65536);
  auto exchange = compressible_site();  // measured: two directions sharing the link
  exchange.time_per_rank_max_s = 2 * link_s * exchange.calls_per_rank;
  auto stalled = compressible_site();  // measured: above both directions; the rest is not the bytes'
  stalled.time_per_rank_max_s = 3 * link_s * stalled.calls_per_rank;
  const auto shared = run(recommend_compression, workload({exchange}), models_with(slow_link()));
  const auto slow = run(recommend_compression, workload({stalled}), models_with(slow_link()));
  ASSERT_EQ(shared.size(), 1u);
  ASSERT_EQ(slow.size(), 1u);
  // zstd: 64 KiB at 0.475 GB/s + 1.4 GB/s, and 1/6 of the bytes on the link.
  const double codec_s = 65536 / 0.475e9 + 65536 / 1.4e9;
  const double saved_s = 2 * link_s * (1 - slow_link().seconds(65536 / 6) / link_s) - codec_s;
  EXPECT_NEAR(shared.front().gain.seconds, saved_s * exchange.calls_per_rank, 1e-9);
  EXPECT_NEAR(slow.front().gain.seconds, saved_s * stalled.calls_per_rank, 1e-9);
}

TEST(Compression, NoSampledPayloadOrSmallMessagesIsNotThePattern) {
  auto unsampled = site(1, "MPI_Send", 65536, 1000, 0.8);
  auto small = site(2, "MPI_Send", 256, 1000, 0.8);
  small.compressibility = repetitive_ids();
  EXPECT_TRUE(run(recommend_compression, workload({unsampled, small}), models_with(slow_link())).empty());
}

TEST(Compression, WithoutCodecModelNotSignificant) {
  HardwareModels models = models_with(slow_link());
  models.codecs.clear();
  const auto made = run(recommend_compression, workload({compressible_site()}), models);
  ASSERT_EQ(made.size(), 1u);
  EXPECT_FALSE(made.front().gain.significant);
  EXPECT_TRUE(made.front().parameters.count("note"));
}

// ---- nonblocking ---------------------------------------------------------------------------------

SiteSignature late_sender_site() {
  auto receive = site(1, "MPI_Recv", 4096, 1000, 0.4);
  receive.wait = profile::WaitState{"late_sender", 0.3, 1000, 0.3, 0};  // only rank 0 waits
  receive.compute_between_calls_s = 5e-4;  // 0.5 s of computation beside the 0.3 s of waiting
  return receive;
}

TEST(Nonblocking, LateSenderWaitingIsHiddenBehindComputation) {
  const auto made = run(recommend_nonblocking, workload({late_sender_site()}), models_with(shared_memory()));
  ASSERT_EQ(made.size(), 1u);
  const Recommendation& nonblocking = made.front();
  EXPECT_TRUE(nonblocking.gain.significant);
  EXPECT_LE(nonblocking.gain.ci_high_s, 0.3 + 1e-12);  // never more than the waiting
  expect_bounded(nonblocking, 0.4);
  EXPECT_EQ(nonblocking.apply.component, "commtune::kernels::RequestWindow");
  EXPECT_TRUE(nonblocking.parameters.count("window"));
}

TEST(Nonblocking, WaitingEveryRankSharesIsTransferAndGoesToOverlap) {
  // Both ranks wait 0.3 s: the data in flight of a balanced exchange, not a late partner.
  auto balanced = late_sender_site();
  balanced.wait = profile::WaitState{"late_sender", 0.6, 1000, 0.3, 0};
  const HardwareModels models = models_with(shared_memory());
  EXPECT_TRUE(run(recommend_nonblocking, workload({balanced}), models).empty());
  const auto overlap = run(recommend_overlap, workload({balanced}), models);
  ASSERT_EQ(overlap.size(), 1u);
  const auto exposed = std::find_if(overlap.front().evidence.begin(), overlap.front().evidence.end(),
                                    [](const Evidence& evidence) { return evidence.what.find("transfer time") == 0; });
  ASSERT_NE(exposed, overlap.front().evidence.end());
  EXPECT_DOUBLE_EQ(exposed->value, 0.4);  // all of the site's time
}

TEST(Nonblocking, NoWaitingOrNonblockingCallsIsNotThePattern) {
  auto no_wait = site(1, "MPI_Recv", 4096, 1000, 0.4);
  auto already = late_sender_site();
  already.function = "MPI_Irecv";
  EXPECT_TRUE(run(recommend_nonblocking, workload({no_wait, already}), models_with(shared_memory())).empty());
}

TEST(Nonblocking, NoComputationToHideBehindIsNotSignificant) {
  auto chained = late_sender_site();
  chained.compute_between_calls_s = 0;
  const auto made = run(recommend_nonblocking, workload({chained}), models_with(shared_memory()));
  ASSERT_EQ(made.size(), 1u);
  EXPECT_FALSE(made.front().gain.significant);
}

// ---- overlap -------------------------------------------------------------------------------------

SiteSignature exchange_site() {
  auto exchange = site(1, "MPI_Sendrecv", 65536, 500, 0.3);
  exchange.pattern = Pattern::NeighbourExchange;
  exchange.distinct_peers = 2;
  exchange.compute_between_calls_s = 2e-3;
  return exchange;
}

TEST(Overlap, BlockingExchangeBesideComputationOverlaps) {
  const auto made = run(recommend_overlap, workload({exchange_site()}), models_with(shared_memory()));
  ASSERT_EQ(made.size(), 1u);
  const Recommendation& overlap = made.front();
  EXPECT_TRUE(overlap.gain.significant);
  expect_bounded(overlap, 0.3);
  EXPECT_EQ(overlap.parameters.at("chunks"), "16");
}

TEST(Overlap, NoComputationOrWellOverlappedRequestsIsNotThePattern) {
  auto busy = exchange_site();
  busy.compute_between_calls_s = 0;
  auto overlapped = exchange_site();
  overlapped.function = "MPI_Isend";
  overlapped.requests = profile::RequestLifetimes{500, 1.0, 0.002, 0.05, 0.95};
  EXPECT_TRUE(run(recommend_overlap, workload({busy, overlapped}), models_with(shared_memory())).empty());
}

TEST(Overlap, WithoutOverlapModelNotSignificant) {
  HardwareModels models = models_with(shared_memory());
  models.overlap.clear();
  const auto made = run(recommend_overlap, workload({exchange_site()}), models);
  ASSERT_EQ(made.size(), 1u);
  EXPECT_FALSE(made.front().gain.significant);
}

// ---- all rules -----------------------------------------------------------------------------------

TEST(Recommend, SignificantFirstThenByGainAndNumbered) {
  auto signature = workload({site(1, "MPI_Send", 64, 10000, 0.5), compressible_site(), late_sender_site()});
  signature.sites[1].callsite_id = 2;
  signature.sites[2].callsite_id = 3;
  const profile::Profile profile = make_profile(2);
  const HardwareModels models = models_with(shared_memory());
  const auto all = recommend({profile, signature, models, "/tmp"});
  ASSERT_GE(all.size(), 3u);
  for (std::size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i].rank, int(i + 1));
  for (std::size_t i = 1; i < all.size(); ++i) {
    EXPECT_FALSE(!all[i - 1].gain.significant && all[i].gain.significant);
    if (all[i - 1].gain.significant == all[i].gain.significant) EXPECT_GE(all[i - 1].gain.seconds, all[i].gain.seconds);
  }
}

TEST(BoundedGain, ClampsToTheBoundAndNeedsAPositiveLowEnd) {
  const PredictedGain clamped = bounded_gain(0.1, 0.5, 0.2, 0.8, 1.0);
  EXPECT_DOUBLE_EQ(clamped.seconds, 0.1);
  EXPECT_DOUBLE_EQ(clamped.ci_high_s, 0.1);
  EXPECT_TRUE(clamped.significant);
  EXPECT_FALSE(bounded_gain(1.0, 0.1, -0.05, 0.25, 1.0).significant);
  EXPECT_FALSE(bounded_gain(1.0, 0.005, 0.001, 0.009, 1.0).significant);  // below the practical threshold
}

}  // namespace
}  // namespace commtune::analysis
