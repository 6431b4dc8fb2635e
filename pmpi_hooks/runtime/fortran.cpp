#include "runtime/fortran.hpp"

#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <initializer_list>

#include "runtime/requests.hpp"
#include "runtime/runtime.hpp"

namespace commtune::pmpi::fortran {
namespace {

// Sentinel addresses, found once. Open MPI's Fortran MPI_STATUS_IGNORE etc. are common blocks named
// mpi_fortran_*; MPICH keeps their addresses in MPI_F_STATUS_IGNORE-like pointer variables.
struct Sentinels {
  const void* status_ignore[8] = {};
  const void* statuses_ignore[8] = {};
  const void* in_place[8] = {};
  const void* bottom[8] = {};
};

void collect(const void* (&into)[8], std::initializer_list<const char*> variables,
             std::initializer_list<const char*> pointer_variables) {
  int n = 0;
  for (const char* name : variables) {
    if (const void* address = dlsym(RTLD_DEFAULT, name); address && n < 8) into[n++] = address;
  }
  for (const char* name : pointer_variables) {
    if (auto* address = static_cast<const void* const*>(dlsym(RTLD_DEFAULT, name)); address && *address && n < 8) {
      into[n++] = *address;
    }
  }
}

const Sentinels& sentinels() {
  static const Sentinels found = [] {
    Sentinels s;
    collect(s.status_ignore,
            {"mpi_fortran_status_ignore", "mpi_fortran_status_ignore_", "mpi_fortran_status_ignore__",
             "MPI_FORTRAN_STATUS_IGNORE", "MPIR_F08_MPI_STATUS_IGNORE_OBJ"},
            {"MPI_F_STATUS_IGNORE", "MPI_F08_STATUS_IGNORE"});
    collect(s.statuses_ignore,
            {"mpi_fortran_statuses_ignore", "mpi_fortran_statuses_ignore_", "mpi_fortran_statuses_ignore__",
             "MPI_FORTRAN_STATUSES_IGNORE", "MPIR_F08_MPI_STATUSES_IGNORE_OBJ"},
            {"MPI_F_STATUSES_IGNORE", "MPI_F08_STATUSES_IGNORE"});
    collect(s.in_place,
            {"mpi_fortran_in_place", "mpi_fortran_in_place_", "mpi_fortran_in_place__", "MPI_FORTRAN_IN_PLACE",
             "MPIR_F08_MPI_IN_PLACE"},
            {"MPIR_F_MPI_IN_PLACE"});
    collect(s.bottom,
            {"mpi_fortran_bottom", "mpi_fortran_bottom_", "mpi_fortran_bottom__", "MPI_FORTRAN_BOTTOM",
             "MPIR_F08_MPI_BOTTOM"},
            {"MPIR_F_MPI_BOTTOM"});
    return s;
  }();
  return found;
}

bool is_one_of(const void* address, const void* const (&candidates)[8]) {
  if (!address) return false;
  for (const void* candidate : candidates) {
    if (candidate && candidate == address) return true;
  }
  return false;
}

int as_int(const void* fortran_integer) { return *static_cast<const MPI_Fint*>(fortran_integer); }

MPI_Request request_at(const void* fortran_requests, int i) {
  return PMPI_Request_f2c(static_cast<const MPI_Fint*>(fortran_requests)[i]);
}

MPI_Fint* status_at(void* fortran_statuses, int i) {
  return static_cast<MPI_Fint*>(fortran_statuses) + std::size_t(i) * kStatusInts;
}

}  // namespace

void* resolve(const char* symbol) noexcept {
  void* next = dlsym(RTLD_NEXT, symbol);
  if (!next) {
    std::fprintf(stderr, "commtune: error: the program called %s, but no MPI library after commtune defines it\n",
                 symbol);
    std::abort();
  }
  return next;
}

int index_base(Binding binding) noexcept {
  static const bool zero_based_f08 = [] {
    char version[MPI_MAX_LIBRARY_VERSION_STRING] = {};
    int length = 0;
    PMPI_Get_library_version(version, &length);
    int major = 0, minor = 0;
    return std::sscanf(version, "MPICH Version: %d.%d", &major, &minor) == 2 &&
           (major < 4 || (major == 4 && minor < 1));
  }();
  return binding == Binding::F08 && zero_based_f08 ? 0 : 1;
}

bool succeeded(const void* ierror) noexcept { return !ierror || as_int(ierror) == MPI_SUCCESS; }

bool is_status_ignore(const void* status) noexcept { return is_one_of(status, sentinels().status_ignore); }
bool is_statuses_ignore(const void* statuses) noexcept { return is_one_of(statuses, sentinels().statuses_ignore); }

const void* buffer(const void* fortran_buffer) noexcept {
  if (is_one_of(fortran_buffer, sentinels().in_place)) return MPI_IN_PLACE;
  if (is_one_of(fortran_buffer, sentinels().bottom)) return MPI_BOTTOM;
  return fortran_buffer;
}

const MPI_Status* status_to_c(const void* fortran_status, MPI_Status* c_status) noexcept {
  PMPI_Status_f2c(static_cast<const MPI_Fint*>(fortran_status), c_status);
  return c_status;
}

MPI_Request& request_slot(const void* fortran_request) noexcept {
  static thread_local MPI_Request request;
  request = PMPI_Request_f2c(as_int(fortran_request));
  return request;
}

namespace {
struct NotRecorded {
  NotRecorded() { ++t_context.depth; }
  ~NotRecorded() { --t_context.depth; }
};
}  // namespace

void init(Binding binding, const void* caller, void (*real)(void*), void* ierror) {
  const std::uint64_t entry_ns = clock::monotonic_ns();
  {
    NotRecorded guard;
    real(ierror);
  }
  if (succeeded(ierror)) runtime::after_init(FunctionId::MPI_Init, entry_ns, caller);
}

void init_thread(Binding binding, const void* caller, void (*real)(void*, void*, void*), void* required, void* provided,
                 void* ierror) {
  const std::uint64_t entry_ns = clock::monotonic_ns();
  {
    NotRecorded guard;
    real(required, provided, ierror);
  }
  if (succeeded(ierror)) runtime::after_init(FunctionId::MPI_Init_thread, entry_ns, caller);
}

void finalize(Binding binding, const void* caller, void (*real)(void*), void* ierror) {
  runtime::before_finalize(caller);
  NotRecorded guard;
  real(ierror);
}

void pcontrol(Binding binding, const void* caller, void (*real)(void*), void* level) {
  {
    CallScope call(FunctionId::MPI_Pcontrol, caller);
    call.stop();
  }
  runtime::pcontrol(as_int(level), nullptr);  // Fortran passes no name
  NotRecorded guard;
  real(level);
}

void wait(Binding binding, const void* caller, void (*real)(void*, void*, void*), void* request, void* status,
          void* ierror) {
  CallScope call(FunctionId::MPI_Wait, caller);
  SingleCompletion single;
  single.before(call, request_at(request, 0));
  StatusBuffer own;
  if (single.tracked.wants_status() && is_status_ignore(status)) status = own.data();
  real(request, status, ierror);
  call.stop();
  MPI_Status c_status;
  if (succeeded(ierror)) {
    single.after(call, true, true, single.tracked.wants_status() ? status_to_c(status, &c_status) : nullptr);
  }
}

void test(Binding binding, const void* caller, void (*real)(void*, void*, void*, void*), void* request, void* flag,
          void* status, void* ierror) {
  CallScope call(FunctionId::MPI_Test, caller);
  SingleCompletion single;
  single.before(call, request_at(request, 0));
  StatusBuffer own;
  if (single.tracked.wants_status() && is_status_ignore(status)) status = own.data();
  real(request, flag, status, ierror);
  call.stop();
  MPI_Status c_status;
  if (succeeded(ierror)) {
    single.after(call, false, as_int(flag) != 0,
                 single.tracked.wants_status() ? status_to_c(status, &c_status) : nullptr);
  }
}

namespace {
// The array forms share one shape: snapshot, substitute ignored statuses, call, attribute.
void complete_array(CallScope& call, CompletionSet& set, void* statuses, int count) {
  MPI_Status c_status;
  for (int i = 0; i < count; ++i) {
    set.completed(call, i, set.wants_status() ? status_to_c(status_at(statuses, i), &c_status) : nullptr);
  }
}
}  // namespace

void waitall(Binding binding, const void* caller, void (*real)(void*, void*, void*, void*), void* count, void* requests,
             void* statuses, void* ierror) {
  CallScope call(FunctionId::MPI_Waitall, caller);
  CompletionSet& set = thread_completion_set();
  const int n = as_int(count);
  set.snapshot(call, n, [&](int i) { return request_at(requests, i); });
  if (set.wants_status() && is_statuses_ignore(statuses)) statuses = set.fortran_status_buffer(n, kStatusInts);
  real(count, requests, statuses, ierror);
  call.stop();
  if (set.any() && succeeded(ierror)) complete_array(call, set, statuses, n);
  set.finish(call, true);
}

void testall(Binding binding, const void* caller, void (*real)(void*, void*, void*, void*, void*), void* count,
             void* requests, void* flag, void* statuses, void* ierror) {
  CallScope call(FunctionId::MPI_Testall, caller);
  CompletionSet& set = thread_completion_set();
  const int n = as_int(count);
  set.snapshot(call, n, [&](int i) { return request_at(requests, i); });
  if (set.wants_status() && is_statuses_ignore(statuses)) statuses = set.fortran_status_buffer(n, kStatusInts);
  real(count, requests, flag, statuses, ierror);
  call.stop();
  if (set.any() && succeeded(ierror) && as_int(flag)) complete_array(call, set, statuses, n);
  set.finish(call, false);
}

void waitany(Binding binding, const void* caller, void (*real)(void*, void*, void*, void*, void*), void* count,
             void* requests, void* index, void* status, void* ierror) {
  CallScope call(FunctionId::MPI_Waitany, caller);
  CompletionSet& set = thread_completion_set();
  set.snapshot(call, as_int(count), [&](int i) { return request_at(requests, i); });
  StatusBuffer own;
  if (set.wants_status() && is_status_ignore(status)) status = own.data();
  real(count, requests, index, status, ierror);
  call.stop();
  MPI_Status c_status;
  const int completed = as_int(index) - index_base(binding) + 1;  // 1-based from here on
  if (set.any() && succeeded(ierror) && completed >= 1 && completed <= as_int(count)) {
    set.completed(call, completed - 1, set.wants_status() ? status_to_c(status, &c_status) : nullptr);
  }
  set.finish(call, true);
}

void testany(Binding binding, const void* caller, void (*real)(void*, void*, void*, void*, void*, void*), void* count,
             void* requests, void* index, void* flag, void* status, void* ierror) {
  CallScope call(FunctionId::MPI_Testany, caller);
  CompletionSet& set = thread_completion_set();
  set.snapshot(call, as_int(count), [&](int i) { return request_at(requests, i); });
  StatusBuffer own;
  if (set.wants_status() && is_status_ignore(status)) status = own.data();
  real(count, requests, index, flag, status, ierror);
  call.stop();
  MPI_Status c_status;
  const int completed = as_int(index) - index_base(binding) + 1;
  if (set.any() && succeeded(ierror) && as_int(flag) && completed >= 1 && completed <= as_int(count)) {
    set.completed(call, completed - 1, set.wants_status() ? status_to_c(status, &c_status) : nullptr);
  }
  set.finish(call, false);
}

namespace {
void some(FunctionId id, Binding binding, const void* caller, void (*real)(void*, void*, void*, void*, void*, void*),
          void* incount, void* requests, void* outcount, void* indices, void* statuses, void* ierror) {
  CallScope call(id, caller);
  CompletionSet& set = thread_completion_set();
  const int n = as_int(incount);
  set.snapshot(call, n, [&](int i) { return request_at(requests, i); });
  if (set.wants_status() && is_statuses_ignore(statuses)) statuses = set.fortran_status_buffer(n, kStatusInts);
  real(incount, requests, outcount, indices, statuses, ierror);
  call.stop();
  const int done = as_int(outcount);
  if (set.any() && succeeded(ierror) && done != MPI_UNDEFINED) {
    MPI_Status c_status;
    for (int k = 0; k < done; ++k) {
      const int completed = static_cast<const MPI_Fint*>(indices)[k] - index_base(binding);
      if (completed < 0 || completed >= n) continue;
      set.completed(call, completed, set.wants_status() ? status_to_c(status_at(statuses, k), &c_status) : nullptr);
    }
  }
  set.finish(call, id == FunctionId::MPI_Waitsome);
}
}  // namespace

void waitsome(Binding binding, const void* caller, void (*real)(void*, void*, void*, void*, void*, void*),
              void* incount, void* requests, void* outcount, void* indices, void* statuses, void* ierror) {
  some(FunctionId::MPI_Waitsome, binding, caller, real, incount, requests, outcount, indices, statuses, ierror);
}

void testsome(Binding binding, const void* caller, void (*real)(void*, void*, void*, void*, void*, void*),
              void* incount, void* requests, void* outcount, void* indices, void* statuses, void* ierror) {
  some(FunctionId::MPI_Testsome, binding, caller, real, incount, requests, outcount, indices, statuses, ierror);
}

void start(Binding binding, const void* caller, void (*real)(void*, void*), void* request, void* ierror) {
  CallScope call(FunctionId::MPI_Start, caller);
  const TrackedRequest tracked = call.recording() ? find_request(request_at(request, 0)) : TrackedRequest{};
  real(request, ierror);
  call.stop();
  if (succeeded(ierror)) request_started(call, tracked);
}

void startall(Binding binding, const void* caller, void (*real)(void*, void*, void*), void* count, void* requests,
              void* ierror) {
  CallScope call(FunctionId::MPI_Startall, caller);
  CompletionSet& set = thread_completion_set();
  const int n = as_int(count);
  set.snapshot(call, n, [&](int i) { return request_at(requests, i); });
  real(count, requests, ierror);
  call.stop();
  if (set.any() && succeeded(ierror)) {
    for (int i = 0; i < n; ++i) set.started(call, i);
  }
}

void request_free(Binding binding, const void* caller, void (*real)(void*, void*), void* request, void* ierror) {
  CallScope call(FunctionId::MPI_Request_free, caller);
  const TrackedRequest tracked = call.recording() ? find_request(request_at(request, 0)) : TrackedRequest{};
  real(request, ierror);
  call.stop();
  if (succeeded(ierror)) forget_request(tracked);
}

}  // namespace commtune::pmpi::fortran
