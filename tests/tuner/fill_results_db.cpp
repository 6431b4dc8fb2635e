// Fills a results database through the library with known points, for the `commtune results`
// test (check_results_cli.py): two measured nonblocking points, one measured batching point and
// one nonblocking point that timed out. Usage: tuner_fill_results_db DB
#include <cstdio>
#include <exception>

#include "commtune/tuner/results_db.hpp"

int main(int argc, char** argv) {
  using namespace commtune::tuner;
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DB\n", argv[0]);
    return 2;
  }
  try {
    ResultsDb db(argv[1]);
    db.add_hardware("00112233aabbccdd", {{"schema", kResultsSchema}});
    const std::int64_t sweep = db.begin_sweep("00112233aabbccdd", "kernel: nonblocking", 5);
    const auto key = [](const char* kernel, const char* bytes) {
      return PointKey{
          "00112233aabbccdd", kernel, {{"message_bytes", bytes}, {"variant", "blocking"}}, {{"btl", "vader,self"}}, 2};
    };
    const std::vector<std::string> command{"mpirun", "-np", "2", "commtune-kernel-run"};
    // Medians 3 us and 20 us; the first point's 90 us sample is an outlier.
    db.record_measurement(sweep, key("nonblocking", "1024"),
                          {{command, "", 0.5, 0, 3, {3e-6, 2e-6, 4e-6, 3e-6, 2.5e-6, 3.5e-6, 90e-6}}});
    db.record_measurement(sweep, key("nonblocking", "65536"), {{command, "", 0.6, 0, 3, {20e-6, 19e-6, 21e-6}}});
    db.record_failure(sweep, key("nonblocking", "1048576"), FailureKind::Timeout, "exceeded 60 s");
    db.record_measurement(sweep, key("batching", "256"), {{command, "", 0.7, 0, 3, {7e-6, 8e-6, 9e-6}}});
    db.set_sweep_status(sweep, SweepStatus::Finished);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tuner_fill_results_db: %s\n", e.what());
    return 1;
  }
  return 0;
}
