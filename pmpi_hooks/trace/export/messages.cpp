#include "trace/export/messages.hpp"

#include <algorithm>
#include <array>
#include <unordered_map>

namespace commtune::trace {
namespace {

struct Channel {
  int sender;
  int receiver;
  std::uint32_t comm;
  int tag;
  bool operator==(const Channel&) const = default;
};

struct ChannelHash {
  std::size_t operator()(const Channel& c) const {
    std::uint64_t h = std::uint64_t(std::uint32_t(c.sender)) * 0x9E3779B97F4A7C15ull;
    h ^= (std::uint64_t(std::uint32_t(c.receiver)) << 32 | c.comm) * 0xC2B2AE3D27D4EB4Full;
    h ^= std::uint64_t(std::uint32_t(c.tag)) * 0x165667B19E3779F9ull;
    return std::size_t(h ^ (h >> 29));
  }
};

// One end of a message: its channel, its place in the channel's order, and where it happened.
// 24 bytes: there may be millions, and fresh memory is costly (page faults); when and how much
// was received are looked up in the call at the end.
struct End {
  std::uint32_t channel;
  std::uint32_t completion;  // index in the call's completions; kNone: the call itself received
  CallRef call;
  std::uint64_t order_ns;  // when the send was made or the receive posted
};

class Collector {
 public:
  void add(bool send, const Channel& channel, std::uint64_t order_ns, CallRef call, std::uint32_t completion) {
    if (channel.sender < 0 || channel.receiver < 0 || channel.comm == kNone) return;  // MPI_PROC_NULL, unknown
    (send ? sends_ : receives_).push_back(End{channel_id(channel), completion, call, order_ns});
  }

  void reserve(std::size_t sends, std::size_t receives) {
    sends_.reserve(sends);
    receives_.reserve(receives);
  }

  MessageMatch match(const Trace& trace) {
    const std::size_t channels = channels_.size();
    std::vector<End> sends = by_channel(std::move(sends_), channels);  // each input freed once sorted
    std::vector<End> receives = by_channel(std::move(receives_), channels);
    MessageMatch result;
    result.messages.reserve(std::min(sends.size(), receives.size()));
    std::size_t s = 0, r = 0;
    while (s < sends.size() || r < receives.size()) {
      const std::uint32_t channel = std::min(s < sends.size() ? sends[s].channel : UINT32_MAX,
                                             r < receives.size() ? receives[r].channel : UINT32_MAX);
      std::size_t s_end = s, r_end = r;
      while (s_end < sends.size() && sends[s_end].channel == channel) ++s_end;
      while (r_end < receives.size() && receives[r_end].channel == channel) ++r_end;
      const std::size_t pairs = std::min(s_end - s, r_end - r);
      for (std::size_t i = 0; i < pairs; ++i) {
        const End& send = sends[s + i];
        const End& receive = receives[r + i];
        const Call& call = trace.locations[receive.call.location].calls[receive.call.call];
        if (receive.completion == kNone) {
          result.messages.push_back(Message{send.call, receive.call, call.end_ns, call.bytes_received});
        } else {
          const Completion& completion = call.completions[receive.completion];
          result.messages.push_back(Message{send.call, receive.call, completion.time_ns, completion.bytes});
        }
      }
      result.unmatched_sends += (s_end - s) - pairs;
      result.unmatched_receives += (r_end - r) - pairs;
      s = s_end;
      r = r_end;
    }
    return result;
  }

 private:
  // Stable counting sort by channel, then each channel in order (threads of one rank interleave).
  static std::vector<End> by_channel(std::vector<End> ends, std::size_t channels) {
    std::vector<std::size_t> start(channels + 1, 0);
    for (const End& end : ends) ++start[end.channel + 1];
    for (std::size_t c = 0; c < channels; ++c) start[c + 1] += start[c];
    std::vector<End> sorted(ends.size());
    std::vector<std::size_t> next(start.begin(), start.end() - 1);
    for (const End& end : ends) sorted[next[end.channel]++] = end;
    auto earlier = [](const End& a, const End& b) { return a.order_ns < b.order_ns; };
    for (std::size_t c = 0; c < channels; ++c) {
      const auto first = sorted.begin() + std::ptrdiff_t(start[c]);
      const auto last = sorted.begin() + std::ptrdiff_t(start[c + 1]);
      if (!std::is_sorted(first, last, earlier)) std::stable_sort(first, last, earlier);
    }
    return sorted;
  }

