#include "callsite_resolver.hpp"

#include <cxxabi.h>
#include <dlfcn.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <link.h>
#include <sys/auxv.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <system_error>
#include <unordered_map>
#include <utility>

namespace commtune::pmpi::callsites {
namespace {

// A module as the dynamic loader has it mapped now.
struct LoadedModule {
  std::string path;         // canonical path (what CallSite::module reports)
  std::string elf_path;     // file to read ELF/DWARF from; empty when there is none (vDSO)
  std::uintptr_t bias = 0;  // dlpi_addr: run-time address = ELF virtual address + bias
  std::vector<std::pair<std::uintptr_t, std::uintptr_t>> segments;  // PT_LOAD [begin, end)
};

std::string canonical_path(const std::string& path) {
  std::error_code error;
  auto canonical = std::filesystem::weakly_canonical(path, error);
  return error ? path : canonical.string();
}

std::string executable_path() {
  std::error_code error;
  auto path = std::filesystem::read_symlink("/proc/self/exe", error);
  return error ? std::string{} : path.string();
}

std::vector<LoadedModule> loaded_modules() {
  struct Context {
    std::vector<LoadedModule> modules;
    std::uintptr_t vdso = 0;
    bool first = true;
  } context;
  context.vdso = static_cast<std::uintptr_t>(getauxval(AT_SYSINFO_EHDR));
  dl_iterate_phdr(
      [](dl_phdr_info* info, std::size_t, void* data) -> int {
        auto& context = *static_cast<Context*>(data);
        const bool first = std::exchange(context.first, false);
        LoadedModule module;
        module.bias = info->dlpi_addr;
        bool is_vdso = false;
        for (int i = 0; i < info->dlpi_phnum; ++i) {
          const auto& phdr = info->dlpi_phdr[i];
          if (phdr.p_type != PT_LOAD) continue;
          const std::uintptr_t begin = info->dlpi_addr + phdr.p_vaddr;
          module.segments.emplace_back(begin, begin + phdr.p_memsz);
          if (context.vdso != 0 && begin <= context.vdso && context.vdso < begin + phdr.p_memsz) is_vdso = true;
        }
        const std::string name = info->dlpi_name != nullptr ? info->dlpi_name : "";
        if (is_vdso) {
          module.path = name.empty() ? "[vdso]" : name;
        } else if (name.empty() && first) {
          // The main program: the loader does not name it.
          module.path = module.elf_path = canonical_path(executable_path());
        } else if (!name.empty()) {
          module.path = module.elf_path = canonical_path(name);
        } else {
          return 0;
        }
        context.modules.push_back(std::move(module));
        return 0;
      },
      &context);
  return std::move(context.modules);
}

const LoadedModule* find_module(const std::vector<LoadedModule>& modules, std::uintptr_t address) {
  for (const auto& module : modules)
    for (const auto& [begin, end] : module.segments)
      if (begin <= address && address < end) return &module;
  return nullptr;
}

std::string demangle(const char* name) {
  if (name == nullptr) return {};
  if (name[0] == '_' && name[1] == 'Z') {
    int status = 0;
    std::unique_ptr<char, decltype(&std::free)> demangled(abi::__cxa_demangle(name, nullptr, nullptr, &status),
                                                          &std::free);
    if (status == 0 && demangled) return demangled.get();
  }
  return name;
}

// The name of a subprogram or inlined-subroutine DIE, following DW_AT_abstract_origin /
// DW_AT_specification; the demangled linkage name when there is one (qualified, with parameters).
std::string die_function_name(Dwarf_Die* die) {
  Dwarf_Attribute attribute;
  for (int name : {DW_AT_linkage_name, DW_AT_MIPS_linkage_name}) {
    if (dwarf_attr_integrate(die, name, &attribute) != nullptr)
      if (const char* linkage = dwarf_formstring(&attribute)) return demangle(linkage);
  }
  if (dwarf_attr_integrate(die, DW_AT_name, &attribute) != nullptr)
    if (const char* plain = dwarf_formstring(&attribute)) return plain;
  return {};
}

bool is_function(Dwarf_Die* die) {
  const int tag = dwarf_tag(die);
  return tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine;
}

// Fills function and inlined_in from the DWARF scopes at `pc` (a module address). Returns false
// when the module has no DIE for it.
bool resolve_scopes(Dwfl_Module* module, Dwarf_Addr pc, CallSite& site) {
  Dwarf_Addr bias = 0;
  Dwarf_Die* cu = dwfl_module_addrdie(module, pc, &bias);
  if (cu == nullptr) return false;
  Dwarf_Die* scopes = nullptr;
  const int count = dwarf_getscopes(cu, pc - bias, &scopes);
  if (count <= 0) return false;
  std::unique_ptr<Dwarf_Die, decltype(&std::free)> owner(scopes, &std::free);

  // The innermost function (possibly an inlined instance). dwarf_getscopes() continues past an
  // inlined instance with the scopes of its abstract definition, not with the function it was
  // inlined into, so the callers are found by walking up the DIE tree (dwarf_getscopes_die).
  Dwarf_Die current;
  bool found = false;
  for (int i = 0; i < count && !found; ++i)
    if (is_function(&scopes[i])) {
      current = scopes[i];
      found = true;
    }
  if (!found) return false;

  site.function = die_function_name(&current);
  Dwarf_Files* files = nullptr;
  std::size_t file_count = 0;
  const bool have_files = dwarf_getsrcfiles(cu, &files, &file_count) == 0;
  while (dwarf_tag(&current) == DW_TAG_inlined_subroutine) {
    Dwarf_Die* parents = nullptr;
    const int parent_count = dwarf_getscopes_die(&current, &parents);
    std::unique_ptr<Dwarf_Die, decltype(&std::free)> parents_owner(parents, &std::free);
    Dwarf_Die caller;
    bool have_caller = false;
    for (int i = 1; i < parent_count && !have_caller; ++i)  // [0] is the inlined instance itself
      if (is_function(&parents[i])) {
        caller = parents[i];
        have_caller = true;
      }
    if (!have_caller) break;

    std::string where = die_function_name(&caller);
    Dwarf_Attribute attribute;
    Dwarf_Word file_index = 0;
    Dwarf_Word call_line = 0;
    std::string call_file;
    if (have_files && dwarf_attr(&current, DW_AT_call_file, &attribute) != nullptr &&
        dwarf_formudata(&attribute, &file_index) == 0 && file_index < file_count)
      if (const char* name = dwarf_filesrc(files, file_index, nullptr, nullptr)) call_file = name;
    if (dwarf_attr(&current, DW_AT_call_line, &attribute) != nullptr) dwarf_formudata(&attribute, &call_line);
    if (!call_file.empty() || call_line != 0)
      where += " at " + (call_file.empty() ? std::string("??") : call_file) + ":" + std::to_string(call_line);
    site.inlined_in.push_back(std::move(where));
    current = caller;
  }
  return true;
}

int no_separate_debuginfo(Dwfl_Module*, void**, const char*, Dwarf_Addr, const char*, const char*, GElf_Word, char**) {
  return -1;
}

// Whether a separate debug file for the module can be on this machine: where libdwfl's standard
// search looks (its build-id under /usr/lib/debug/.build-id, its .gnu_debuglink name beside it, in
// .debug/ beside it, or under /usr/lib/debug). When it cannot, that search would end by loading
// libdebuginfod, and with it libcurl, TLS and Kerberos (elfutils 0.188 does so even with
// DEBUGINFOD_URLS unset): tens of milliseconds of every report, for modules without debug info.
bool local_debug_file_possible(Dwfl_Module* module, const char* file_name, const char* debuglink_file) {
  namespace fs = std::filesystem;
  std::error_code error;
  const unsigned char* build_id = nullptr;
  GElf_Addr build_id_address = 0;
  const int id_bytes = dwfl_module_build_id(module, &build_id, &build_id_address);
  if (id_bytes > 1) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string path = "/usr/lib/debug/.build-id/";
    path += kHex[build_id[0] >> 4];
    path += kHex[build_id[0] & 15];
    path += '/';
    for (int i = 1; i < id_bytes; ++i) path += {kHex[build_id[i] >> 4], kHex[build_id[i] & 15]};
    if (fs::exists(path + ".debug", error)) return true;
  }
  if (!debuglink_file || !file_name) return false;
  const fs::path dir = fs::path(file_name).parent_path();
  for (const fs::path& candidate : {dir / debuglink_file, dir / ".debug" / debuglink_file,
                                    fs::path("/usr/lib/debug") / dir.relative_path() / debuglink_file}) {
    if (fs::exists(candidate, error)) return true;
  }
  return false;
}

int local_separate_debuginfo(Dwfl_Module* module, void** user_data, const char* module_name, Dwarf_Addr base,
                             const char* file_name, const char* debuglink_file, GElf_Word debuglink_crc,
                             char** debuginfo_file_name) {
  const char* servers = std::getenv("DEBUGINFOD_URLS");  // the user asked for debuginfod: let libdwfl use it
  if ((!servers || !*servers) && !local_debug_file_possible(module, file_name, debuglink_file)) return -1;
  return dwfl_standard_find_debuginfo(module, user_data, module_name, base, file_name, debuglink_file, debuglink_crc,
                                      debuginfo_file_name);
}

// libdwfl keeps a pointer to its callbacks for the whole session, hence static storage. Modules
// are always reported with their file, so find_elf is never needed to locate one.
const Dwfl_Callbacks* dwfl_callbacks(bool separate_debuginfo) {
  static char* default_debuginfo_path = nullptr;  // /usr/lib/debug, .build-id and .gnu_debuglink
  static const Dwfl_Callbacks with_separate{.find_elf = dwfl_build_id_find_elf,
                                            .find_debuginfo = local_separate_debuginfo,
                                            .section_address = dwfl_offline_section_address,
                                            .debuginfo_path = &default_debuginfo_path};
  static const Dwfl_Callbacks module_only{.find_elf = dwfl_build_id_find_elf,
                                          .find_debuginfo = no_separate_debuginfo,
                                          .section_address = dwfl_offline_section_address,
                                          .debuginfo_path = &default_debuginfo_path};
  return separate_debuginfo ? &with_separate : &module_only;
}

struct DwflDeleter {
  void operator()(Dwfl* dwfl) const { dwfl_end(dwfl); }
};
using DwflSession = std::unique_ptr<Dwfl, DwflDeleter>;

// The address libdwfl is asked about for a captured address (see AddressKind).
std::uint64_t lookup_address(std::uint64_t address, AddressKind kind) {
  return kind == AddressKind::return_address && address != 0 ? address - 1 : address;
}

// Fills file, line, has_debug_info, function and inlined_in of `site` for `lookup`, an address in
// `module`'s libdwfl address space.
void describe_address(Dwfl_Module* module, Dwarf_Addr lookup, CallSite& site) {
  if (Dwfl_Line* line = dwfl_module_getsrc(module, lookup)) {
    int line_number = 0;
    if (const char* file = dwfl_lineinfo(line, nullptr, &line_number, nullptr, nullptr, nullptr)) {
      site.file = file;
      site.line = line_number;
      site.has_debug_info = true;
    }
  }
  if (site.has_debug_info) resolve_scopes(module, lookup, site);
  if (site.function.empty() || site.inlined_in.empty()) {
    // Outside inlined code the ELF symbol is authoritative (and all there is without DWARF).
    GElf_Off symbol_offset = 0;
    GElf_Sym symbol;
    if (const char* name = dwfl_module_addrinfo(module, lookup, &symbol_offset, &symbol, nullptr, nullptr, nullptr))
      site.function = demangle(name);
  }
}

}  // namespace

