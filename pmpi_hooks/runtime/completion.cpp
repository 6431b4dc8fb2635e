// Hand-written C wrappers for request completion and persistent starts: the requests are looked
// up before MPI releases their handles, and completions are attributed afterwards to the call
// sites that posted them. A call that is not recorded (nested inside another wrapper: MPICH's
// Fortran bindings call the C functions) goes straight through and leaves the thread's
// completion set to the outer wrapper.
#include <mpi.h>

#include "runtime/export.hpp"
#include "runtime/requests.hpp"

using namespace commtune::pmpi;

#define COMMTUNE_CALLER __builtin_return_address(0)

namespace {

// Whether entry i of an array completed, given the call's result (MPI_ERR_IN_STATUS reports each).
bool completed_ok(int result, const MPI_Status* statuses, int i) {
  return result == MPI_SUCCESS || (result == MPI_ERR_IN_STATUS && statuses[i].MPI_ERROR == MPI_SUCCESS);
}

// Waitall/Testall: every request of the array completed.
void attribute_all(CallScope& call, CompletionSet& set, int result, int count, const MPI_Status* statuses) {
  for (int i = 0; i < count; ++i) {
    if (completed_ok(result, statuses, i)) set.completed(call, i, set.wants_status() ? &statuses[i] : nullptr);
  }
}

// Waitsome/Testsome: the requests named by indices[0 .. outcount) completed.
void attribute_some(CallScope& call, CompletionSet& set, int result, int incount, int outcount, const int* indices,
                    const MPI_Status* statuses) {
  if (outcount == MPI_UNDEFINED) return;
  for (int k = 0; k < outcount; ++k) {
    if (completed_ok(result, statuses, k) && indices[k] >= 0 && indices[k] < incount) {
      set.completed(call, indices[k], set.wants_status() ? &statuses[k] : nullptr);
    }
  }
}

}  // namespace

extern "C" COMMTUNE_EXPORT int MPI_Wait(MPI_Request* request, MPI_Status* status) {
  CallScope call(FunctionId::MPI_Wait, COMMTUNE_CALLER);
  SingleCompletion single;
  single.before(call, *request);
  MPI_Status own;
  if (single.tracked.wants_status() && status == MPI_STATUS_IGNORE) status = &own;
  const int result = PMPI_Wait(request, status);
  call.stop();
  if (result == MPI_SUCCESS) single.after(call, true, true, status);
  return result;
}

extern "C" COMMTUNE_EXPORT int MPI_Test(MPI_Request* request, int* flag, MPI_Status* status) {
  CallScope call(FunctionId::MPI_Test, COMMTUNE_CALLER);
  SingleCompletion single;
  single.before(call, *request);
  MPI_Status own;
  if (single.tracked.wants_status() && status == MPI_STATUS_IGNORE) status = &own;
  const int result = PMPI_Test(request, flag, status);
  call.stop();
  if (result == MPI_SUCCESS) single.after(call, false, *flag != 0, status);
  return result;
}

extern "C" COMMTUNE_EXPORT int MPI_Waitall(int count, MPI_Request requests[], MPI_Status statuses[]) {
  CallScope call(FunctionId::MPI_Waitall, COMMTUNE_CALLER);
  if (!call.recording()) return PMPI_Waitall(count, requests, statuses);
  CompletionSet& set = thread_completion_set();
  set.snapshot(call, count, [&](int i) { return requests[i]; });
  if (set.wants_status() && statuses == MPI_STATUSES_IGNORE) statuses = set.status_buffer(count);
  const int result = PMPI_Waitall(count, requests, statuses);
  call.stop();
  if (set.any()) attribute_all(call, set, result, count, statuses);
  set.finish(call, true);
  return result;
}

extern "C" COMMTUNE_EXPORT int MPI_Testall(int count, MPI_Request requests[], int* flag, MPI_Status statuses[]) {
  CallScope call(FunctionId::MPI_Testall, COMMTUNE_CALLER);
  if (!call.recording()) return PMPI_Testall(count, requests, flag, statuses);
  CompletionSet& set = thread_completion_set();
  set.snapshot(call, count, [&](int i) { return requests[i]; });
  if (set.wants_status() && statuses == MPI_STATUSES_IGNORE) statuses = set.status_buffer(count);
  const int result = PMPI_Testall(count, requests, flag, statuses);
  call.stop();
  if (set.any() && *flag) attribute_all(call, set, result, count, statuses);
  set.finish(call, false);
  return result;
}

