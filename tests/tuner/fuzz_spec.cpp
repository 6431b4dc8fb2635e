// libFuzzer target for the sweep spec parser and validator: any input either parses into a spec
// that can be planned, or gives a SpecError. Anything else (another exception, a crash, a leak or
// an out-of-bounds access found by AddressSanitizer) is a bug. Built and run by run_fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <string>

#include "commtune/tuner/spec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const commtune::tuner::SweepSpec spec = commtune::tuner::parse_sweep_spec(text, "fuzz.yaml");
    commtune::tuner::format_plan(spec, commtune::tuner::plan_sweep(spec));
  } catch (const commtune::tuner::SpecError&) {
    // The expected answer to a malformed spec.
  }
  return 0;
}
