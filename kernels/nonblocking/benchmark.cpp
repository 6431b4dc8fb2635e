// Kernel 1, "nonblocking" (declared in declaration.cpp): blocking MPI_Send/MPI_Recv against MPI_Isend/MPI_Irecv + wait,
// for a root fan-out (the article's example: a root hands work to every other rank), a ring of shifts and a 1-D
// periodic halo exchange.
//
// Message plan (identical for both variants, so the delivered data and the checksum are too):
//   fanout: rank 0 sends `messages_per_peer` messages to each of ranks 1..P, P = min(peers, n-1).
//   ring:   for every shift k = 1..P (P = min(peers, n-1)) rank r sends to r+k and receives from r-k.
//   halo:   for every depth k = 1..P (P = min(peers, max(1, (n-1)/2))) rank r exchanges with r+k and
//           r-k, i.e. shifts +k and -k.
// Every message carries a pattern seeded by (source, destination, shift, index), so a message that
// lands in the wrong buffer changes the checksum.
//
// The blocking variant is the naive code that is still correct for any message size: in a shift, the
// lowest rank of each cycle sends first and everybody else receives first, so the shift proceeds as
// a chain around the ring (n steps instead of one). The nonblocking variant pre-posts every receive
// (a RequestWindow as large as the receive count) and keeps at most `window` sends in flight.
#include <fmt/core.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "commtune/kernels/builtin.hpp"
#include "commtune/kernels/measure.hpp"
#include "commtune/kernels/nonblocking/limits.hpp"
#include "commtune/kernels/nonblocking/request_window.hpp"

namespace commtune::kernels {
namespace {

using nonblocking::kMaxBytesPerRank;

struct Message {
  int peer;    // destination of a send, source of a receive
  int tag;     // 2 * index + direction: direction separates +k and -k when they reach the same rank
  int shift;   // signed shift (fan-out: the destination rank), part of the data seed
  int index;   // 0 .. messages_per_peer-1
  bool first;  // blocking variant: this rank sends this shift before receiving it
};

struct Plan {
  std::vector<Message> sends;
  std::vector<Message> receives;  // in the order the blocking variant receives them
  int effective_peers = 0;
};

std::uint64_t seed_of(int source, int dest, int shift, int index) {
  return (std::uint64_t(std::uint32_t(source)) << 40) ^ (std::uint64_t(std::uint32_t(dest)) << 20) ^
         (std::uint64_t(std::uint32_t(shift + 4096)) << 10) ^ std::uint64_t(index) ^ 0x6e6f6e626c6bULL;
}

Plan make_plan(const std::string& pattern, int peers, int messages, int rank, int ranks) {
  Plan plan;
  if (ranks < 2) return plan;
  if (pattern == "fanout") {
    plan.effective_peers = std::min(peers, ranks - 1);
    for (int dest = 1; dest <= plan.effective_peers; ++dest) {
      for (int m = 0; m < messages; ++m) {
        if (rank == 0) plan.sends.push_back({dest, 2 * m, dest, m, true});
        if (rank == dest) plan.receives.push_back({0, 2 * m, dest, m, false});
      }
    }
    return plan;
  }
  std::vector<int> shifts;
  if (pattern == "ring") {
    plan.effective_peers = std::min(peers, ranks - 1);
    for (int k = 1; k <= plan.effective_peers; ++k) shifts.push_back(k);
  } else {  // halo
    plan.effective_peers = std::min(peers, std::max(1, (ranks - 1) / 2));
    for (int k = 1; k <= plan.effective_peers; ++k) {
      shifts.push_back(k);
      shifts.push_back(-k);
    }
  }
  for (int shift : shifts) {
    const int step = ((shift % ranks) + ranks) % ranks;
    const int cycles = std::gcd(ranks, step);
    const bool starter = rank < cycles;  // lowest rank of its cycle {r, r+step, r+2 step, ...}
    const int direction = shift > 0 ? 0 : 1;
    for (int m = 0; m < messages; ++m) {
      plan.sends.push_back({(rank + step) % ranks, 2 * m + direction, shift, m, starter});
      plan.receives.push_back({(rank - step + ranks) % ranks, 2 * m + direction, shift, m, starter});
    }
  }
  return plan;
}

struct Buffers {
  std::vector<std::vector<unsigned char>> send;     // one per planned send, filled with its pattern
  std::vector<std::vector<unsigned char>> receive;  // one per planned receive
};

Buffers make_buffers(const Plan& plan, std::size_t bytes, int rank) {
  const auto buffer_bytes = std::int64_t(bytes) * std::int64_t(plan.sends.size() + plan.receives.size());
  if (buffer_bytes > kMaxBytesPerRank) {
    // Same decision on every rank of a symmetric pattern; for fan-out rank 0 holds the most.
    throw std::invalid_argument(
        fmt::format("rank {} would need {} MiB of message buffers (limit {} MiB): lower message_bytes, peers or "
                    "messages_per_peer",
                    rank, buffer_bytes >> 20, kMaxBytesPerRank >> 20));
  }
  Buffers buffers{
      .send = std::vector<std::vector<unsigned char>>(plan.sends.size(), std::vector<unsigned char>(bytes)),
      .receive = std::vector<std::vector<unsigned char>>(plan.receives.size(), std::vector<unsigned char>(bytes))};
  for (std::size_t i = 0; i < plan.sends.size(); ++i) {
    const Message& m = plan.sends[i];
    fill_pattern(buffers.send[i].data(), bytes, seed_of(rank, m.peer, m.shift, m.index));
  }
  return buffers;
}

// The naive variant: messages of one shift are contiguous in both lists; walk the shifts in order.
void blocking_once(const Plan& plan, Buffers& buffers, int count, MPI_Comm comm) {
  std::size_t s = 0;
  std::size_t r = 0;
  auto send_shift = [&] {
    const int shift = plan.sends[s].shift;
    for (; s < plan.sends.size() && plan.sends[s].shift == shift; ++s) {
      MPI_Send(buffers.send[s].data(), count, MPI_BYTE, plan.sends[s].peer, plan.sends[s].tag, comm);
    }
  };
  auto receive_shift = [&] {
    const int shift = plan.receives[r].shift;
    for (; r < plan.receives.size() && plan.receives[r].shift == shift; ++r) {
      MPI_Recv(buffers.receive[r].data(), count, MPI_BYTE, plan.receives[r].peer, plan.receives[r].tag, comm,
               MPI_STATUS_IGNORE);
    }
  };
  while (s < plan.sends.size() || r < plan.receives.size()) {
    const bool send_first = s < plan.sends.size() && (plan.sends[s].first || r >= plan.receives.size());
    if (send_first) {
      send_shift();
      if (r < plan.receives.size()) receive_shift();
    } else {
      receive_shift();
      if (s < plan.sends.size()) send_shift();
    }
  }
}

// Every receive pre-posted, at most `window` sends in flight. Returns how often a send waited for a
// free slot of the window.
std::size_t nonblocking_once(const Plan& plan, Buffers& buffers, int count, int window, MPI_Comm comm) {
  RequestWindow receives(std::max<std::size_t>(1, plan.receives.size()));
  for (std::size_t i = 0; i < plan.receives.size(); ++i) {
    receives.irecv(buffers.receive[i].data(), count, MPI_BYTE, plan.receives[i].peer, plan.receives[i].tag, comm);
  }
  RequestWindow sends(static_cast<std::size_t>(window));
  for (std::size_t i = 0; i < plan.sends.size(); ++i) {
    sends.isend(buffers.send[i].data(), count, MPI_BYTE, plan.sends[i].peer, plan.sends[i].tag, comm);
  }
  sends.wait_all();
  receives.wait_all();
  return sends.waits_for_slot();
}

std::string delivery_checksum(const Plan& plan, const Buffers& buffers, std::size_t bytes, MPI_Comm comm) {
  Checksum local;
  for (std::size_t i = 0; i < plan.receives.size(); ++i) {
    const Message& m = plan.receives[i];
    local.add_u64(std::uint64_t(m.peer)).add_u64(std::uint64_t(std::int64_t(m.shift))).add_u64(m.index);
    local.add(buffers.receive[i].data(), bytes);
  }
  return combine_checksums(local.value(), comm);
}

}  // namespace

KernelResult run_nonblocking(const ParamSet& params, const RunOptions& options, MPI_Comm comm) {
  int rank = 0;
  int ranks = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &ranks);
  const bool nonblocking = params.choice("variant") == "nonblocking";
  const auto bytes = static_cast<std::size_t>(params.integer("message_bytes"));
  const int window = static_cast<int>(params.integer("window"));
  const Plan plan = make_plan(params.choice("pattern"), static_cast<int>(params.integer("peers")),
                              static_cast<int>(params.integer("messages_per_peer")), rank, ranks);
  Buffers buffers = make_buffers(plan, bytes, rank);
  const int count = static_cast<int>(bytes);
  std::size_t waits_for_slot = 0;
  auto once = [&] {
    if (nonblocking) {
      waits_for_slot += nonblocking_once(plan, buffers, count, window, comm);
    } else {
      blocking_once(plan, buffers, count, comm);
    }
  };

