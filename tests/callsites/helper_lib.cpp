// Shared library for resolver_test.cpp: a call on a known line inside a .so. Built three times:
// with -g (callsites_test_helper); with CALLSITES_HELPER_NO_DEBUG defined, with -g0 and stripped
// (callsites_test_helper_nodebug); with CALLSITES_HELPER_SPLIT_DEBUG defined, with its DWARF moved
// to a separate file found through .gnu_debuglink (callsites_test_helper_split). The last two are
// dlopen()ed by the test; each variant has its own namespace so that no copy interposes another.
#include <cstdint>

#if defined(CALLSITES_HELPER_NO_DEBUG)
#define CALLSITES_HELPER_NAMESPACE callsites_helper_nodebug
#elif defined(CALLSITES_HELPER_SPLIT_DEBUG)
#define CALLSITES_HELPER_NAMESPACE callsites_helper_split
#else
#define CALLSITES_HELPER_NAMESPACE callsites_helper
#endif

namespace CALLSITES_HELPER_NAMESPACE {

__attribute__((noinline)) std::uintptr_t capture_return_address() {
  return reinterpret_cast<std::uintptr_t>(__builtin_return_address(0));
}

// Returns the return address of a call made on the line stored in *line (the call and its
// __LINE__ must stay on one line).
// clang-format off
__attribute__((visibility("default"), noinline)) std::uintptr_t record_in_library(int* line) {
  const std::uintptr_t address = capture_return_address(); *line = __LINE__;
  return address;
}
// clang-format on

}  // namespace CALLSITES_HELPER_NAMESPACE

// Unmangled entry points for dlsym() on the variants loaded with dlopen().
#if defined(CALLSITES_HELPER_NO_DEBUG)
extern "C" __attribute__((visibility("default"))) std::uintptr_t callsites_helper_nodebug_record(int* line) {
  return callsites_helper_nodebug::record_in_library(line);
}
#elif defined(CALLSITES_HELPER_SPLIT_DEBUG)
extern "C" __attribute__((visibility("default"))) std::uintptr_t callsites_helper_split_record(int* line) {
  return callsites_helper_split::record_in_library(line);
}
#endif
