// Resolution of call-site addresses captured in this process (issue 3: per-call-site statistics).
//
// The profiler records raw return addresses (__builtin_return_address(0)) on the hot path and
// calls CallSiteResolver::resolve() once, at the end. Each address is mapped to the loaded module
// that contains it and to its module-relative offset (the address minus the module's load bias,
// i.e. the ELF virtual address), so the key is identical on every rank even under ASLR. DWARF
// (elfutils libdw/libdwfl) then gives source file, line and the inlined-function chain; modules
// without debug info still give module + ELF symbol name.
//
// resolve_offline() does the same for (module path, offset) pairs recorded by another process (the
// rank dumps that the report merges): the module files are read from disk, not from memory.
//
// Not thread-safe with concurrent dlclose() of the modules being resolved; resolve() itself does
// no allocation-sensitive work on behalf of MPI and may be called from any thread.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace commtune::pmpi::callsites {

struct CallSite {
  // Path of the loaded module (executable or shared object) as the dynamic loader sees it; the
  // main executable is reported through /proc/self/exe. Empty when the address is in no module.
  std::string module;
  // Module-relative offset of the address passed in (for return addresses: of the return address
  // itself, not of the call instruction). `addr2line -e <module> <offset - 1>` gives the same
  // line as `line` for return addresses. 0 when `module` is empty.
  std::uint64_t offset = 0;
  // Innermost function containing the call (demangled). For an address in inlined code this is
  // the inlined function; the functions it was inlined into are in `inlined_in`.
  std::string function;
  // Source file (as recorded in DWARF, usually absolute) and line of the call; empty/0 without
  // debug info.
  std::string file;
  int line = 0;
  // True when DWARF line information was found for the address.
  bool has_debug_info = false;
  // When the call is in inlined code: the enclosing functions, innermost first, each as
  // "function at file:line" (the line where the inner function was inlined).
  std::vector<std::string> inlined_in;
};

// A code address as recorded by another process: the module's path (as CallSite::module) and the
// module-relative offset (address minus the module's load bias, i.e. the ELF virtual address; for
// a non-PIE executable, whose bias is 0, the absolute address).
struct ModuleOffset {
  std::string module;
  std::uint64_t offset = 0;
};

enum class AddressKind {
  // Captured with __builtin_return_address: the call instruction is the byte before, so the
  // lookup uses address - 1 (a return address can be the first byte of the next line or function).
  return_address,
  // An exact instruction address (e.g. a function's entry): looked up as is.
  instruction,
};

class CallSiteResolver {
 public:
  struct Options {
    // Also look for separate debug info (/usr/lib/debug/.build-id, .gnu_debuglink), as installed
    // by -dbg/-dbgsym packages. When false, only DWARF inside the module file itself is used.
    bool separate_debuginfo = true;
  };

  CallSiteResolver();
  explicit CallSiteResolver(Options options);

  // One CallSite per input address, in the same order. Costly (reads ELF/DWARF files): call it
  // once, at the end, with the distinct addresses. Modules are enumerated at the time of the call,
  // so addresses in libraries dlclose()d since capture resolve to an empty module.
  std::vector<CallSite> resolve(std::span<const std::uintptr_t> addresses,
                                AddressKind kind = AddressKind::return_address) const;

  // One CallSite per item, in the same order, without the modules being loaded here: each module
  // file is read at its path (PIE executables, shared objects and non-PIE executables alike), with
  // separate debug info looked up as for resolve(). CallSite::module and offset are the item's;
  // an item whose module file cannot be read keeps them and has nothing else.
  std::vector<CallSite> resolve_offline(std::span<const ModuleOffset> items,
                                        AddressKind kind = AddressKind::return_address) const;

 private:
  Options options_;
};

}  // namespace commtune::pmpi::callsites
