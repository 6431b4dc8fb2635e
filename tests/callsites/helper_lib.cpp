// Shared library for resolver_test.cpp: a call on a known line inside a .so. Built twice: with
// -g (callsites_test_helper) and, with CALLSITES_HELPER_NO_DEBUG defined, with -g0 and stripped
// (callsites_test_helper_nodebug, dlopen()ed by the test), so both cases are covered.
#include <cstdint>

#ifdef CALLSITES_HELPER_NO_DEBUG
#define CALLSITES_HELPER_NAMESPACE callsites_helper_nodebug
#else
#define CALLSITES_HELPER_NAMESPACE callsites_helper
#endif

namespace CALLSITES_HELPER_NAMESPACE {

__attribute__((noinline)) std::uintptr_t capture_return_address() {
  return reinterpret_cast<std::uintptr_t>(__builtin_return_address(0));
}

// Returns the return address of a call made on the line stored in *line.
__attribute__((visibility("default"), noinline)) std::uintptr_t record_in_library(int* line) {
  const std::uintptr_t address = capture_return_address(); *line = __LINE__;
  return address;
}

}  // namespace CALLSITES_HELPER_NAMESPACE

// Unmangled entry point for dlsym() on the no-debug build.
#ifdef CALLSITES_HELPER_NO_DEBUG
extern "C" __attribute__((visibility("default"))) std::uintptr_t callsites_helper_nodebug_record(int* line) {
  return callsites_helper_nodebug::record_in_library(line);
}
#endif
