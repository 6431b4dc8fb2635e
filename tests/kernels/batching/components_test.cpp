// Unit tests of the batching components without MPI: MessageAggregator, BatchUnpacker, the codecs,
// the byte shuffle and the frame encoding CompressedChannel uses.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "commtune/kernels/batching/codec.hpp"
#include "commtune/kernels/batching/compressed_channel.hpp"
#include "commtune/kernels/batching/message_aggregator.hpp"

namespace {

using namespace commtune::kernels::batching;
using namespace std::chrono_literals;

std::vector<std::byte> bytes_of(const std::string& text) {
  std::vector<std::byte> out(text.size());
  std::memcpy(out.data(), text.data(), text.size());
  return out;
}

std::string text_of(std::span<const std::byte> bytes) {
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

std::vector<std::byte> random_bytes(std::size_t n, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::byte> out(n);
  for (auto& b : out) b = std::byte(rng() & 0xff);
  return out;
}

std::vector<std::byte> smooth_doubles(std::size_t count) {
  std::vector<double> values(count);
  for (std::size_t i = 0; i < count; ++i) values[i] = 100.0 + std::sin(1e-3 * double(i));
  std::vector<std::byte> out(count * 8);
  std::memcpy(out.data(), values.data(), out.size());
  return out;
}

// Collects flushed batches and unpacks them in arrival order.
struct Collector {
  std::vector<Batch> batches;
  MessageAggregator::FlushHandler handler() {
    return [this](Batch&& batch) { batches.push_back(std::move(batch)); };
  }
  std::vector<std::string> messages() const {
    std::vector<std::string> out;
    BatchUnpacker unpacker([&](std::uint64_t, std::span<const std::byte> m) { out.push_back(text_of(m)); });
    for (const Batch& batch : batches) unpacker.push(batch.bytes.view());
    return out;
  }
};

TEST(ByteBuffer, MovedFromBufferIsEmptyAndReusable) {
  ByteBuffer a;
  a.append("hello", 5);
  ByteBuffer b = std::move(a);
  EXPECT_EQ(b.size(), 5u);
  EXPECT_EQ(a.size(), 0u);
  EXPECT_EQ(a.capacity(), 0u);
  a.append("x", 1);  // must allocate, not write through a null pointer
  EXPECT_EQ(a.size(), 1u);
  EXPECT_EQ(text_of(b.view()), "hello");
}

TEST(MessageAggregator, DeliversMessagesInOrderAcrossBatches) {
  Collector collector;
  MessageAggregator aggregator({.batch_bytes = 64}, collector.handler());
  std::vector<std::string> sent;
  for (int i = 0; i < 100; ++i) {
    sent.push_back("message-" + std::to_string(i) + std::string(std::size_t(i % 7), 'x'));
    const auto bytes = bytes_of(sent.back());
    aggregator.add(bytes);
  }
  aggregator.flush();
  EXPECT_GT(collector.batches.size(), 10u);
  EXPECT_EQ(collector.messages(), sent);
  std::uint64_t expected_first = 0;
  for (const Batch& batch : collector.batches) {
    EXPECT_EQ(batch.first_sequence, expected_first);
    EXPECT_LE(batch.bytes.size(), 64u);
    expected_first += batch.message_count;
  }
  EXPECT_EQ(expected_first, 100u);
}

TEST(MessageAggregator, FlushesOnSizeBeforeExceedingBatchBytes) {
  Collector collector;
  // Header 16 + 3 frames of (4 + 20) = 88 <= 100; a fourth frame would make 112.
  MessageAggregator aggregator({.batch_bytes = 100}, collector.handler());
  const std::vector<std::byte> message(20, std::byte{7});
  for (int i = 0; i < 3; ++i) aggregator.add(message);
  EXPECT_TRUE(collector.batches.empty());
  EXPECT_EQ(aggregator.pending_messages(), 3u);
  EXPECT_EQ(aggregator.pending_bytes(), 88u);
  aggregator.add(message);
  ASSERT_EQ(collector.batches.size(), 1u);
  EXPECT_EQ(collector.batches[0].message_count, 3u);
  EXPECT_EQ(collector.batches[0].bytes.size(), 88u);
  EXPECT_EQ(collector.batches[0].reason, FlushReason::size);
  EXPECT_EQ(aggregator.pending_messages(), 1u);
}

TEST(MessageAggregator, FlushesImmediatelyWhenABatchIsExactlyFull) {
  Collector collector;
  MessageAggregator aggregator({.batch_bytes = 16 + 2 * 24}, collector.handler());
  const std::vector<std::byte> message(20, std::byte{1});
  aggregator.add(message);
  EXPECT_TRUE(collector.batches.empty());
  aggregator.add(message);
  ASSERT_EQ(collector.batches.size(), 1u);
  EXPECT_EQ(collector.batches[0].reason, FlushReason::size);
  EXPECT_EQ(aggregator.pending_messages(), 0u);
}

TEST(MessageAggregator, OversizedMessageTravelsAlone) {
  Collector collector;
  MessageAggregator aggregator({.batch_bytes = 64}, collector.handler());
  const auto small = bytes_of("tiny");
  const std::vector<std::byte> big(1000, std::byte{42});
  aggregator.add(small);
  aggregator.add(big);
  aggregator.add(small);
  aggregator.flush();
  ASSERT_EQ(collector.batches.size(), 3u);
  EXPECT_EQ(collector.batches[0].message_count, 1u);
  EXPECT_EQ(collector.batches[1].message_count, 1u);
  EXPECT_EQ(collector.batches[1].bytes.size(), 16u + 4u + 1000u);
  EXPECT_EQ(collector.messages(), (std::vector<std::string>{"tiny", std::string(1000, char(42)), "tiny"}));
}

TEST(MessageAggregator, FlushesOnCount) {
  Collector collector;
  MessageAggregator aggregator({.batch_bytes = 1 << 20, .batch_count = 5}, collector.handler());
  const auto message = bytes_of("abc");
  for (int i = 0; i < 12; ++i) aggregator.add(message);
  ASSERT_EQ(collector.batches.size(), 2u);
  for (const Batch& batch : collector.batches) {
    EXPECT_EQ(batch.message_count, 5u);
    EXPECT_EQ(batch.reason, FlushReason::count);
  }
  EXPECT_EQ(aggregator.pending_messages(), 2u);  // a partial batch waits
  aggregator.flush();
  ASSERT_EQ(collector.batches.size(), 3u);
  EXPECT_EQ(collector.batches[2].message_count, 2u);
  EXPECT_EQ(collector.batches[2].reason, FlushReason::explicit_call);
  EXPECT_EQ(aggregator.stats().flushes_by_count, 2u);
  EXPECT_EQ(aggregator.stats().flushes_explicit, 1u);
}

TEST(MessageAggregator, FlushesOnTimeWhenPolled) {
  Collector collector;
  MessageAggregator aggregator({.batch_bytes = 1 << 20, .flush_interval = 2000us}, collector.handler());
  aggregator.add(bytes_of("first"));
  EXPECT_FALSE(aggregator.poll());  // far less than 2 ms old
  EXPECT_TRUE(collector.batches.empty());
  std::this_thread::sleep_for(5ms);
  EXPECT_TRUE(aggregator.poll());
  ASSERT_EQ(collector.batches.size(), 1u);
  EXPECT_EQ(collector.batches[0].reason, FlushReason::time);
  EXPECT_FALSE(aggregator.poll());  // nothing pending
  EXPECT_EQ(collector.messages(), std::vector<std::string>{"first"});
}

TEST(MessageAggregator, AddChecksTheClockEverySixtyFourMessages) {
  Collector collector;
  MessageAggregator aggregator({.batch_bytes = 1 << 20, .flush_interval = 1000us}, collector.handler());
  const auto message = bytes_of("m");
  aggregator.add(message);
  std::this_thread::sleep_for(3ms);
  for (int i = 0; i < 62; ++i) aggregator.add(message);
  EXPECT_TRUE(collector.batches.empty());  // 63 messages: not yet looked at the clock
  aggregator.add(message);                 // the 64th looks and finds the batch overdue
  ASSERT_EQ(collector.batches.size(), 1u);
  EXPECT_EQ(collector.batches[0].reason, FlushReason::time);
  EXPECT_EQ(collector.batches[0].message_count, 64u);
}

TEST(MessageAggregator, NoTimeFlushWhenIntervalIsZero) {
  Collector collector;
  MessageAggregator aggregator({.batch_bytes = 1 << 20}, collector.handler());
  aggregator.add(bytes_of("x"));
  std::this_thread::sleep_for(2ms);
  EXPECT_FALSE(aggregator.poll());
  EXPECT_TRUE(collector.batches.empty());
}

TEST(MessageAggregator, ExplicitFlushOfNothingSendsNothing) {
  Collector collector;
  MessageAggregator aggregator({.batch_bytes = 256}, collector.handler());
  aggregator.flush();
  EXPECT_TRUE(collector.batches.empty());
  EXPECT_EQ(aggregator.stats().batches, 0u);
}

TEST(MessageAggregator, EmptyMessagesAreDelivered) {
  Collector collector;
  MessageAggregator aggregator({.batch_bytes = 64}, collector.handler());
  const std::vector<std::byte> empty;
  for (int i = 0; i < 20; ++i) aggregator.add(empty);  // 4 bytes each: 12 per 64-byte batch
  aggregator.flush();
  EXPECT_EQ(collector.batches.size(), 2u);
  const auto messages = collector.messages();
  ASSERT_EQ(messages.size(), 20u);
  for (const auto& m : messages) EXPECT_TRUE(m.empty());
}

TEST(MessageAggregator, RecycledBuffersAreReused) {
  std::vector<Batch> batches;
  MessageAggregator* self = nullptr;
  const std::byte* first_buffer = nullptr;
  int reused = 0;
  MessageAggregator aggregator({.batch_bytes = 128}, [&](Batch&& batch) {
    if (first_buffer == nullptr)
      first_buffer = batch.bytes.data();
    else if (batch.bytes.data() == first_buffer)
      ++reused;
    self->recycle(std::move(batch.bytes));
  });
  self = &aggregator;
  const std::vector<std::byte> message(50, std::byte{3});
  for (int i = 0; i < 10; ++i) aggregator.add(message);
  EXPECT_GT(reused, 0);
}

TEST(MessageAggregator, RejectsTooSmallBatches) {
  EXPECT_THROW(MessageAggregator({.batch_bytes = 10}, [](Batch&&) {}), std::invalid_argument);
}

TEST(BatchUnpacker, HoldsBackEarlyBatchesAndDeliversInSequence) {
  Collector collector;
  MessageAggregator aggregator({.batch_bytes = 1 << 20, .batch_count = 3}, collector.handler());
  for (int i = 0; i < 9; ++i) aggregator.add(bytes_of(std::to_string(i)));
  ASSERT_EQ(collector.batches.size(), 3u);
  std::vector<std::pair<std::uint64_t, std::string>> delivered;
  BatchUnpacker unpacker(
      [&](std::uint64_t seq, std::span<const std::byte> m) { delivered.emplace_back(seq, text_of(m)); });
  unpacker.push(collector.batches[2].bytes.view());
  unpacker.push(collector.batches[1].bytes.view());
  EXPECT_TRUE(delivered.empty());
  EXPECT_EQ(unpacker.held_batches(), 2u);
  unpacker.push(collector.batches[0].bytes.view());
  ASSERT_EQ(delivered.size(), 9u);
  for (std::size_t i = 0; i < 9; ++i) {
    EXPECT_EQ(delivered[i].first, i);
    EXPECT_EQ(delivered[i].second, std::to_string(i));
  }
  EXPECT_EQ(unpacker.next_sequence(), 9u);
  EXPECT_EQ(unpacker.held_batches(), 0u);
  EXPECT_THROW(unpacker.push(collector.batches[0].bytes.view()), std::runtime_error);  // duplicate
}

TEST(BatchUnpacker, RejectsMalformedBatchesWithoutDeliveringAnything) {
  Collector collector;
  MessageAggregator aggregator({.batch_bytes = 1 << 20}, collector.handler());
  aggregator.add(bytes_of("hello"));
  aggregator.add(bytes_of("world"));
  aggregator.flush();
  const auto whole = collector.batches[0].bytes.view();
  int delivered = 0;
  BatchUnpacker unpacker([&](std::uint64_t, std::span<const std::byte>) { ++delivered; });
  EXPECT_THROW(unpacker.push(whole.first(whole.size() - 1)), std::runtime_error);  // truncated
  EXPECT_THROW(unpacker.push(whole.first(8)), std::runtime_error);                 // short header
  std::vector<std::byte> bad_magic(whole.begin(), whole.end());
  bad_magic[0] = std::byte{0};
  EXPECT_THROW(unpacker.push(bad_magic), std::runtime_error);
  EXPECT_EQ(delivered, 0);
  unpacker.push(whole);
  EXPECT_EQ(delivered, 2);
}

TEST(ByteShuffle, MatchesTheDefinitionAndRoundTrips) {
  for (std::size_t element_bytes : {1u, 2u, 4u, 8u, 3u}) {
    for (std::size_t size : {0u, 1u, 7u, 8u, 63u, 64u, 65u, 1000u, 4099u}) {
      const auto input = random_bytes(size, unsigned(size * 31 + element_bytes));
      std::vector<std::byte> shuffled(size), restored(size);
      byte_shuffle(input, shuffled, element_bytes);
      const std::size_t elements = size / element_bytes;
      for (std::size_t i = 0; i < elements; ++i) {
        for (std::size_t k = 0; k < element_bytes; ++k) {
          ASSERT_EQ(shuffled[k * elements + i], input[i * element_bytes + k])
              << "element_bytes " << element_bytes << " size " << size << " i " << i << " k " << k;
        }
      }
      for (std::size_t t = elements * element_bytes; t < size; ++t) ASSERT_EQ(shuffled[t], input[t]);
      byte_unshuffle(shuffled, restored, element_bytes);
      EXPECT_EQ(restored, input) << "element_bytes " << element_bytes << " size " << size;
    }
  }
}

TEST(Codec, LevelRangesDependOnTheCodec) {
  EXPECT_FALSE(check_level(Codec::zstd, 22));
  EXPECT_FALSE(check_level(Codec::zstd, -7));
  EXPECT_FALSE(check_level(Codec::zlib, 0));
  EXPECT_FALSE(check_level(Codec::none, 0));
  ASSERT_TRUE(check_level(Codec::zlib, 12));
  EXPECT_NE(check_level(Codec::zlib, 12)->find("1 .. 9"), std::string::npos);
  EXPECT_TRUE(check_level(Codec::lz4, -1));
  EXPECT_TRUE(check_level(Codec::lz4, 13));
  EXPECT_TRUE(check_level(Codec::none, 3));
  EXPECT_THROW(BlockCodec(Codec::zlib, 10), std::invalid_argument);
  EXPECT_EQ(BlockCodec(Codec::zlib, 0).level(), 6);
  EXPECT_EQ(parse_codec("zstd"), Codec::zstd);
  EXPECT_FALSE(parse_codec("gzip"));
}

// Round trip through BlockCodec for every codec and every level it accepts.
TEST(Codec, RoundTripsEveryCodecAndLevel) {
  auto data = smooth_doubles(4096);
  const auto text = bytes_of(std::string(2000, 'a') + "some text, some text, some more text");
  data.insert(data.end(), text.begin(), text.end());
  for (Codec codec : {Codec::none, Codec::lz4, Codec::zstd, Codec::zlib}) {
    const LevelRange range = level_range(codec);
    for (int level = range.min; level <= range.max; ++level) {
      BlockCodec block(codec, level);
      std::vector<std::byte> compressed(block.compress_bound(data.size()));
      const std::size_t n = block.compress(data, compressed);
      ASSERT_GT(n, 0u) << to_string(codec) << " level " << level;
      if (codec != Codec::none) EXPECT_LT(n, data.size()) << to_string(codec) << " level " << level;
      std::vector<std::byte> restored(data.size());
      block.decompress(std::span(compressed).first(n), restored);
      EXPECT_EQ(restored, data) << to_string(codec) << " level " << level;
    }
  }
}

TEST(Codec, CorruptInputIsRejected) {
  const auto data = smooth_doubles(1024);
  for (Codec codec : {Codec::lz4, Codec::zstd, Codec::zlib}) {
    BlockCodec block(codec, 0);
    std::vector<std::byte> compressed(block.compress_bound(data.size()));
    const std::size_t n = block.compress(data, compressed);
    std::vector<std::byte> restored(data.size() + 1);  // wrong expected size
    EXPECT_THROW(block.decompress(std::span(compressed).first(n), restored), std::runtime_error) << to_string(codec);
  }
}

TEST(Codec, TooSmallOutputReturnsZero) {
  const auto data = random_bytes(4096, 5);
  for (Codec codec : {Codec::lz4, Codec::zstd, Codec::zlib}) {
    BlockCodec block(codec, 0);
    std::vector<std::byte> small(100);
    EXPECT_EQ(block.compress(data, small), 0u) << to_string(codec);
  }
}

struct FrameCase {
  Codec codec;
  int level;
  bool shuffle;
};

void PrintTo(const FrameCase& c, std::ostream* out) {
  *out << to_string(c.codec) << " level " << c.level << (c.shuffle ? " shuffle" : "");
}

class FrameRoundTrip : public ::testing::TestWithParam<FrameCase> {};

TEST_P(FrameRoundTrip, CompressibleDataIsCompressedAndRestored) {
  const FrameCase c = GetParam();
  FrameCodec sender({.codec = c.codec, .level = c.level, .shuffle = c.shuffle});
  FrameCodec receiver({.codec = c.codec, .level = c.level, .shuffle = c.shuffle});
  for (std::size_t count : {16u, 1000u, 100003u}) {
    auto data = smooth_doubles(count);
    data.push_back(std::byte{9});  // a tail that is not a whole element
    ByteBuffer frame;
    const bool compressed = sender.encode(data, frame);
    std::vector<std::byte> wire(frame.data(), frame.data() + frame.size());
    if (!compressed) wire.insert(wire.end(), data.begin(), data.end());
    // lz4 finds no 4-byte repeats in unshuffled doubles of a smooth field; the others do.
    const bool should_compress = c.codec != Codec::none && (c.shuffle || c.codec != Codec::lz4);
    if (should_compress && count >= 1000) EXPECT_TRUE(compressed) << count;
    const FrameHeader header = FrameCodec::read_header(wire);
    EXPECT_EQ(header.raw_bytes, data.size());
    EXPECT_EQ((header.flags & FrameHeader::kShuffled) != 0, compressed && c.shuffle);
    const auto restored = receiver.decode(wire);
    EXPECT_TRUE(std::equal(restored.begin(), restored.end(), data.begin(), data.end())) << count;
  }
}

INSTANTIATE_TEST_SUITE_P(AllCodecs, FrameRoundTrip,
                         ::testing::Values(FrameCase{Codec::none, 0, false}, FrameCase{Codec::lz4, 1, false},
                                           FrameCase{Codec::lz4, 9, true}, FrameCase{Codec::zstd, 1, false},
                                           FrameCase{Codec::zstd, 1, true}, FrameCase{Codec::zstd, -5, true},
                                           FrameCase{Codec::zstd, 19, false}, FrameCase{Codec::zlib, 1, true},
                                           FrameCase{Codec::zlib, 9, false}));

TEST(FrameCodec, IncompressibleDataFallsBackToRaw) {
  for (Codec codec : {Codec::lz4, Codec::zstd, Codec::zlib}) {
    FrameCodec frames({.codec = codec, .level = 0, .shuffle = true});
    const auto data = random_bytes(65536, 17);
    ByteBuffer frame;
    EXPECT_FALSE(frames.encode(data, frame)) << to_string(codec);
    EXPECT_EQ(frame.size(), kFrameHeaderBytes);  // only the header: the payload is the message itself
    const FrameHeader header = FrameCodec::read_header(frame.view());
    EXPECT_EQ(header.flags, 0);
    std::vector<std::byte> wire(frame.data(), frame.data() + frame.size());
    wire.insert(wire.end(), data.begin(), data.end());
    const auto restored = frames.decode(wire);
    EXPECT_TRUE(std::equal(restored.begin(), restored.end(), data.begin(), data.end()));
  }
}

TEST(FrameCodec, SmallAndEmptyMessagesGoRaw) {
  FrameCodec frames({.codec = Codec::zstd, .min_compress_bytes = 64});
  for (std::size_t size : {0u, 1u, 63u}) {
    const std::vector<std::byte> zeros(size, std::byte{0});  // compressible, but too small to bother
    ByteBuffer frame;
    EXPECT_FALSE(frames.encode(zeros, frame)) << size;
    std::vector<std::byte> wire(frame.data(), frame.data() + frame.size());
    wire.insert(wire.end(), zeros.begin(), zeros.end());
    EXPECT_EQ(frames.decode(wire).size(), size);
  }
  const std::vector<std::byte> zeros(64, std::byte{0});
  ByteBuffer frame;
  EXPECT_TRUE(frames.encode(zeros, frame));
}

TEST(FrameCodec, MalformedFramesAreRejected) {
  FrameCodec frames({.codec = Codec::zstd});
  const auto data = smooth_doubles(1000);
  ByteBuffer frame;
  ASSERT_TRUE(frames.encode(data, frame));
  std::vector<std::byte> wire(frame.data(), frame.data() + frame.size());
  EXPECT_THROW(frames.decode(std::span(wire).first(10)), std::runtime_error);
  auto truncated = wire;
  truncated.resize(truncated.size() - 5);
  EXPECT_THROW(frames.decode(truncated), std::runtime_error);
  auto other_version = wire;
  other_version[0] = std::byte{99};
  EXPECT_THROW(frames.decode(other_version), std::runtime_error);
  FrameCodec lz4_frames({.codec = Codec::lz4});
  EXPECT_THROW(lz4_frames.decode(wire), std::runtime_error);  // compressed by another codec
}

}  // namespace
