// One configuration of a kernel as the tuner stores and searches it: parameter name -> canonical
// text (kernels::ParamSpace::canonical), so equal configurations compare and hash equal.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace commtune::tuner {

using Configuration = std::map<std::string, std::string>;

// Compact JSON object with sorted keys: the canonical text stored in the results database.
std::string to_canonical_json(const Configuration& configuration);
// Throws std::invalid_argument naming the text when it is not a JSON object of strings.
Configuration configuration_from_json(const std::string& text);

// A configuration as a recorded sweep left it: every sample in measurement order, or a failure.
// The input of replays (search.hpp).
struct RecordedPoint {
  Configuration params;
  std::vector<double> sample_times_s;
  bool failed = false;
};

}  // namespace commtune::tuner
