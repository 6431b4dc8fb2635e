// A non-PIE executable (ET_EXEC, load bias 0) for resolver_test.cpp: prints the module-relative
// offset of a return address captured on a known line, taken the way the profiler records it,
// and that line, as "<offset> <line>". The test resolves the offset with resolve_offline().
#include <dlfcn.h>
#include <link.h>

#include <cstdint>
#include <cstdio>

namespace {

__attribute__((noinline)) std::uintptr_t capture_return_address() {
  return reinterpret_cast<std::uintptr_t>(__builtin_return_address(0));
}

// clang-format off
__attribute__((noinline)) std::uintptr_t record_in_nopie(int* line) {
  const std::uintptr_t address = capture_return_address(); *line = __LINE__;
  return address;
}
// clang-format on

}  // namespace

int main() {
  int line = 0;
  const std::uintptr_t address = record_in_nopie(&line);
  Dl_info info{};
  link_map* map = nullptr;
  if (dladdr1(reinterpret_cast<void*>(address - 1), &info, reinterpret_cast<void**>(&map), RTLD_DL_LINKMAP) == 0 ||
      map == nullptr)
    return 1;
  std::printf("%llu %d\n", static_cast<unsigned long long>(address - map->l_addr), line);
  return 0;
}