  KernelResult result;
  result.iteration_times_s = time_iterations(comm, options, once);

  // One more, untimed delivery into cleared buffers: the checksum proves this variant delivered.
  for (auto& buffer : buffers.receive) std::fill(buffer.begin(), buffer.end(), 0);
  waits_for_slot = 0;  // count the window's waits in this one iteration only
  MPI_Barrier(comm);
  once();
  result.checksum = delivery_checksum(plan, buffers, bytes, comm);

  // Totals over all ranks of one iteration of the pattern.
  std::int64_t local_counts[2] = {std::int64_t(plan.sends.size()), std::int64_t(waits_for_slot)};
  std::int64_t totals[2] = {0, 0};
  MPI_Allreduce(local_counts, totals, 2, MPI_INT64_T, MPI_SUM, comm);
  const double median_s = summarize(result.iteration_times_s).median;
  const double messages = double(totals[0]);
  result.metrics["messages_per_iteration"] = messages;
  result.metrics["bytes_per_iteration"] = messages * double(bytes);
  result.metrics["effective_peers"] = plan.effective_peers;
  result.metrics["messages_per_s"] = median_s > 0 ? messages / median_s : 0;
  result.metrics["bandwidth_bytes_per_s"] = median_s > 0 ? messages * double(bytes) / median_s : 0;
  if (nonblocking) result.metrics["window_full_waits_per_iteration"] = double(totals[1]);
  result.notes["pattern_detail"] = fmt::format("{} with {} effective peer(s) over {} rank(s)", params.choice("pattern"),
                                               plan.effective_peers, ranks);
  if (ranks < 2) result.notes["warning"] = "one rank: no messages are exchanged";
  return result;
}

}  // namespace commtune::kernels
