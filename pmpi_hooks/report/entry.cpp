// The C entry point of libcommtune_report.so, which the preload library dlopen()s on rank 0 at
// MPI_Finalize: plain C types in, no exception out.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "report/report.hpp"

// The library is built with hidden visibility; this is its one exported symbol (exports.map).
extern "C" __attribute__((visibility("default"))) int commtune_report_write(const char* const* dumps,
                                                                            const unsigned long* lengths,
                                                                            unsigned long count, const char* dir,
                                                                            int quiet, char* error,
                                                                            unsigned long error_size) {
  auto fail = [&](const char* message) {
    if (error != nullptr && error_size > 0) std::snprintf(error, error_size, "%s", message);
    return 1;
  };
  try {
    if (dir == nullptr || *dir == '\0') return fail("no output directory");
    if (count > 0 && (dumps == nullptr || lengths == nullptr)) return fail("no dumps passed");
    std::vector<std::string> texts;
    texts.reserve(count);
    for (unsigned long i = 0; i < count; ++i)
      texts.emplace_back(dumps[i] != nullptr ? std::string(dumps[i], lengths[i]) : std::string());
    commtune::report::Options options;
    options.quiet = quiet != 0;
    const auto result = commtune::report::write_report(texts, dir, options);
    if (!result.ok) return fail(result.error.c_str());
    if (error != nullptr && error_size > 0) error[0] = '\0';
    return 0;
  } catch (const std::exception& exception) {
    return fail(exception.what());
  } catch (...) {
    return fail("the report failed");
  }
}