CallSiteResolver::CallSiteResolver() : CallSiteResolver(Options{}) {}

CallSiteResolver::CallSiteResolver(Options options) : options_(options) {}

std::vector<CallSite> CallSiteResolver::resolve(std::span<const std::uintptr_t> addresses, AddressKind kind) const {
  const std::vector<LoadedModule> modules = loaded_modules();

  // Report to libdwfl only the modules that hold addresses, each at the loader's own bias.
  DwflSession dwfl(dwfl_begin(dwfl_callbacks(options_.separate_debuginfo)));
  std::unordered_map<const LoadedModule*, Dwfl_Module*> dwfl_modules;
  if (dwfl) {
    dwfl_report_begin(dwfl.get());
    for (std::uintptr_t address : addresses) {
      const LoadedModule* module = find_module(modules, lookup_address(address, kind));
      if (module == nullptr || module->elf_path.empty() || dwfl_modules.contains(module)) continue;
      dwfl_modules[module] =
          dwfl_report_elf(dwfl.get(), module->path.c_str(), module->elf_path.c_str(), -1, module->bias, true);
    }
    dwfl_report_end(dwfl.get(), nullptr, nullptr);
  }

  std::unordered_map<std::uintptr_t, CallSite> resolved;
  std::vector<CallSite> sites;
  sites.reserve(addresses.size());
  for (std::uintptr_t address : addresses) {
    if (auto found = resolved.find(address); found != resolved.end()) {
      sites.push_back(found->second);
      continue;
    }
    CallSite site;
    const std::uintptr_t lookup = lookup_address(address, kind);
    if (const LoadedModule* module = find_module(modules, lookup)) {
      site.module = module->path;
      site.offset = address - module->bias;
      if (auto it = dwfl_modules.find(module); it != dwfl_modules.end() && it->second != nullptr)
        describe_address(it->second, lookup, site);
      if (site.function.empty()) {
        Dl_info info{};
        if (dladdr(reinterpret_cast<void*>(lookup), &info) != 0 && info.dli_sname != nullptr)
          site.function = demangle(info.dli_sname);
      }
    }
    resolved.emplace(address, site);
    sites.push_back(std::move(site));
  }
  return sites;
}

