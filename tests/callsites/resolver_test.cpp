// Tests of commtune::pmpi::callsites::CallSiteResolver: return addresses captured on known lines
// (__LINE__ on the same line as the call) resolve to exactly that file:line, function and module,
// in this process (resolve) and from (module path, offset) pairs as another process would have
// recorded them (resolve_offline).
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <link.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "callsites/callsite_resolver.hpp"

namespace callsites_helper {
std::uintptr_t record_in_library(int* line);  // helper_lib.cpp, a shared library built with -g
}

namespace {

using commtune::pmpi::callsites::AddressKind;
using commtune::pmpi::callsites::CallSite;
using commtune::pmpi::callsites::CallSiteResolver;
using commtune::pmpi::callsites::ModuleOffset;

// The call and its __LINE__ must stay on one line.
// clang-format off
__attribute__((noinline)) std::uintptr_t capture_return_address() {
  return reinterpret_cast<std::uintptr_t>(__builtin_return_address(0));
}

__attribute__((noinline)) std::uintptr_t record_in_executable(int* line) {
  const std::uintptr_t address = capture_return_address(); *line = __LINE__;
  return address;
}

__attribute__((always_inline)) inline std::uintptr_t inlined_capture(int* line) {
  const std::uintptr_t address = capture_return_address(); *line = __LINE__;
  return address;
}

__attribute__((noinline)) std::uintptr_t record_through_inline(int* inner_line, int* outer_line) {
  const std::uintptr_t address = inlined_capture(inner_line); *outer_line = __LINE__;
  return address;
}
// clang-format on

std::string canonical(const std::string& path) { return std::filesystem::weakly_canonical(path).string(); }

std::string basename(const std::string& path) { return std::filesystem::path(path).filename().string(); }

// The module a code address belongs to, and its load base, according to the dynamic loader.
Dl_info loader_info(const void* address) {
  Dl_info info{};
  EXPECT_NE(dladdr(address, &info), 0);
  return info;
}

const std::string this_file = basename(__FILE__);

TEST(Resolver, ExecutableCallSiteIsExact) {
  int line = 0;
  const std::uintptr_t address = record_in_executable(&line);
  const std::vector<std::uintptr_t> addresses{address};
  const auto sites = CallSiteResolver().resolve(addresses);
  ASSERT_EQ(sites.size(), 1u);
  const CallSite& site = sites[0];
  EXPECT_TRUE(site.has_debug_info);
  EXPECT_EQ(basename(site.file), this_file);
  EXPECT_EQ(site.line, line);
  EXPECT_NE(site.function.find("record_in_executable"), std::string::npos) << site.function;
  EXPECT_TRUE(site.inlined_in.empty());
  EXPECT_EQ(site.module, canonical(std::filesystem::read_symlink("/proc/self/exe").string()));
  EXPECT_EQ(basename(site.module), "callsites_resolver_test");
  // Module-relative: independent of where ASLR put the (PIE) executable.
  const Dl_info info = loader_info(reinterpret_cast<const void*>(&record_in_executable));
  EXPECT_EQ(site.offset, address - reinterpret_cast<std::uintptr_t>(info.dli_fbase));
  EXPECT_LT(site.offset, address);
}

TEST(Resolver, SharedLibraryCallSiteIsExact) {
  int line = 0;
  const std::uintptr_t address = callsites_helper::record_in_library(&line);
  const std::vector<std::uintptr_t> addresses{address};
  const auto sites = CallSiteResolver().resolve(addresses);
  ASSERT_EQ(sites.size(), 1u);
  const CallSite& site = sites[0];
  EXPECT_TRUE(site.has_debug_info);
  EXPECT_EQ(basename(site.file), "helper_lib.cpp");
  EXPECT_EQ(site.line, line);
  EXPECT_NE(site.function.find("callsites_helper::record_in_library"), std::string::npos) << site.function;
  const Dl_info info = loader_info(reinterpret_cast<const void*>(&callsites_helper::record_in_library));
  EXPECT_EQ(site.module, canonical(info.dli_fname));
  EXPECT_EQ(basename(site.module), "libcallsites_test_helper.so");
  EXPECT_EQ(site.offset, address - reinterpret_cast<std::uintptr_t>(info.dli_fbase));
}

TEST(Resolver, LibraryWithoutDebugInfoGivesModuleAndSymbol) {
  void* handle = dlopen(CALLSITES_NODEBUG_LIBRARY, RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(handle, nullptr) << dlerror();
  auto* record = reinterpret_cast<std::uintptr_t (*)(int*)>(dlsym(handle, "callsites_helper_nodebug_record"));
  ASSERT_NE(record, nullptr) << dlerror();
  int line = 0;
  const std::uintptr_t address = record(&line);
  const std::vector<std::uintptr_t> addresses{address};
  const auto sites = CallSiteResolver().resolve(addresses);
  ASSERT_EQ(sites.size(), 1u);
  const CallSite& site = sites[0];
  EXPECT_FALSE(site.has_debug_info);
  EXPECT_TRUE(site.file.empty());
  EXPECT_EQ(site.line, 0);
  EXPECT_EQ(site.module, canonical(CALLSITES_NODEBUG_LIBRARY));
  // Stripped: only the dynamic symbol table is left; record_in_library is exported.
  EXPECT_NE(site.function.find("record_in_library"), std::string::npos) << site.function;
  dlclose(handle);
}

TEST(Resolver, LibcPrintfWithoutDebugInfo) {
  void* printf_address = dlsym(RTLD_DEFAULT, "printf");
  ASSERT_NE(printf_address, nullptr);
  const std::vector<std::uintptr_t> addresses{reinterpret_cast<std::uintptr_t>(printf_address) + 4};
  // Only DWARF inside libc.so.6 itself, which distributions strip: a libc6-dbg package
  // installed on the machine must not matter here.
  const auto sites = CallSiteResolver(CallSiteResolver::Options{.separate_debuginfo = false})
                         .resolve(addresses, AddressKind::instruction);
  ASSERT_EQ(sites.size(), 1u);
  const CallSite& site = sites[0];
  EXPECT_FALSE(site.has_debug_info);
  EXPECT_FALSE(site.module.empty());
  EXPECT_NE(basename(site.module).find("libc.so"), std::string::npos) << site.module;
  EXPECT_EQ(site.module, canonical(loader_info(printf_address).dli_fname));
  EXPECT_NE(site.function.find("printf"), std::string::npos) << site.function;

  // With separate debug info allowed the module and symbol are the same (file:line come with
  // libc6-dbg when it is installed).
  const auto with_debuginfo = CallSiteResolver().resolve(addresses, AddressKind::instruction);
  EXPECT_EQ(with_debuginfo[0].module, site.module);
  EXPECT_EQ(with_debuginfo[0].offset, site.offset);
  EXPECT_NE(with_debuginfo[0].function.find("printf"), std::string::npos) << with_debuginfo[0].function;
  RecordProperty("libc_separate_debuginfo", with_debuginfo[0].has_debug_info ? "yes" : "no");
}

TEST(Resolver, InlinedFrames) {
  int inner_line = 0;
  int outer_line = 0;
  const std::uintptr_t address = record_through_inline(&inner_line, &outer_line);
  const std::vector<std::uintptr_t> addresses{address};
  const auto sites = CallSiteResolver().resolve(addresses);
  ASSERT_EQ(sites.size(), 1u);
  const CallSite& site = sites[0];
  EXPECT_TRUE(site.has_debug_info);
  EXPECT_EQ(basename(site.file), this_file);
  EXPECT_EQ(site.line, inner_line);
  EXPECT_NE(site.function.find("inlined_capture"), std::string::npos) << site.function;
  ASSERT_EQ(site.inlined_in.size(), 1u);
  EXPECT_NE(site.inlined_in[0].find("record_through_inline"), std::string::npos) << site.inlined_in[0];
  const std::string call_position = this_file + ":" + std::to_string(outer_line);
  EXPECT_NE(site.inlined_in[0].find(call_position), std::string::npos) << site.inlined_in[0];
}

TEST(Resolver, BatchKeepsOrderAndDuplicates) {
  int line_exe = 0;
  int line_lib = 0;
  const std::uintptr_t in_exe = record_in_executable(&line_exe);
  const std::uintptr_t in_lib = callsites_helper::record_in_library(&line_lib);
  int on_stack = 0;
  const auto not_code = reinterpret_cast<std::uintptr_t>(&on_stack);
  const std::vector<std::uintptr_t> addresses{in_lib, in_exe, not_code, in_lib, 0};
  const auto sites = CallSiteResolver().resolve(addresses);
  ASSERT_EQ(sites.size(), addresses.size());
  EXPECT_EQ(sites[0].line, line_lib);
  EXPECT_EQ(sites[1].line, line_exe);
  EXPECT_EQ(sites[3].line, line_lib);
  EXPECT_EQ(sites[3].module, sites[0].module);
  EXPECT_EQ(sites[3].offset, sites[0].offset);
  for (std::size_t i : {2u, 4u}) {
    EXPECT_TRUE(sites[i].module.empty()) << sites[i].module;
    EXPECT_FALSE(sites[i].has_debug_info);
    EXPECT_EQ(sites[i].line, 0);
  }
}

TEST(Resolver, EmptyInput) { EXPECT_TRUE(CallSiteResolver().resolve({}).empty()); }

// Module and offset of a code address the way the profiler records them: the loader's link map
// gives the load bias (l_addr) and the path, which is empty for the main program.
ModuleOffset recorded_as(std::uintptr_t address, AddressKind kind = AddressKind::return_address) {
  const std::uintptr_t inside = kind == AddressKind::return_address ? address - 1 : address;
  Dl_info info{};
  link_map* map = nullptr;
  EXPECT_NE(dladdr1(reinterpret_cast<void*>(inside), &info, reinterpret_cast<void**>(&map), RTLD_DL_LINKMAP), 0);
  if (map == nullptr) return {};
  std::string path = map->l_name != nullptr ? map->l_name : "";
  if (path.empty()) path = std::filesystem::read_symlink("/proc/self/exe").string();
  return {path, address - map->l_addr};
}

void expect_same_site(const CallSite& offline, const CallSite& loaded) {
  EXPECT_EQ(canonical(offline.module), loaded.module);
  EXPECT_EQ(offline.offset, loaded.offset);
  EXPECT_EQ(offline.function, loaded.function);
  EXPECT_EQ(offline.file, loaded.file);
  EXPECT_EQ(offline.line, loaded.line);
  EXPECT_EQ(offline.has_debug_info, loaded.has_debug_info);
  EXPECT_EQ(offline.inlined_in, loaded.inlined_in);
}

// Resolves `address` both ways; returns the offline result after checking it equals resolve()'s.
CallSite resolve_both_ways(std::uintptr_t address, AddressKind kind = AddressKind::return_address,
                           CallSiteResolver::Options options = {}) {
  const CallSiteResolver resolver(options);
  const std::vector<std::uintptr_t> addresses{address};
  const std::vector<ModuleOffset> items{recorded_as(address, kind)};
  const auto loaded = resolver.resolve(addresses, kind);
  const auto offline = resolver.resolve_offline(items, kind);
  EXPECT_EQ(offline.size(), 1u);
  if (offline.size() != 1 || loaded.size() != 1) return {};
  EXPECT_EQ(offline[0].module, items[0].module);
  expect_same_site(offline[0], loaded[0]);
  return offline[0];
}

TEST(Resolver, OfflinePieExecutable) {
  int line = 0;
  const CallSite site = resolve_both_ways(record_in_executable(&line));
  EXPECT_TRUE(site.has_debug_info);
  EXPECT_EQ(basename(site.file), this_file);
  EXPECT_EQ(site.line, line);
  EXPECT_NE(site.function.find("record_in_executable"), std::string::npos) << site.function;
  EXPECT_EQ(basename(site.module), "callsites_resolver_test");
}

TEST(Resolver, OfflineSharedLibrary) {
  int line = 0;
  const CallSite site = resolve_both_ways(callsites_helper::record_in_library(&line));
  EXPECT_TRUE(site.has_debug_info);
  EXPECT_EQ(basename(site.file), "helper_lib.cpp");
  EXPECT_EQ(site.line, line);
  EXPECT_NE(site.function.find("callsites_helper::record_in_library"), std::string::npos) << site.function;
}

TEST(Resolver, OfflineInlinedFrames) {
  int inner_line = 0;
  int outer_line = 0;
  const CallSite site = resolve_both_ways(record_through_inline(&inner_line, &outer_line));
  EXPECT_EQ(site.line, inner_line);
  EXPECT_NE(site.function.find("inlined_capture"), std::string::npos) << site.function;
  ASSERT_EQ(site.inlined_in.size(), 1u);
  EXPECT_NE(site.inlined_in[0].find(this_file + ":" + std::to_string(outer_line)), std::string::npos)
      << site.inlined_in[0];
}

TEST(Resolver, OfflineLibraryWithoutDebugInfo) {
  void* handle = dlopen(CALLSITES_NODEBUG_LIBRARY, RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(handle, nullptr) << dlerror();
  auto* record = reinterpret_cast<std::uintptr_t (*)(int*)>(dlsym(handle, "callsites_helper_nodebug_record"));
  ASSERT_NE(record, nullptr) << dlerror();
  int line = 0;
  const CallSite site = resolve_both_ways(record(&line));
  EXPECT_FALSE(site.has_debug_info);
  EXPECT_EQ(site.line, 0);
  EXPECT_NE(site.function.find("record_in_library"), std::string::npos) << site.function;
  dlclose(handle);
}

// DWARF in a separate file named by .gnu_debuglink, next to the stripped library.
TEST(Resolver, OfflineSeparateDebugInfoThroughDebuglink) {
  void* handle = dlopen(CALLSITES_SPLIT_LIBRARY, RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(handle, nullptr) << dlerror();
  auto* record = reinterpret_cast<std::uintptr_t (*)(int*)>(dlsym(handle, "callsites_helper_split_record"));
  ASSERT_NE(record, nullptr) << dlerror();
  int line = 0;
  const std::uintptr_t address = record(&line);
  const CallSite site = resolve_both_ways(address);
  EXPECT_TRUE(site.has_debug_info);
  EXPECT_EQ(basename(site.file), "helper_lib.cpp");
  EXPECT_EQ(site.line, line);
  EXPECT_NE(site.function.find("callsites_helper_split::record_in_library"), std::string::npos) << site.function;

  // Without separate debug info only the symbol is left.
  const CallSite module_only = resolve_both_ways(address, AddressKind::return_address, {.separate_debuginfo = false});
  EXPECT_FALSE(module_only.has_debug_info);
  EXPECT_NE(module_only.function.find("record_in_library"), std::string::npos) << module_only.function;
  dlclose(handle);
}

// libc: separate debug info under /usr/lib/debug/.build-id when libc6-dbg is installed, none
// otherwise; either way the same as for the loaded module.
TEST(Resolver, OfflineLibc) {
  void* printf_address = dlsym(RTLD_DEFAULT, "printf");
  ASSERT_NE(printf_address, nullptr);
  const CallSite site =
      resolve_both_ways(reinterpret_cast<std::uintptr_t>(printf_address) + 4, AddressKind::instruction);
  EXPECT_NE(basename(site.module).find("libc.so"), std::string::npos) << site.module;
  EXPECT_NE(site.function.find("printf"), std::string::npos) << site.function;
  RecordProperty("libc_separate_debuginfo", site.has_debug_info ? "yes" : "no");
}

// A non-PIE executable: its offsets are absolute addresses (load bias 0). The program runs in its
// own process and prints what it recorded.
TEST(Resolver, OfflineNonPieExecutable) {
  std::unique_ptr<FILE, decltype(&pclose)> output(popen(CALLSITES_NOPIE_PROGRAM, "r"), &pclose);
  ASSERT_NE(output, nullptr);
  unsigned long long offset = 0;
  int line = 0;
  ASSERT_EQ(std::fscanf(output.get(), "%llu %d", &offset, &line), 2);
  const std::vector<ModuleOffset> items{{CALLSITES_NOPIE_PROGRAM, offset}};
  const auto sites = CallSiteResolver().resolve_offline(items);
  ASSERT_EQ(sites.size(), 1u);
  EXPECT_TRUE(sites[0].has_debug_info);
  EXPECT_EQ(basename(sites[0].file), "nopie_program.cpp");
  EXPECT_EQ(sites[0].line, line);
  EXPECT_NE(sites[0].function.find("record_in_nopie"), std::string::npos) << sites[0].function;
  EXPECT_EQ(sites[0].offset, offset);
}

TEST(Resolver, OfflineMissingModuleKeepsModuleAndOffset) {
  int line = 0;
  const ModuleOffset in_exe = recorded_as(record_in_executable(&line));
  const std::vector<ModuleOffset> items{{"/nonexistent/libgone.so", 0x1234}, in_exe, {"", 0x10}, in_exe};
  const auto sites = CallSiteResolver().resolve_offline(items);
  ASSERT_EQ(sites.size(), items.size());
  EXPECT_EQ(sites[0].module, "/nonexistent/libgone.so");
  EXPECT_EQ(sites[0].offset, 0x1234u);
  EXPECT_TRUE(sites[0].function.empty());
  EXPECT_TRUE(sites[0].file.empty());
  EXPECT_FALSE(sites[0].has_debug_info);
  EXPECT_EQ(sites[1].line, line);
  EXPECT_TRUE(sites[2].module.empty());
  EXPECT_TRUE(sites[2].function.empty());
  EXPECT_EQ(sites[3].line, line);
  EXPECT_EQ(sites[3].offset, sites[1].offset);
  EXPECT_TRUE(CallSiteResolver().resolve_offline({}).empty());
}

}  // namespace