extern "C" COMMTUNE_EXPORT int MPI_Waitany(int count, MPI_Request requests[], int* index, MPI_Status* status) {
  CallScope call(FunctionId::MPI_Waitany, COMMTUNE_CALLER);
  if (!call.recording()) return PMPI_Waitany(count, requests, index, status);
  CompletionSet& set = thread_completion_set();
  set.snapshot(call, count, [&](int i) { return requests[i]; });
  MPI_Status own;
  if (set.wants_status() && status == MPI_STATUS_IGNORE) status = &own;
  const int result = PMPI_Waitany(count, requests, index, status);
  call.stop();
  if (set.any() && result == MPI_SUCCESS && *index >= 0 && *index < count) set.completed(call, *index, status);
  set.finish(call, true);
  return result;
}

extern "C" COMMTUNE_EXPORT int MPI_Testany(int count, MPI_Request requests[], int* index, int* flag,
                                           MPI_Status* status) {
  CallScope call(FunctionId::MPI_Testany, COMMTUNE_CALLER);
  if (!call.recording()) return PMPI_Testany(count, requests, index, flag, status);
  CompletionSet& set = thread_completion_set();
  set.snapshot(call, count, [&](int i) { return requests[i]; });
  MPI_Status own;
  if (set.wants_status() && status == MPI_STATUS_IGNORE) status = &own;
  const int result = PMPI_Testany(count, requests, index, flag, status);
  call.stop();
  if (set.any() && result == MPI_SUCCESS && *flag && *index >= 0 && *index < count) set.completed(call, *index, status);
  set.finish(call, false);
  return result;
}

extern "C" COMMTUNE_EXPORT int MPI_Waitsome(int incount, MPI_Request requests[], int* outcount, int indices[],
                                            MPI_Status statuses[]) {
  CallScope call(FunctionId::MPI_Waitsome, COMMTUNE_CALLER);
  if (!call.recording()) return PMPI_Waitsome(incount, requests, outcount, indices, statuses);
  CompletionSet& set = thread_completion_set();
  set.snapshot(call, incount, [&](int i) { return requests[i]; });
  if (set.wants_status() && statuses == MPI_STATUSES_IGNORE) statuses = set.status_buffer(incount);
  const int result = PMPI_Waitsome(incount, requests, outcount, indices, statuses);
  call.stop();
  if (set.any()) attribute_some(call, set, result, incount, *outcount, indices, statuses);
  set.finish(call, true);
  return result;
}

extern "C" COMMTUNE_EXPORT int MPI_Testsome(int incount, MPI_Request requests[], int* outcount, int indices[],
                                            MPI_Status statuses[]) {
  CallScope call(FunctionId::MPI_Testsome, COMMTUNE_CALLER);
  if (!call.recording()) return PMPI_Testsome(incount, requests, outcount, indices, statuses);
  CompletionSet& set = thread_completion_set();
  set.snapshot(call, incount, [&](int i) { return requests[i]; });
  if (set.wants_status() && statuses == MPI_STATUSES_IGNORE) statuses = set.status_buffer(incount);
  const int result = PMPI_Testsome(incount, requests, outcount, indices, statuses);
  call.stop();
  if (set.any()) attribute_some(call, set, result, incount, *outcount, indices, statuses);
  set.finish(call, false);
  return result;
}

extern "C" COMMTUNE_EXPORT int MPI_Start(MPI_Request* request) {
  CallScope call(FunctionId::MPI_Start, COMMTUNE_CALLER);
  const TrackedRequest tracked = call.recording() ? find_request(*request) : TrackedRequest{};
  const int result = PMPI_Start(request);
  call.stop();
  if (result == MPI_SUCCESS) request_started(call, tracked);
  return result;
}

extern "C" COMMTUNE_EXPORT int MPI_Startall(int count, MPI_Request requests[]) {
  CallScope call(FunctionId::MPI_Startall, COMMTUNE_CALLER);
  if (!call.recording()) return PMPI_Startall(count, requests);
  CompletionSet& set = thread_completion_set();
  set.snapshot(call, count, [&](int i) { return requests[i]; });
  const int result = PMPI_Startall(count, requests);
  call.stop();
  if (set.any() && result == MPI_SUCCESS) {
    for (int i = 0; i < count; ++i) set.started(call, i);
  }
  return result;
}

extern "C" COMMTUNE_EXPORT int MPI_Request_free(MPI_Request* request) {
  CallScope call(FunctionId::MPI_Request_free, COMMTUNE_CALLER);
  const TrackedRequest tracked = call.recording() ? find_request(*request) : TrackedRequest{};
  const int result = PMPI_Request_free(request);
  call.stop();
  if (result == MPI_SUCCESS) forget_request(tracked);
  return result;
}
