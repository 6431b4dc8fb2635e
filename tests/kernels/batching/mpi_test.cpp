// MPI tests of the batching kernel and CompressedChannel (run with 2 and 4 ranks):
//  - CompressedChannel delivers every message intact around a ring, compressed or raw, for each codec;
//  - every variant of the "batching" kernel delivers the same data (checksum) as the baseline, for
//    every data kind and several batch/flush/codec settings.
// Prints one line per failed check; exit code 1 when any failed.
#include <mpi.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "commtune/kernels/batching/compressed_channel.hpp"
#include "commtune/kernels/kernel.hpp"
#include "commtune/kernels/measure.hpp"
#include "support/mpi_check.hpp"

namespace {

using namespace commtune::kernels;
using namespace commtune::kernels::batching;

using test::check;
using test::rank;

// Messages rank `sender` sends: empty, tiny, compressible, incompressible small and large.
std::vector<std::vector<std::byte>> messages_of(int sender) {
  std::vector<std::vector<std::byte>> messages;
  messages.emplace_back();
  messages.emplace_back(10, std::byte(sender));
  std::vector<double> smooth(12800);
  for (std::size_t i = 0; i < smooth.size(); ++i) smooth[i] = sender + std::sin(1e-3 * double(i));
  messages.emplace_back(smooth.size() * 8);
  std::memcpy(messages.back().data(), smooth.data(), messages.back().size());
  messages.emplace_back(1000);
  fill_pattern(messages.back().data(), 1000, 11 + sender);
  messages.emplace_back(100 * 1024);  // raw, sent from the caller's buffer
  fill_pattern(messages.back().data(), messages.back().size(), 23 + sender);
  return messages;
}

void test_channel(MPI_Comm comm, int ranks) {
  const int right = (rank + 1) % ranks, left = (rank + ranks - 1) % ranks;
  const auto mine = messages_of(rank);
  const auto expected = messages_of(left);
  for (Codec codec : {Codec::none, Codec::lz4, Codec::zstd, Codec::zlib}) {
    for (bool shuffle : {false, true}) {
      const std::string label = std::string(to_string(codec)) + (shuffle ? "+shuffle" : "");
      CompressedChannel channel(comm, {.codec = codec, .level = 0, .shuffle = shuffle});
      for (int round = 0; round < 2; ++round) {
        for (const auto& message : mine) channel.send(message, right, 5);
        for (std::size_t i = 0; i < expected.size(); ++i) {
          MPI_Status status;
          std::span<const std::byte> got;
          if (round == 1) {
            // Exercise try_receive: poll until the message is there.
            std::optional<std::span<const std::byte>> maybe;
            while (!(maybe = channel.try_receive(MPI_ANY_SOURCE, 5, &status))) {
            }
            got = *maybe;
          } else {
            got = channel.receive(left, 5, &status);
          }
          check(status.MPI_SOURCE == left, label + ": source");
          check(got.size() == expected[i].size() && std::equal(got.begin(), got.end(), expected[i].begin()),
                label + ": message " + std::to_string(i) + " differs");
        }
        channel.wait_sends();
      }
      const ChannelStats& stats = channel.stats();
      check(stats.messages_sent == 2 * mine.size() && stats.messages_received == 2 * mine.size(), label + ": counts");
      if (codec == Codec::none || (codec == Codec::lz4 && !shuffle)) {
        // lz4 finds no 4-byte repeats in unshuffled doubles of a smooth field: all raw.
        check(stats.messages_compressed == 0, label + ": expected nothing compressed");
        check(stats.compression_ratio() < 1.0, label + ": raw frames still carry headers");
      } else {
        // The smooth field compresses; random data, the empty and the tiny message go raw.
        check(stats.messages_compressed == 2, label + ": expected exactly the smooth message compressed, got " +
                                                  std::to_string(stats.messages_compressed));
        check(stats.compression_ratio() > 1.0, label + ": no saving");
      }
      MPI_Barrier(comm);
    }
  }
}

std::string run_kernel(Kernel& kernel, std::map<std::string, std::string> overrides, const std::string& label) {
  const ParamSet params = kernel.declaration().params.resolve(overrides);
  const KernelResult result = kernel.run(params, RunOptions{.iterations = 1, .warmup = 0}, MPI_COMM_WORLD);
  check(result.iteration_times_s.size() == 1, label + ": iteration count");
  const auto verified = result.notes.find("delivery_verified");
  check(verified != result.notes.end() && verified->second == "yes", label + ": delivery not verified");
  return result.checksum;
}

void test_kernel() {
  Kernel* kernel = KernelRegistry::instance().find("batching");
  check(kernel != nullptr, "batching kernel registered");
  if (!kernel) return;
  check(kernel->declaration().baseline_variant == "individual", "baseline variant");
  const std::vector<std::map<std::string, std::string>> configurations = {
      {{"message_count", "1000"}},
      {{"message_count", "300"}, {"message_bytes", "0"}},
      {{"message_count", "16"}, {"message_bytes", "64K"}, {"batch_bytes", "16K"}, {"codec", "lz4"}},
      {{"message_count", "500"},
       {"message_bytes", "100"},
       {"batch_count", "7"},
       {"flush_interval_us", "1"},
       {"codec", "zlib"},
       {"level", "1"}},
      {{"message_count", "700"}, {"message_bytes", "24"}, {"batch_bytes", "64"}, {"codec", "none"}},
      {{"message_count", "400"}, {"message_bytes", "1K"}, {"shuffle", "true"}, {"codec", "zstd"}, {"level", "1"}},
  };
  const std::vector<std::string> variants = {"individual", "batched", "compressed", "batched_compressed"};
  // Every data kind with the default configuration, the other configurations with one data kind
  // each: oversubscribed MPICH makes each run cost a scheduler time slice, so the list stays short.
  const std::vector<const char*> kinds = {"random", "smooth", "ids"};
  for (std::size_t k = 0; k < kinds.size(); ++k) {
    for (std::size_t c = 0; c < configurations.size(); ++c) {
      if (c != 0 && c % kinds.size() != k) continue;
      const char* data = kinds[k];
      auto overrides = configurations[c];
      overrides["data"] = data;
      std::string baseline;
      for (const std::string& variant : variants) {
        overrides["variant"] = variant;
        const std::string label = std::string(data) + " config " + std::to_string(c) + " " + variant;
        const std::string checksum = run_kernel(*kernel, overrides, label);
        if (variant == "individual") baseline = checksum;
        check(checksum == baseline, label + ": checksum " + checksum + " differs from baseline " + baseline);
        if (rank == 0 && std::getenv("BATCHING_TEST_TIMES")) std::printf("%.3f %s\n", MPI_Wtime(), label.c_str());
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  test::init(argc, argv);
  const int ranks = test::ranks;
  try {
    test_channel(MPI_COMM_WORLD, ranks);
    test_kernel();
  } catch (const std::exception& error) {
    std::fprintf(stderr, "rank %d: exception: %s\n", rank, error.what());
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  return test::finish();
}
