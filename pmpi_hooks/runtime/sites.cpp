#include "runtime/sites.hpp"

#include <dlfcn.h>
#include <execinfo.h>
#include <link.h>
#include <unistd.h>

#include <cstring>
#include <mutex>
#include <new>

namespace commtune::pmpi {

SiteTable::SiteTable(int world_size) {
  for (std::uint64_t& floor : floor_ticks) floor = ~std::uint64_t(0);
  if (world_size > 0) {
    peers_ = new (std::nothrow) PeerTraffic[std::size_t(world_size)]();
    if (peers_) world_size_ = world_size;
  }
}

std::size_t SiteTable::hash(const SiteKey& key) noexcept {
  std::uint64_t mixed = (std::uint64_t(key.function) << 48) ^ (std::uint64_t(key.region) << 32);
  for (std::uintptr_t frame : key.frames) mixed = (mixed ^ frame) * 0x9E3779B97F4A7C15ull;
  return std::size_t(mixed >> (64 - 13));
}

SiteStats& SiteTable::add(FunctionId function, std::uintptr_t caller, std::uint16_t region) noexcept {
  SiteKey key;
  key.function = function;
  key.region = region;
  key.frames[0] = caller;
  return find_or_add(key);
}

SiteStats& SiteTable::find_or_add(const SiteKey& wanted) noexcept {
  static SiteStats discarded;  // only when memory runs out: counts go nowhere useful
  SiteKey key = wanted;
  if (count_.load(std::memory_order_relaxed) >= kMaxSites) {
    std::memset(key.frames, 0, sizeof key.frames);  // one site per function and region: "elsewhere"
  }
  // The depth-1 fast path hashes differently; keep its keys where it looks for them.
  const bool depth_one = key.frames[1] == 0;
  std::size_t index = depth_one ? hash(key.function, key.frames[0], key.region) : hash(key);
  for (std::size_t probes = 0; probes < kSlots; ++probes) {
    SiteStats* site = slots_[index];
    if (!site) break;
    if (site->key == key) return *site;
    index = (index + 1) & (kSlots - 1);
  }
  const std::uint32_t count = count_.load(std::memory_order_relaxed);
  if (slots_[index] || count >= kSlots) return discarded;
  auto* site = new (std::nothrow) SiteStats{};
  if (!site) return discarded;
  site->key = key;
  for (int depth = 0; depth < kMaxCallsiteDepth && key.frames[depth] != 0; ++depth) {
    const modules::Location where = modules::locate(key.frames[depth]);
    site->modules[depth] = where.module;
    site->offsets[depth] = where.offset;
    site->depth = std::uint8_t(depth + 1);
  }
  slots_[index] = site;
  list_[count] = site;
  count_.store(count + 1, std::memory_order_release);
  return *site;
}

namespace modules {
namespace {

constexpr std::uint32_t kMaxModules = 1024;

struct Module {
  const void* map = nullptr;  // the loader's link_map: one per loaded object
  char* path = nullptr;
};

Module g_modules[kMaxModules];
std::atomic<std::uint32_t> g_count{1};  // module 0: unknown
std::mutex g_mutex;

char* main_program_path() {
  char buffer[4096];
  const ssize_t length = readlink("/proc/self/exe", buffer, sizeof buffer - 1);
  if (length <= 0) return strdup("");
  buffer[length] = 0;
  return strdup(buffer);
}

}  // namespace

Location locate(std::uintptr_t address) noexcept {
  Dl_info info;
  link_map* map = nullptr;
  if (dladdr1(reinterpret_cast<void*>(address), &info, reinterpret_cast<void**>(&map), RTLD_DL_LINKMAP) == 0 || !map) {
    return {0, std::uint64_t(address)};
  }
  const Location found{0, std::uint64_t(address - map->l_addr)};
  std::lock_guard<std::mutex> lock(g_mutex);
  const std::uint32_t count = g_count.load(std::memory_order_relaxed);
  for (std::uint32_t i = 1; i < count; ++i) {
    if (g_modules[i].map == map) return {std::uint16_t(i), found.offset};
  }
  if (count >= kMaxModules) return found;
  // The main program's link_map has an empty name; every shared object's is its path.
  g_modules[count].path = map->l_name && *map->l_name ? strdup(map->l_name) : main_program_path();
  g_modules[count].map = map;
  g_count.store(count + 1, std::memory_order_release);
  return {std::uint16_t(count), found.offset};
}

std::uint32_t count() noexcept { return g_count.load(std::memory_order_acquire); }

const char* path(std::uint32_t module) noexcept {
  return module > 0 && module < count() && g_modules[module].path ? g_modules[module].path : "";
}

}  // namespace modules

namespace tables {
namespace {
constexpr std::uint32_t kMaxThreads = 4096;
const SiteTable* g_tables[kMaxThreads];
std::atomic<std::uint32_t> g_count{0};
std::mutex g_mutex;
}  // namespace

// Threads register on their first MPI call, possibly all at once: the lock keeps two of them from
// taking one slot. Readers (the dump, from a signal handler too) take no lock: the count is
// published only after the slot it covers is written.
void add(SiteTable* table) noexcept {
  std::lock_guard<std::mutex> lock(g_mutex);
  const std::uint32_t index = g_count.load(std::memory_order_relaxed);
  if (index >= kMaxThreads) return;  // recorded, but not reported: more threads than anyone runs
  g_tables[index] = table;
  g_count.store(index + 1, std::memory_order_release);
}
std::uint32_t count() noexcept { return g_count.load(std::memory_order_acquire); }
const SiteTable& at(std::uint32_t i) noexcept { return *g_tables[i]; }
}  // namespace tables

namespace regions {
namespace {
constexpr std::uint32_t kMaxRegions = 1024;
const char* g_names[kMaxRegions] = {""};
std::atomic<std::uint32_t> g_count{1};
std::mutex g_mutex;
}  // namespace

std::uint16_t intern(const char* name) noexcept {
  if (!name || !*name) return 0;
  std::lock_guard<std::mutex> lock(g_mutex);
  const std::uint32_t count = g_count.load(std::memory_order_relaxed);
  for (std::uint32_t i = 1; i < count; ++i) {
    if (std::strcmp(g_names[i], name) == 0) return std::uint16_t(i);
  }
  if (count >= kMaxRegions) return 0;
  g_names[count] = strdup(name);
  g_count.store(count + 1, std::memory_order_release);
  return std::uint16_t(count);
}
std::uint32_t count() noexcept { return g_count.load(std::memory_order_acquire); }
const char* name(std::uint32_t region) noexcept { return region < count() && g_names[region] ? g_names[region] : ""; }
}  // namespace regions

void capture_frames(SiteKey& key, std::uintptr_t caller, int depth) noexcept {
  key.frames[0] = caller;
  void* trace[kMaxCallsiteDepth + 8];
  const int captured = backtrace(trace, kMaxCallsiteDepth + 8);
  // Frames above the caller's: find the caller's own return address, then copy its parents.
  for (int i = 0; i < captured; ++i) {
    if (reinterpret_cast<std::uintptr_t>(trace[i]) != caller) continue;
    for (int d = 1; d < depth && i + d < captured; ++d) key.frames[d] = reinterpret_cast<std::uintptr_t>(trace[i + d]);
    return;
  }
}

}  // namespace commtune::pmpi
