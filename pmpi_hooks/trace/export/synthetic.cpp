#include "trace/export/synthetic.hpp"

#include <string>
#include <vector>

namespace commtune::trace {
namespace {

enum Fn : std::uint32_t {
  kInit,
  kFinalize,
  kCommSplit,
  kIrecv,
  kIsend,
  kWaitall,
  kSend,
  kRecv,
  kSendrecv,
  kAllreduce,
  kBcast,
  kIallreduce,
  kWait,
};

std::vector<Function> functions() {
  return {{"MPI_Init", Category::Lifecycle},   {"MPI_Finalize", Category::Lifecycle},
          {"MPI_Comm_split", Category::Other}, {"MPI_Irecv", Category::P2p},
          {"MPI_Isend", Category::P2p},        {"MPI_Waitall", Category::Completion},
          {"MPI_Send", Category::P2p},         {"MPI_Recv", Category::P2p},
          {"MPI_Sendrecv", Category::P2p},     {"MPI_Allreduce", Category::Collective},
          {"MPI_Bcast", Category::Collective}, {"MPI_Iallreduce", Category::Collective},
          {"MPI_Wait", Category::Completion}};
}

// Appends calls one after the other on a location: each takes 1 us, 0.5 us apart.
class Timeline {
 public:
  Timeline(Location& location, std::uint64_t start_ns) : location_(location), now_ns_(start_ns) {}

  Call& add(std::uint32_t function, std::uint32_t comm, std::uint32_t site) {
    Call& call = location_.calls.emplace_back();
    call.start_ns = now_ns_;
    call.end_ns = now_ns_ + 1000;
    call.function = function;
    call.comm = comm;
    call.site = site;
    now_ns_ += 1500;
    return call;
  }
  void skip_to(std::uint64_t time_ns) { now_ns_ = std::max(now_ns_, time_ns); }

