// Speed goals of the batching components, each measured against its reference in the same run and
// in the same benchmark iteration (reference and component alternate, so load from other processes
// on a shared machine hits both alike):
//  - BM_PackVsMemcpy/<message_bytes>: MessageAggregator::add against memcpy of the same messages one
//    by one into a buffer of the batch's size; goal: pack_vs_memcpy >= 0.70;
//  - BM_EncodeVsBare/<codec>/<data>: FrameCodec::encode (what CompressedChannel::send does before
//    MPI) against the library called directly with a reused context; goal: channel_vs_bare >= 0.90;
//    BM_DecodeVsBare likewise for the receiver.
// Run: commtune-bench-batching --benchmark_repetitions=5 --benchmark_format=json \
//        | python3 kernels/batching/bench/ratios.py
#include <benchmark/benchmark.h>
#include <lz4.h>
#include <time.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "commtune/kernels/batching/compressed_channel.hpp"
#include "commtune/kernels/batching/message_aggregator.hpp"
#include "commtune/kernels/batching/payload.hpp"

namespace {

using namespace commtune::kernels::batching;

constexpr std::size_t kPayloadBytes = 1 << 20;   // messages per benchmark iteration: 1 MiB in all
constexpr std::size_t kBatchBytes = 64 * 1024;   // the kernel's default batch size
constexpr std::size_t kFrameBytes = 256 * 1024;  // one message through the codec
// Text frames are cut from one text file and kept shorter than it: a frame holding the file twice
// would let the codec find the repeat and report a ratio no real text has.
constexpr std::size_t kTextFrameBytes = 32 * 1024;
const char* const kTextSample = "/usr/share/common-licenses/GPL-3";

const std::vector<std::byte>& payload(const std::string& kind) {
  static std::map<std::string, std::vector<std::byte>> cache;
  auto it = cache.find(kind);
  if (it == cache.end()) {
    std::vector<std::byte> sample;
    if (kind == "file") sample = load_sample_file(kTextSample);
    it = cache.emplace(kind, make_payload(kind, kPayloadBytes, 0, sample)).first;
  }
  return it->second;
}

// The thread's CPU time, not wall time: on a shared machine a preempted pass would otherwise be
// charged for other processes' work. (A syscall of ~0.1-0.5 us; every timed pass is >= 20 us.)
struct Clock {
  using time_point = double;
  static double now() {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
  }
};
double seconds(double start) { return Clock::now() - start; }

// Each iteration copies 1 MiB of messages twice: once with plain memcpy into a batch-sized buffer
// (the reference), once through MessageAggregator::add (batches handed back at once, no I/O).
void BM_PackVsMemcpy(benchmark::State& state) {
  const auto message_bytes = static_cast<std::size_t>(state.range(0));
  const auto& source = payload("random");
  const std::size_t messages = kPayloadBytes / message_bytes;
  std::vector<std::byte> batch(kBatchBytes);
  MessageAggregator* self = nullptr;
  MessageAggregator aggregator(
      {.batch_bytes = kBatchBytes, .flush_interval = std::chrono::microseconds(state.range(1))}, [&](Batch&& full) {
        benchmark::DoNotOptimize(full.bytes.data());
        self->recycle(std::move(full.bytes));
      });
  self = &aggregator;
  double memcpy_s = 0, pack_s = 0;
  for (auto _ : state) {
    auto start = Clock::now();
    std::size_t offset = 0;
    for (std::size_t i = 0; i < messages; ++i) {
      if (offset + message_bytes > kBatchBytes) {
        benchmark::DoNotOptimize(batch.data());
        offset = 0;
      }
      std::memcpy(batch.data() + offset, source.data() + i * message_bytes, message_bytes);
      offset += message_bytes;
    }
    benchmark::ClobberMemory();
    memcpy_s += seconds(start);
    start = Clock::now();
    for (std::size_t i = 0; i < messages; ++i) aggregator.add({source.data() + i * message_bytes, message_bytes});
    aggregator.flush();
    benchmark::ClobberMemory();
    pack_s += seconds(start);
  }
  const double bytes = double(state.iterations()) * double(messages * message_bytes);
  state.counters["memcpy_GBps"] = bytes / memcpy_s / 1e9;
  state.counters["pack_GBps"] = bytes / pack_s / 1e9;
  state.counters["pack_ns_per_message"] = pack_s / (double(state.iterations()) * double(messages)) * 1e9;
  state.counters["pack_vs_memcpy"] = memcpy_s / pack_s;
}

// Unpacking on the receiver, for completeness (not a stated goal).
void BM_Unpack(benchmark::State& state) {
  const auto message_bytes = static_cast<std::size_t>(state.range(0));
  const auto& source = payload("random");
  const std::size_t messages = kPayloadBytes / message_bytes;
  std::vector<ByteBuffer> batches;
  MessageAggregator aggregator({.batch_bytes = kBatchBytes},
                               [&](Batch&& batch) { batches.push_back(std::move(batch.bytes)); });
  for (std::size_t i = 0; i < messages; ++i) aggregator.add({source.data() + i * message_bytes, message_bytes});
  aggregator.flush();
  std::vector<std::byte> out(kPayloadBytes);
  for (auto _ : state) {
    BatchUnpacker unpacker([&](std::uint64_t sequence, std::span<const std::byte> message) {
      std::memcpy(out.data() + sequence * message_bytes, message.data(), message.size());
    });
    for (const ByteBuffer& batch : batches) unpacker.push(batch.view());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(std::int64_t(state.iterations()) * std::int64_t(messages * message_bytes));
}

// --- codecs ---------------------------------------------------------------------------------
// The bare library, used the way a careful user would: one reused context, output buffer of the
// worst-case size allocated once.
class BareCodec {
 public:
  BareCodec(Codec codec, int level) : codec_(codec), level_(level) {
    if (codec == Codec::zstd) {
      cctx_ = ZSTD_createCCtx();
      dctx_ = ZSTD_createDCtx();
    } else if (codec == Codec::lz4) {
      lz4_state_.resize((static_cast<std::size_t>(LZ4_sizeofState()) + 7) / 8);
    } else if (codec == Codec::zlib) {
      deflateInit(&deflater_, level);
      inflateInit(&inflater_);
    }
  }
  ~BareCodec() {
    ZSTD_freeCCtx(cctx_);
    ZSTD_freeDCtx(dctx_);
    if (codec_ == Codec::zlib) {
      deflateEnd(&deflater_);
      inflateEnd(&inflater_);
    }
  }
  std::size_t compress(const std::byte* src, std::size_t n, std::byte* dst, std::size_t capacity) {
    switch (codec_) {
      case Codec::zstd:
        return ZSTD_compressCCtx(cctx_, dst, capacity, src, n, level_);
      case Codec::lz4:
        return std::size_t(LZ4_compress_fast_extState(lz4_state_.data(), reinterpret_cast<const char*>(src),
                                                      reinterpret_cast<char*>(dst), int(n), int(capacity), 1));
      case Codec::zlib:
        deflateReset(&deflater_);
        deflater_.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(src));
        deflater_.avail_in = uInt(n);
        deflater_.next_out = reinterpret_cast<Bytef*>(dst);
        deflater_.avail_out = uInt(capacity);
        deflate(&deflater_, Z_FINISH);
        return deflater_.total_out;
      case Codec::none:
        break;
    }
    return 0;
  }
  void decompress(const std::byte* src, std::size_t n, std::byte* dst, std::size_t raw) {
    switch (codec_) {
      case Codec::zstd:
        ZSTD_decompressDCtx(dctx_, dst, raw, src, n);
        break;
      case Codec::lz4:
        LZ4_decompress_safe(reinterpret_cast<const char*>(src), reinterpret_cast<char*>(dst), int(n), int(raw));
        break;
      case Codec::zlib:
        inflateReset(&inflater_);
        inflater_.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(src));
        inflater_.avail_in = uInt(n);
        inflater_.next_out = reinterpret_cast<Bytef*>(dst);
        inflater_.avail_out = uInt(raw);
        inflate(&inflater_, Z_FINISH);
        break;
      case Codec::none:
        break;
    }
  }
  std::size_t bound(std::size_t n) {
    switch (codec_) {
      case Codec::zstd:
        return ZSTD_compressBound(n);
      case Codec::lz4:
        return std::size_t(LZ4_compressBound(int(n)));
      case Codec::zlib:
        return deflateBound(&deflater_, uLong(n));
      case Codec::none:
        break;
    }
    return n;
  }

