// The run directory (COMMTUNE_OUTPUT, `commtune run -o DIR`): the one place its layout is spelled.
// The preload library writes into it, the report merges and writes, `commtune run` adds the
// hardware fingerprint, and the readers (profile/reader.hpp, trace/reader.hpp) read it back:
//
//   DIR/profile.json                        the merged profile (kProfileSchema, docs/profile.md)
//   DIR/summary.txt                         the same for a person
//   DIR/hardware.json                       the machine and MPI it ran on (commtune.hardware/1)
//   DIR/ranks/rank-NNNNN.json               one rank dump per rank (kRankDumpSchema)
//   DIR/trace/rank-NNNNN.thread-TTT.ctrace  trace logs (trace/format.hpp)
//   DIR/otf2/traces.otf2, DIR/timeline.json the trace exported (`commtune export`)
//   DIR/recommendations.yaml                what `commtune analyze` recommends (analysis/)
//   DIR/analysis/                           what the analysis adds: rules files, rankfiles, sweep specs
//   DIR/report.html, DIR/report.md          the tuning report (`commtune report`)
//
// Two halves: names and allocation-free path building (TextBuffer), which the preload library
// uses where it may run in a signal handler; and std::filesystem path builders and directory
// listings for everything that runs outside the application.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace commtune::run_directory {

// Files and folders, relative to the run directory.
inline constexpr std::string_view kProfileFile = "profile.json";
inline constexpr std::string_view kSummaryFile = "summary.txt";
inline constexpr std::string_view kHardwareFile = "hardware.json";
inline constexpr std::string_view kRanksDir = "ranks";
inline constexpr std::string_view kTraceDir = "trace";
inline constexpr std::string_view kOtf2Dir = "otf2";  // holds traces.otf2 and its definitions
inline constexpr std::string_view kTimelineFile = "timeline.json";
inline constexpr std::string_view kRecommendationsFile = "recommendations.yaml";
inline constexpr std::string_view kAnalysisDir = "analysis";
inline constexpr std::string_view kReportHtmlFile = "report.html";
inline constexpr std::string_view kReportMarkdownFile = "report.md";

// Schemas of the files the preload library and the report write.
inline constexpr const char* kProfileSchema = "commtune.profile/2";
inline constexpr const char* kRankDumpSchema = "commtune.rank/1";

// Rank and thread numbers in file names: zero-padded to these many digits (more when larger), so
// that the names sort by number up to 99999 ranks.
inline constexpr int kRankDigits = 5;
inline constexpr int kThreadDigits = 3;
inline constexpr std::string_view kRankPrefix = "rank-";
inline constexpr std::string_view kRankDumpSuffix = ".json";
inline constexpr std::string_view kThreadInfix = ".thread-";
inline constexpr std::string_view kTraceLogSuffix = ".ctrace";

// Builds a NUL-terminated text in a caller's buffer: no allocation, no locale, async-signal-safe.
// When the text does not fit, `fits` turns false and the buffer holds what did.
class TextBuffer {
 public:
  TextBuffer(char* data, std::size_t capacity) noexcept : data_(data), capacity_(capacity) {
    if (capacity_ > 0) data_[0] = 0;
  }
  TextBuffer& add(std::string_view text) noexcept {
    for (char c : text) put(c);
    return *this;
  }
  // `value` in decimal, zero-padded to `min_digits`.
  TextBuffer& add_number(std::uint64_t value, int min_digits) noexcept {
    char digits[24];
    int count = 0;
    do {
      digits[count++] = char('0' + value % 10);
      value /= 10;
    } while (value > 0);
    while (count < min_digits && count < int(sizeof digits)) digits[count++] = '0';
    while (count > 0) put(digits[--count]);
    return *this;
  }
  bool fits() const noexcept { return fits_; }
  std::size_t size() const noexcept { return size_; }

 private:
  void put(char c) noexcept {
    if (size_ + 1 >= capacity_) {
      fits_ = false;
      return;
    }
    data_[size_++] = c;
    data_[size_] = 0;
  }
  char* data_;
  std::size_t capacity_;
  std::size_t size_ = 0;
  bool fits_ = true;
};

