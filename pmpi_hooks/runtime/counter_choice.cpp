#include "runtime/counter_choice.hpp"

#include <algorithm>

#include "papi/papi_plugin.h"

namespace commtune::pmpi::counters {
namespace {

struct SoftwareEvent {
  const char* papi_name;     // PAPI's perf_event software event, preferred where it works
  const char* builtin_name;  // ours, from the operating system, which always works
  Source builtin_source;
  const char* what;
};

// The stand-ins, in order of preference.
constexpr SoftwareEvent kSoftwareEvents[] = {
    {"perf::TASK-CLOCK", "commtune::TASK-CLOCK", Source::ThreadCpuTime, "thread CPU time in ns"},
    {"perf::PAGE-FAULTS", "commtune::PAGE-FAULTS", Source::PageFaults, "page faults"},
};

const SoftwareEvent* builtin(const std::string& name) {
  for (const SoftwareEvent& event : kSoftwareEvents)
    if (name == event.builtin_name) return &event;
  return nullptr;
}

bool measured(const Choice& choice, const std::string& name) {
  return std::any_of(choice.measured.begin(), choice.measured.end(), [&](const Event& e) { return e.name == name; });
}

void add_stand_ins(Choice& choice, const TryPapi& try_papi) {
  for (const SoftwareEvent& event : kSoftwareEvents) {
    if (int(choice.measured.size()) >= kMaxEvents) return;
    if (measured(choice, event.papi_name) || measured(choice, event.builtin_name)) continue;
    std::string reason;
    if (try_papi(event.papi_name, reason) == COMMTUNE_PAPI_ADDED) {
      choice.measured.push_back({event.papi_name, Source::Papi});
      choice.notes.push_back(std::string("measuring ") + event.papi_name + " (software event, " + event.what +
                             ") instead");
    } else {
      choice.measured.push_back({event.builtin_name, event.builtin_source});
      choice.notes.push_back(std::string("measuring ") + event.builtin_name + " (" + event.what +
                             ", from the operating system; PAPI's " + event.papi_name + ": " + reason + ") instead");
    }
    choice.fallback = true;
  }
}

}  // namespace

std::vector<std::string> split_events(const std::string& list) {
  std::vector<std::string> names;
  std::size_t begin = 0;
  while (begin <= list.size()) {
    std::size_t end = list.find(',', begin);
    if (end == std::string::npos) end = list.size();
    std::string name = list.substr(begin, end - begin);
    name.erase(0, name.find_first_not_of(" \t"));
    name.erase(name.find_last_not_of(" \t") + 1);
    if (!name.empty() && std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    begin = end + 1;
  }
  return names;
}

Choice choose(const std::vector<std::string>& requested, const TryPapi& try_papi) {
  Choice choice;
  bool missing = false;
  for (const std::string& name : requested) {
    if (int(choice.measured.size()) >= kMaxEvents) {
      choice.notes.push_back(name + " not counted: at most " + std::to_string(kMaxEvents) + " events");
      continue;
    }
    if (const SoftwareEvent* event = builtin(name)) {
      choice.measured.push_back({name, event->builtin_source});
      continue;
    }
    std::string reason;
    const int status = try_papi(name, reason);
    if (status == COMMTUNE_PAPI_ADDED) {
      choice.measured.push_back({name, Source::Papi});
    } else if (status == COMMTUNE_PAPI_UNKNOWN) {
      choice.warnings.push_back("COMMTUNE_PAPI: unknown event " + name + " (" + reason + "); ignored");
      missing = true;
    } else {
      choice.notes.push_back(name + " cannot be counted here: " + reason);
      missing = true;
    }
  }
  if (missing) add_stand_ins(choice, try_papi);
  return choice;
}

}  // namespace commtune::pmpi::counters