std::vector<CallSite> CallSiteResolver::resolve_offline(std::span<const ModuleOffset> items, AddressKind kind) const {
  std::vector<CallSite> sites(items.size());
  std::map<std::string, std::vector<std::size_t>> items_by_module;
  for (std::size_t i = 0; i < items.size(); ++i) {
    sites[i].module = items[i].module;
    sites[i].offset = items[i].offset;
    if (!items[i].module.empty()) items_by_module[items[i].module].push_back(i);
  }

  // One libdwfl session per module: each is reported at base 0, so that its libdwfl addresses are
  // its ELF virtual addresses (= the offsets), and modules at the same addresses cannot share a
  // session. libdwfl ignores the base of a non-PIE executable, whose addresses are absolute.
  for (const auto& [path, indices] : items_by_module) {
    DwflSession dwfl(dwfl_begin(dwfl_callbacks(options_.separate_debuginfo)));
    if (!dwfl) continue;
    dwfl_report_begin(dwfl.get());
    Dwfl_Module* module = dwfl_report_elf(dwfl.get(), path.c_str(), path.c_str(), -1, 0, true);
    dwfl_report_end(dwfl.get(), nullptr, nullptr);
    if (module == nullptr) continue;  // missing or not ELF: module and offset only

    std::unordered_map<std::uint64_t, std::size_t> first_with_offset;
    for (std::size_t i : indices) {
      if (auto [found, inserted] = first_with_offset.emplace(items[i].offset, i); !inserted) {
        sites[i] = sites[found->second];
        continue;
      }
      describe_address(module, lookup_address(items[i].offset, kind), sites[i]);
    }
  }
  return sites;
}

}  // namespace commtune::pmpi::callsites