// DIR/ranks/rank-NNNNN.json, then `suffix` (a temporary file's ".tmp"). False when it does not fit.
inline bool rank_dump_path(char* out, std::size_t capacity, std::string_view dir, int rank,
                           std::string_view suffix = {}) noexcept {
  TextBuffer path(out, capacity);
  path.add(dir).add("/").add(kRanksDir).add("/").add(kRankPrefix);
  path.add_number(std::uint64_t(rank < 0 ? 0 : rank), kRankDigits).add(kRankDumpSuffix).add(suffix);
  return path.fits();
}

// DIR/trace/rank-NNNNN.thread-TTT.ctrace. False when it does not fit.
inline bool trace_log_path(char* out, std::size_t capacity, std::string_view dir, int rank, int thread) noexcept {
  TextBuffer path(out, capacity);
  path.add(dir).add("/").add(kTraceDir).add("/").add(kRankPrefix);
  path.add_number(std::uint64_t(rank < 0 ? 0 : rank), kRankDigits).add(kThreadInfix);
  path.add_number(std::uint64_t(thread < 0 ? 0 : thread), kThreadDigits).add(kTraceLogSuffix);
  return path.fits();
}

// ---- outside the application ---------------------------------------------------------------------

inline std::filesystem::path profile_path(const std::filesystem::path& dir) { return dir / kProfileFile; }
inline std::filesystem::path summary_path(const std::filesystem::path& dir) { return dir / kSummaryFile; }
inline std::filesystem::path hardware_path(const std::filesystem::path& dir) { return dir / kHardwareFile; }
inline std::filesystem::path ranks_path(const std::filesystem::path& dir) { return dir / kRanksDir; }
inline std::filesystem::path trace_path(const std::filesystem::path& dir) { return dir / kTraceDir; }
inline std::filesystem::path otf2_path(const std::filesystem::path& dir) { return dir / kOtf2Dir; }
inline std::filesystem::path timeline_path(const std::filesystem::path& dir) { return dir / kTimelineFile; }
inline std::filesystem::path recommendations_path(const std::filesystem::path& dir) {
  return dir / kRecommendationsFile;
}
inline std::filesystem::path analysis_path(const std::filesystem::path& dir) { return dir / kAnalysisDir; }
inline std::filesystem::path report_html_path(const std::filesystem::path& dir) { return dir / kReportHtmlFile; }
inline std::filesystem::path report_markdown_path(const std::filesystem::path& dir) {
  return dir / kReportMarkdownFile;
}

inline std::filesystem::path rank_dump_path(const std::filesystem::path& dir, int rank) {
  char name[64];
  TextBuffer(name, sizeof name).add(kRankPrefix).add_number(std::uint64_t(rank < 0 ? 0 : rank), kRankDigits);
  return ranks_path(dir) / (std::string(name) + std::string(kRankDumpSuffix));
}

inline bool is_rank_dump_name(std::string_view name) {
  return name.starts_with(kRankPrefix) && name.ends_with(kRankDumpSuffix);
}
inline bool is_trace_log_name(std::string_view name) {
  return name.starts_with(kRankPrefix) && name.ends_with(kTraceLogSuffix);
}

namespace detail {
template <typename Keep>
std::vector<std::filesystem::path> list_files(const std::filesystem::path& folder, Keep keep) {
  std::vector<std::filesystem::path> files;
  std::error_code error;
  for (std::filesystem::directory_iterator it(folder, error), end; !error && it != end; it.increment(error)) {
    std::error_code type_error;
    if (keep(it->path().filename().string()) && it->is_regular_file(type_error)) files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  return files;
}
}  // namespace detail

// The rank dumps in DIR/ranks (rank-*.json), sorted by name; none when the folder is missing.
inline std::vector<std::filesystem::path> rank_dumps(const std::filesystem::path& dir) {
  return detail::list_files(ranks_path(dir), [](std::string_view name) { return is_rank_dump_name(name); });
}

// The trace logs in DIR/trace (rank-*.ctrace), sorted by name; none when the folder is missing.
inline std::vector<std::filesystem::path> trace_logs(const std::filesystem::path& dir) {
  return detail::list_files(trace_path(dir), [](std::string_view name) { return is_trace_log_name(name); });
}

}  // namespace commtune::run_directory