 private:
  Codec codec_;
  int level_;
  ZSTD_CCtx* cctx_ = nullptr;
  ZSTD_DCtx* dctx_ = nullptr;
  std::vector<std::uint64_t> lz4_state_;
  z_stream deflater_{};
  z_stream inflater_{};
};

struct CodecCase {
  Codec codec;
  int level;
  const char* data;
};

std::span<const std::byte> frame_input(const char* data) {
  return {payload(data).data(), std::string(data) == "file" ? kTextFrameBytes : kFrameBytes};
}

// Bare compress and channel encode of the same frame, alternating within each iteration.
void BM_EncodeVsBare(benchmark::State& state, CodecCase c) {
  const auto input = frame_input(c.data);
  BareCodec bare(c.codec, c.level);
  std::vector<std::byte> out(bare.bound(input.size()));
  FrameCodec frames({.codec = c.codec, .level = c.level});
  ByteBuffer frame;
  std::size_t written = 0;
  bool compressed = false;
  double bare_s = 0, channel_s = 0;
  for (auto _ : state) {
    auto start = Clock::now();
    written = bare.compress(input.data(), input.size(), out.data(), out.size());
    benchmark::DoNotOptimize(written);
    bare_s += seconds(start);
    start = Clock::now();
    compressed = frames.encode(input, frame);
    benchmark::DoNotOptimize(frame.data());
    channel_s += seconds(start);
  }
  const double bytes = double(state.iterations()) * double(input.size());
  state.counters["bare_GBps"] = bytes / bare_s / 1e9;
  state.counters["channel_GBps"] = bytes / channel_s / 1e9;
  state.counters["channel_vs_bare"] = bare_s / channel_s;
  state.counters["ratio"] = double(input.size()) / double(written);
  state.counters["compressed"] = compressed ? 1 : 0;  // 0: the channel sends this frame raw
}

