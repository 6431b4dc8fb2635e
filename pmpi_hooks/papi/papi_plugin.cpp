// libcommtune_papi.so: the few PAPI calls the preload library needs, behind papi_plugin.h.
#include "papi/papi_plugin.h"

#include <papi.h>
#include <pthread.h>

#include <cstdio>

namespace {

unsigned long thread_id() { return static_cast<unsigned long>(pthread_self()); }

void describe(int code, char* message, unsigned long size) {
  if (message && size) std::snprintf(message, size, "%s (PAPI error %d)", PAPI_strerror(code), code);
}

int init(char* message, unsigned long size) {
  const int version = PAPI_library_init(PAPI_VER_CURRENT);
  if (version != PAPI_VER_CURRENT) {
    if (version > 0) {
      std::snprintf(message, size, "libpapi version %d.%d differs from the one commtune was built with (%d.%d)",
                    PAPI_VERSION_MAJOR(version), PAPI_VERSION_MINOR(version), PAPI_VERSION_MAJOR(PAPI_VER_CURRENT),
                    PAPI_VERSION_MINOR(PAPI_VER_CURRENT));
      return -1;
    }
    describe(version, message, size);
    return version;
  }
  const int threads = PAPI_thread_init(thread_id);
  if (threads != PAPI_OK) describe(threads, message, size);
  return threads;
}

int create(int* eventset) {
  *eventset = PAPI_NULL;
  return PAPI_create_eventset(eventset);
}

int add(int eventset, const char* name, char* message, unsigned long size) {
  int code = 0;
  const int known = PAPI_event_name_to_code(name, &code);
  if (known != PAPI_OK) {
    describe(known, message, size);
    return COMMTUNE_PAPI_UNKNOWN;
  }
  const int added = PAPI_add_event(eventset, code);
  if (added != PAPI_OK) {
    describe(added, message, size);
    return COMMTUNE_PAPI_UNAVAILABLE;
  }
  return COMMTUNE_PAPI_ADDED;
}

int start(int eventset) { return PAPI_start(eventset); }

int read(int eventset, long long* values) { return PAPI_read(eventset, values); }

constexpr commtune_papi_api kApi = {init, create, add, start, read};

}  // namespace

extern "C" __attribute__((visibility("default"))) const commtune_papi_api* commtune_papi_plugin(void) { return &kApi; }