 private:
  Location& location_;
  std::uint64_t now_ns_;
};

Completion completed(const Call& call, std::uint64_t request, bool receive, int peer, int tag, std::uint64_t bytes) {
  return Completion{call.start_ns + 500, request, receive, receive ? peer : -1, receive ? tag : -1, bytes};
}

}  // namespace

Trace make_synthetic_trace(const SyntheticOptions& options) {
  Trace trace;
  const int ranks = options.ranks;
  trace.program = "synthetic";
  trace.command = "mpirun -np " + std::to_string(ranks) + " synthetic";
  trace.ranks = ranks;
  trace.epoch_unix_ns = 1'700'000'000'000'000'000ull;
  trace.functions = functions();
  trace.sites = {{"/opt/app/bin/app", 0x1234, "exchange", "/opt/app/src/exchange.c", 42, true},
                 {"/opt/app/bin/app", 0x5678, "main", "", 0, false}};
  Communicator world{kSyntheticWorld, "MPI_COMM_WORLD", {}, 0};
  for (int r = 0; r < ranks; ++r) world.world_ranks.push_back(r);
  trace.communicators.push_back(world);
  trace.communicators.push_back({kSyntheticSelf, "MPI_COMM_SELF", {}, 0});
  Communicator even{kSyntheticEven, "MPI_Comm_split", {}, 0}, odd{kSyntheticOdd, "MPI_Comm_split", {}, 0};
  for (int r = 0; r < ranks; ++r) (r % 2 == 0 ? even : odd).world_ranks.push_back(r);
  trace.communicators.push_back(even);
  if (!odd.world_ranks.empty()) trace.communicators.push_back(odd);

  const std::uint64_t bytes = options.message_bytes;
  const std::uint64_t iteration_ns = 20'000;
  for (int rank = 0; rank < ranks; ++rank) {
    trace.hosts.push_back(rank < (ranks + 1) / 2 ? "node-a" : "node-b");
    trace.clocks.push_back({rank, 0, 0, true});
    const int right = (rank + 1) % ranks;
    const int left = (rank + ranks - 1) % ranks;
    const std::uint32_t split = rank % 2 == 0 ? kSyntheticEven : kSyntheticOdd;
    std::uint64_t next_request = 1;
    for (int thread = 0; thread < options.threads; ++thread) {
      Location& location = trace.locations.emplace_back();
      location.rank = rank;
      location.thread = thread;
      location.calls.reserve(options.iterations * (thread == 0 ? 12 : 4) + 4);
    }
    Location* threads = &trace.locations[trace.locations.size() - std::size_t(options.threads)];
    Timeline main(threads[0], 1000 + std::uint64_t(rank) * 100);
    main.add(kInit, kNone, 1);
    main.add(kCommSplit, kSyntheticWorld, 1);
    for (std::uint64_t it = 0; it < options.iterations; ++it) {
      const std::uint64_t base_ns = 10'000 + it * iteration_ns + std::uint64_t(rank) * 100;
      // Thread 1.. first: a send that thread 0's MPI_Waitall completes, and an exchange of its own.
      std::vector<std::uint64_t> handed_over;
      for (int thread = 1; thread < options.threads; ++thread) {
        Timeline helper(threads[thread], base_ns + 200);
        const int tag = 10 + thread;
        Call& post = helper.add(kIsend, kSyntheticWorld, 0);
        post.peer = right, post.tag = 50, post.bytes_sent = bytes, post.request = next_request++;
        handed_over.push_back(post.request);
        Call& irecv = helper.add(kIrecv, kSyntheticWorld, 0);
        irecv.peer = left, irecv.tag = tag, irecv.request = next_request++;
        Call& isend = helper.add(kIsend, kSyntheticWorld, 0);
        isend.peer = right, isend.tag = tag, isend.bytes_sent = bytes, isend.request = next_request++;
        Call& wait = helper.add(kWaitall, kNone, 0);
        wait.completions = {completed(wait, irecv.request, true, left, tag, bytes),
                            completed(wait, isend.request, false, right, tag, 0)};
      }
      main.skip_to(base_ns);
      Call& irecv = main.add(kIrecv, kSyntheticWorld, 0);
      irecv.peer = -1, irecv.tag = 1, irecv.request = next_request++;  // MPI_ANY_SOURCE: the status says
      Call& isend = main.add(kIsend, kSyntheticWorld, 0);
      isend.peer = right, isend.tag = 1, isend.bytes_sent = bytes, isend.request = next_request++;
      Call& waitall = main.add(kWaitall, kNone, 0);
      waitall.completions = {completed(waitall, irecv.request, true, left, 1, bytes),
                             completed(waitall, isend.request, false, right, 1, 0)};
      for (const std::uint64_t request : handed_over) {
        waitall.completions.push_back(completed(waitall, request, false, right, 50, 0));
      }
      Call& send = main.add(kSend, kSyntheticWorld, 0);
      send.peer = right, send.tag = 2, send.bytes_sent = bytes;
      Call& recv = main.add(kRecv, kSyntheticWorld, 0);
      recv.peer = left, recv.tag = 2, recv.bytes_received = bytes;
      Call& sendrecv = main.add(kSendrecv, kSyntheticWorld, 0);
      sendrecv.peer = right, sendrecv.tag = 3, sendrecv.bytes_sent = bytes, sendrecv.bytes_received = bytes;
      sendrecv.completions = {completed(sendrecv, 0, true, left, 3, bytes)};
      Call& allreduce = main.add(kAllreduce, kSyntheticWorld, 0);
      allreduce.bytes_sent = allreduce.bytes_received = 8;
      Call& bcast = main.add(kBcast, split, 0);
      bcast.peer = rank % 2;  // rank 0 of each half
      bcast.bytes_received = rank == bcast.peer ? 0 : 64;
      bcast.bytes_sent = rank == bcast.peer ? 64 : 0;
      Call& iallreduce = main.add(kIallreduce, kSyntheticWorld, 0);
      iallreduce.request = next_request++, iallreduce.bytes_sent = iallreduce.bytes_received = 8;
      Call& wait = main.add(kWait, kNone, 0);
      wait.completions = {completed(wait, iallreduce.request, false, -1, -1, 0)};
    }
    main.add(kFinalize, kNone, 1);
  }
  return trace;
}

}  // namespace commtune::trace
