#include "report/report.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <system_error>

#include "callsites/callsite_resolver.hpp"
#include "report/dump.hpp"
#include "report/merge.hpp"
#include "report/profile_json.hpp"
#include "report/summary.hpp"

namespace commtune::report {
namespace {

namespace fs = std::filesystem;
using pmpi::callsites::CallSiteResolver;
using pmpi::callsites::ModuleOffset;

struct LabeledDump {
  std::string source;  // a file path, or "dump #i"
  std::string text;
};

// Writes `text` to dir/name through a temporary file and a rename, so that a reader never sees
// half a file; creates `dir` when missing.
bool write_file(const fs::path& target, const std::string& text, std::string& error) {
  const fs::path dir = target.parent_path();
  std::error_code code;
  fs::create_directories(dir, code);
  if (code) {
    error = fmt::format("cannot create {}: {}", dir.string(), code.message());
    return false;
  }
  // The pid keeps two reports of the same directory (a snapshot and the end) from sharing it.
  const fs::path temporary = dir / fmt::format("{}.tmp.{}", target.filename().string(), getpid());
  FILE* out = std::fopen(temporary.c_str(), "w");
  if (out == nullptr) {
    error = fmt::format("cannot write {}: {}", temporary.string(), std::strerror(errno));
    return false;
  }
  const bool written = std::fwrite(text.data(), 1, text.size(), out) == text.size();
  const bool closed = std::fclose(out) == 0;
  if (!written || !closed || std::rename(temporary.c_str(), target.c_str()) != 0) {
    error = fmt::format("cannot write {}: {}", target.string(), std::strerror(errno));
    std::remove(temporary.c_str());
    return false;
  }
  return true;
}

std::string utc_now() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return iso8601_utc(std::uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(now).count()));
}

// Fills in every frame's symbol, file and line from the module files on this machine; each
// distinct (module, offset) is resolved once.
void resolve_frames(MergedRun& run) {
  std::map<FrameAddress, std::size_t> index;
  std::vector<ModuleOffset> items;
  for (const CallSiteStats& site : run.callsites)
    for (const Frame& frame : site.frames)
      if (index.try_emplace(FrameAddress{frame.module, frame.offset}, items.size()).second)
        items.push_back(ModuleOffset{frame.module, frame.offset});
  if (items.empty()) return;
  const auto resolved = CallSiteResolver().resolve_offline(items);
  for (CallSiteStats& site : run.callsites)
    for (Frame& frame : site.frames) {
      const auto& found = resolved[index.at(FrameAddress{frame.module, frame.offset})];
      frame.symbol = found.function;
      frame.file = found.file;
      frame.line = found.line;
      frame.debug_info = found.has_debug_info;
      frame.inlined_in = found.inlined_in;
    }
}

// Parses every dump, keeps one per rank of one world, and says why the others were left out.
std::vector<RankDump> usable_dumps(const std::vector<LabeledDump>& dumps, std::set<int>& unreadable_ranks,
                                   std::vector<std::string>& warnings) {
  std::vector<std::pair<RankDump, std::string>> parsed;  // with its source
  for (const LabeledDump& dump : dumps) {
    try {
      parsed.emplace_back(parse_rank_dump(dump.text, dump.source), dump.source);
    } catch (const DumpError& error) {
      warnings.push_back(error.what());
      if (error.rank() >= 0) unreadable_ranks.insert(error.rank());
    }
  }
  std::stable_sort(parsed.begin(), parsed.end(),
                   [](const auto& a, const auto& b) { return a.first.rank < b.first.rank; });
  std::vector<RankDump> usable;
  for (auto& [dump, source] : parsed) {
    if (!usable.empty() && dump.size != usable.front().size) {
      warnings.push_back(fmt::format("{} (rank {}): key \"size\": {}, but rank {}'s dump says {}", source, dump.rank,
                                     dump.size, usable.front().rank, usable.front().size));
    } else if (!usable.empty() && dump.rank == usable.back().rank) {
      warnings.push_back(fmt::format("{}: a second dump of rank {}; the first one was used", source, dump.rank));
    } else {
      usable.push_back(std::move(dump));
    }
  }
  return usable;
}

// `warnings`: dumps already left out (files that could not be read).
Result write_labeled_report(const std::vector<LabeledDump>& dumps, const fs::path& dir, const Options& options,
                            std::vector<std::string> warnings = {}) {
  Result result;
  result.warnings = std::move(warnings);
  std::set<int> unreadable_ranks;
  std::vector<RankDump> usable = usable_dumps(dumps, unreadable_ranks, result.warnings);
  if (!options.quiet)
    for (const std::string& warning : result.warnings)
      std::fprintf(stderr, "commtune: warning: dump left out: %s\n", warning.c_str());
  if (usable.empty()) {
    result.error = result.warnings.empty() ? "no rank dumps to merge"
                                           : fmt::format("no usable rank dump ({} left out; the first: {})",
                                                         result.warnings.size(), result.warnings.front());
    return result;
  }

  MergedRun run = merge_dumps(std::move(usable), unreadable_ranks, options.fallback_reason);
  resolve_frames(run);
  result.profile = run_directory::profile_path(dir);
  result.summary = run_directory::summary_path(dir);
  result.complete = run.complete;
  // The library writes valid UTF-8 (it escapes the bytes of command lines and paths that are not);
  // a dump from elsewhere might not be: replace what is not rather than fail.
  const std::string profile =
      profile_json(run, result.warnings, utc_now()).dump(1, ' ', false, nlohmann::json::error_handler_t::replace) +
      "\n";
  const std::string summary = summary_text(run, result.warnings, result.profile);
  if (!write_file(result.profile, profile, result.error) || !write_file(result.summary, summary, result.error))
    return result;
  result.ok = true;
  if (!options.quiet && (run.complete || !options.quiet_when_partial))
    std::fputs(banner_text(run, result.profile, result.summary).c_str(), stderr);
  return result;
}

}  // namespace

Result write_report(const std::vector<std::string>& rank_dumps, const fs::path& dir, const Options& options) {
  std::vector<LabeledDump> dumps;
  for (std::size_t i = 0; i < rank_dumps.size(); ++i) dumps.push_back({fmt::format("dump #{}", i), rank_dumps[i]});
  try {
    return write_labeled_report(dumps, dir, options);
  } catch (const std::exception& error) {  // out of memory, or a bug: never take the program down
    Result result;
    result.error = fmt::format("the report failed: {}", error.what());
    return result;
  }
}

Result report_from_directory(const fs::path& dir, const Options& options) {
  const fs::path ranks_dir = run_directory::ranks_path(dir);
  const std::vector<fs::path> files = run_directory::rank_dumps(dir);
  if (files.empty()) {
    Result result;
    result.error = fmt::format("no rank dumps (rank-*.json) in {}", ranks_dir.string());
    return result;
  }
  std::vector<LabeledDump> dumps;
  std::vector<std::string> unreadable_files;
  for (const fs::path& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      unreadable_files.push_back(fmt::format("{}: cannot read: {}", file.string(), std::strerror(errno)));
      continue;
    }
    std::ostringstream text;
    text << in.rdbuf();  // an empty file is left to the parser to reject
    dumps.push_back({file.string(), text.str()});
  }
  try {
    return write_labeled_report(dumps, dir, options, std::move(unreadable_files));
  } catch (const std::exception& error) {
    Result result;
    result.error = fmt::format("the report failed: {}", error.what());
    return result;
  }
}

}  // namespace commtune::report