// Bare decompress and channel decode of the same frame (compressed frames only: a raw frame is
// handed back as a view without any work).
void BM_DecodeVsBare(benchmark::State& state, CodecCase c) {
  const auto input = frame_input(c.data);
  BareCodec bare(c.codec, c.level);
  std::vector<std::byte> compressed(bare.bound(input.size()));
  const std::size_t n = bare.compress(input.data(), input.size(), compressed.data(), compressed.size());
  std::vector<std::byte> out(input.size());
  FrameCodec frames({.codec = c.codec, .level = c.level});
  ByteBuffer frame;
  if (!frames.encode(input, frame)) {
    state.SkipWithError("frame is sent raw: nothing to decode");
    return;
  }
  std::span<const std::byte> decoded;
  double bare_s = 0, channel_s = 0;
  for (auto _ : state) {
    auto start = Clock::now();
    bare.decompress(compressed.data(), n, out.data(), out.size());
    benchmark::DoNotOptimize(out.data());
    bare_s += seconds(start);
    start = Clock::now();
    decoded = frames.decode(frame.view());
    benchmark::DoNotOptimize(decoded.data());
    channel_s += seconds(start);
  }
  if (!std::equal(decoded.begin(), decoded.end(), input.begin(), input.end()) ||
      std::memcmp(out.data(), input.data(), input.size()) != 0) {
    state.SkipWithError("round trip differs");
  }
  const double bytes = double(state.iterations()) * double(input.size());
  state.counters["bare_GBps"] = bytes / bare_s / 1e9;
  state.counters["channel_GBps"] = bytes / channel_s / 1e9;
  state.counters["channel_vs_bare"] = bare_s / channel_s;
}

// Per-message cost by message size (zstd-1, shuffled smooth doubles): why small messages should be
// batched before they are compressed.
void BM_EncodeBySize(benchmark::State& state) {
  const auto message_bytes = static_cast<std::size_t>(state.range(0));
  const std::span<const std::byte> input(payload("smooth").data(), message_bytes);
  FrameCodec frames({.codec = Codec::zstd, .level = 1, .shuffle = true});
  ByteBuffer frame;
  bool compressed = false;
  for (auto _ : state) {
    compressed = frames.encode(input, frame);
    benchmark::DoNotOptimize(frame.data());
  }
  state.SetBytesProcessed(std::int64_t(state.iterations()) * std::int64_t(input.size()));
  state.counters["ratio"] = double(input.size()) / double(compressed ? frame.size() : frame.size() + input.size());
}
BENCHMARK(BM_EncodeBySize)->ArgName("message_bytes")->RangeMultiplier(4)->Range(256, 256 * 1024)->MinTime(0.2);

void register_codec_benchmarks() {
  std::vector<CodecCase> cases;
  for (const char* data : {"smooth", "ids", "random", "file"}) {
    if (std::string(data) == "file" && !std::filesystem::exists(kTextSample)) continue;
    cases.push_back({Codec::lz4, 1, data});
    cases.push_back({Codec::zstd, 1, data});
    cases.push_back({Codec::zstd, 3, data});
    cases.push_back({Codec::zlib, 1, data});
  }
  for (const CodecCase& c : cases) {
    const std::string name = std::string(to_string(c.codec)) + "-" + std::to_string(c.level) + "/" + c.data;
    benchmark::RegisterBenchmark(("BM_EncodeVsBare/" + name).c_str(), BM_EncodeVsBare, c)->MinTime(0.3);
    if (std::string(c.data) != "random") {
      benchmark::RegisterBenchmark(("BM_DecodeVsBare/" + name).c_str(), BM_DecodeVsBare, c)->MinTime(0.3);
    }
  }
}

}  // namespace

BENCHMARK(BM_PackVsMemcpy)
    ->ArgNames({"message_bytes", "flush_interval_us"})
    ->ArgsProduct({{16, 64, 256, 1024, 4096}, {0}})
    ->Args({64, 1000})
    ->MinTime(0.3);
BENCHMARK(BM_Unpack)->ArgName("message_bytes")->Arg(16)->Arg(64)->Arg(256)->Arg(1024)->Arg(4096)->MinTime(0.2);

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  register_codec_benchmarks();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