  // A program uses few channels over and over: a small direct-mapped cache in front of the
  // table saves most of its look-ups.
  std::uint32_t channel_id(const Channel& channel) {
    const std::size_t hash = ChannelHash{}(channel);
    CacheEntry& cached = cache_[hash % kCacheEntries];
    if (cached.id != kNone && cached.channel == channel) return cached.id;
    const auto [found, inserted] = channels_.try_emplace(channel, std::uint32_t(channels_.size()));
    cached = {channel, found->second};
    return found->second;
  }

  struct CacheEntry {
    Channel channel{};
    std::uint32_t id = kNone;
  };
  static constexpr std::size_t kCacheEntries = 256;
  std::array<CacheEntry, kCacheEntries> cache_{};
  std::unordered_map<Channel, std::uint32_t, ChannelHash> channels_;
  std::vector<End> sends_;
  std::vector<End> receives_;
};

}  // namespace

MessageMatch match_messages(const Trace& trace, const std::vector<CallKind>& kinds) {
  Collector collector;
  std::size_t sends = 0, receives = 0;
  for (const Location& location : trace.locations) {
    for (const Call& call : location.calls) {
      const CallKind kind = call.function < kinds.size() ? kinds[call.function] : CallKind::Plain;
      sends += kind == CallKind::Send || kind == CallKind::Isend || kind == CallKind::SendRecv;
      receives += kind == CallKind::Recv || kind == CallKind::Irecv || kind == CallKind::SendRecv;
    }
  }
  collector.reserve(sends, receives);
  PostedRequests posted;
  const int ranks = rank_count(trace);
  const auto by_rank = locations_by_rank(trace, ranks);
  for (int rank = 0; rank < ranks; ++rank) {
    const auto [first, last] = by_rank[std::size_t(rank)];
    posted.clear();
    const bool single_thread = last - first == 1;
    if (!single_thread) posted.post_all(trace, kinds, first, last);
    for (std::size_t l = first; l < last; ++l) {
      const auto& calls = trace.locations[l].calls;
      for (std::size_t c = 0; c < calls.size(); ++c) {
        const Call& call = calls[c];
        if (call.function >= kinds.size()) continue;
        const CallKind kind = kinds[call.function];
        const CallRef ref{std::uint32_t(l), std::uint32_t(c)};
        if (kind == CallKind::Send || kind == CallKind::Isend || kind == CallKind::SendRecv) {
          collector.add(true, {rank, call.peer, call.comm, call.tag}, call.start_ns, ref, kNone);
        }
        if (kind == CallKind::Recv) {
          collector.add(false, {call.peer, rank, call.comm, call.tag}, call.start_ns, ref, kNone);
        }
        if (single_thread && posts_request(kind)) posted.post(call.request, ref);
        for (std::uint32_t i = 0; i < call.completions.size(); ++i) {
          const Completion& completion = call.completions[i];
          if (completion.request == 0) {  // the receive half of MPI_Sendrecv
            if (kind == CallKind::SendRecv && completion.receive) {
              collector.add(false, {completion.peer, rank, call.comm, completion.tag}, call.start_ns, ref, i);
            }
            continue;
          }
          CallRef post_ref;
          if (!posted.take(completion.request, post_ref)) continue;
          const Call& post = trace.locations[post_ref.location].calls[post_ref.call];
          if (!completion.receive || kinds[post.function] != CallKind::Irecv) continue;
          const int sender = completion.peer >= 0 ? completion.peer : post.peer;
          const int tag = completion.peer >= 0 ? completion.tag : post.tag;
          collector.add(false, {sender, rank, post.comm, tag}, post.start_ns, ref, i);
        }
      }
    }
  }
  return collector.match(trace);
}

}  // namespace commtune::trace
