#include "runtime/peers.hpp"

#include <atomic>
#include <cstdint>
#include <mutex>
#include <vector>

#include "runtime/handles.hpp"

namespace commtune::pmpi::peers {
namespace {

struct Translation {
  std::vector<int> world;  // world rank of each rank of the (remote) group
};

int g_keyval = MPI_KEYVAL_INVALID;
MPI_Group g_world_group = MPI_GROUP_NULL;
std::atomic<std::uint64_t> g_epoch{1};  // changes whenever a cached communicator is freed
std::mutex g_mutex;

int on_delete(MPI_Comm, int, void* value, void*) {
  // Another thread may still hold the pointer in its cache until it sees the new epoch, so the
  // translation is kept: a few ints per communicator ever created.
  (void)value;
  g_epoch.fetch_add(1, std::memory_order_release);
  return MPI_SUCCESS;
}

const Translation* translate(MPI_Comm comm) noexcept {
  std::lock_guard<std::mutex> lock(g_mutex);
  void* cached = nullptr;
  int found = 0;
  if (PMPI_Comm_get_attr(comm, g_keyval, &cached, &found) == MPI_SUCCESS && found) {
    return static_cast<const Translation*>(cached);
  }
  int inter = 0;
  PMPI_Comm_test_inter(comm, &inter);
  MPI_Group group = MPI_GROUP_NULL;
  if ((inter ? PMPI_Comm_remote_group(comm, &group) : PMPI_Comm_group(comm, &group)) != MPI_SUCCESS) return nullptr;
  int size = 0;
  PMPI_Group_size(group, &size);
  std::vector<int> ranks(static_cast<std::size_t>(size));
  for (int i = 0; i < size; ++i) ranks[std::size_t(i)] = i;
  auto* translation = new Translation{std::vector<int>(std::size_t(size), MPI_UNDEFINED)};
  PMPI_Group_translate_ranks(group, size, ranks.data(), g_world_group, translation->world.data());
  PMPI_Group_free(&group);
  PMPI_Comm_set_attr(comm, g_keyval, translation);
  return translation;
}

struct CacheEntry {
  std::uintptr_t comm = 0;
  std::uint64_t epoch = 0;
  const Translation* translation = nullptr;
};
constexpr int kCacheEntries = 4;
thread_local CacheEntry t_cache[kCacheEntries];
thread_local unsigned t_next = 0;

}  // namespace

void start() noexcept {
  PMPI_Comm_create_keyval(MPI_COMM_NULL_COPY_FN, on_delete, &g_keyval, nullptr);
  PMPI_Comm_group(MPI_COMM_WORLD, &g_world_group);
}

int translated_rank(MPI_Comm comm, int rank) noexcept {
  if (g_keyval == MPI_KEYVAL_INVALID || comm == MPI_COMM_NULL) return -1;
  const std::uintptr_t key = handle_key(comm);
  const std::uint64_t epoch = g_epoch.load(std::memory_order_acquire);
  const Translation* translation = nullptr;
  for (const CacheEntry& entry : t_cache) {
    if (entry.comm == key && entry.epoch == epoch) translation = entry.translation;
  }
  if (!translation) {
    translation = translate(comm);
    if (!translation) return -1;
    t_cache[t_next++ % kCacheEntries] = {key, epoch, translation};
  }
  if (std::size_t(rank) >= translation->world.size()) return -1;
  const int world = translation->world[std::size_t(rank)];
  return world == MPI_UNDEFINED ? -1 : world;
}

}  // namespace commtune::pmpi::peers
