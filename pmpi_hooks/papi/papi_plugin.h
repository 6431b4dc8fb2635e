/* The contract between the preload library and libcommtune_papi.so, the plugin that links libpapi.
 * The preload library dlopen()s the plugin only when COMMTUNE_PAPI is set, so that a run without
 * counters never loads PAPI; the plugin is compiled against the installed papi.h, so PAPI's ABI
 * (PAPI_VER_CURRENT, PAPI_NULL, error codes) is never copied by hand. Plain C types only. */
#ifndef COMMTUNE_PAPI_PLUGIN_H
#define COMMTUNE_PAPI_PLUGIN_H

#ifdef __cplusplus
extern "C" {
#endif

/* What adding an event by name to an event set did. */
enum commtune_papi_status {
  COMMTUNE_PAPI_ADDED = 0,
  COMMTUNE_PAPI_UNKNOWN = 1,     /* PAPI does not know the name here */
  COMMTUNE_PAPI_UNAVAILABLE = 2, /* known, but cannot be counted here (no PMU, conflict, permission) */
};

struct commtune_papi_api {
  /* PAPI_library_init and PAPI_thread_init; 0 on success, else PAPI's reason in `message`. */
  int (*init)(char* message, unsigned long size);
  /* A new, empty event set of the calling thread in `*eventset`; 0 on success. */
  int (*create)(int* eventset);
  /* Adds `name` (preset or native); a commtune_papi_status, PAPI's reason in `message`. */
  int (*add)(int eventset, const char* name, char* message, unsigned long size);
  /* PAPI_start / PAPI_read (values in the order the events were added); 0 on success. */
  int (*start)(int eventset);
  int (*read)(int eventset, long long* values);
};

/* The plugin's one exported symbol. */
const struct commtune_papi_api* commtune_papi_plugin(void);

#ifdef __cplusplus
}
#endif

#endif
